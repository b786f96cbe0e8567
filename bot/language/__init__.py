"""Reading and writing French: normalising typed text (textnorm), typography (french), readability,
typed answers to the questions' options (answers, options) and dates and moments (dates).

textnorm, french and readability import nothing of ours; options reads the questions' options
from bot.domain (maturity, profile).
"""
