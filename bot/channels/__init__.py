"""Rasa input channels of our own: the website chat (socket.io) and the REST webhook, with the
checks made before a message reaches Rasa (size, rate limits, backend health).

Loaded by Rasa from credentials.yml. May import bot.rasa_extensions, bot.store, bot.domain, the
website's conversation ids (bot/web/conversation_ids.py) and the foundation modules.
"""
