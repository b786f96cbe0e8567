"""Reading and writing French: normalising typed text (textnorm), typography (french), readability,
matching a typed answer to a list of options (answers), dates and moments (dates).

Imports nothing of ours: the foundation's data files (bot/datafiles.py) use its typography, and
the questions' own options are in bot/domain/options.py.
"""
