"""The content's rules: needs, knowledge, referrals, maturity, profile, topics, opening hours,
contact details, advice, France Services sites, fact checks, and the options of each question as
they may be typed (options.py).

Reads the data files under data/ (bot/datafiles.py, bot/schemas.py). May import bot.language, the
foundation modules (settings, paths, clock, datafiles, schemas); never the store, the web app, the
channels, Rasa or the operations.
"""
