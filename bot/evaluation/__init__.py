"""`make eval`: measure the NLU on the held-out test set, a baseline, cross-validation of candidate
pipelines, the typed-answer set. An operation: may import actions, domain and language; nothing
but bot.ops imports it.
"""
