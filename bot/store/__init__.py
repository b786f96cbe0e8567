"""Storage of the handover records (dossiers), mediators, slots, appointments and callbacks.

tables.py declares the tables, db.py makes engines and sessions, queries.py holds every read
and write as small functions taking a session. Actions, CLI and console all go through
queries.py. The conversation transcript itself is Rasa's tracker store (table `events`) in the
same database.
"""
