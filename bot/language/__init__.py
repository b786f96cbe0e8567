"""Reading and writing French: normalising typed text (textnorm), typography (french), readability,
matching a typed answer to a list of options (answers), dates and moments (dates).

Imports only the foundation modules (paths, data files): the questions' own options are in
bot/domain/options.py.
"""
