"""Patches of Rasa 3.6 internals, installed by `bot.rasa_extensions.install()` (see its docstring)."""
