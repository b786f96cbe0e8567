"""The database: tables (tables.py), engines and sessions (db.py), migrations, and every read
and write on stored data as small functions taking a session (dossiers, scheduling, casework, live, accounts…).

Transaction rule: functions here never commit; the boundary (a web route, an action, a CLI
command, a job) does. The conversation transcript itself is Rasa's tracker store (table `events`)
in the same database. May import bot.domain and the foundation modules.
No other code queries the database; a refusal is a bot/store/errors.py Refused.
"""
