"""The web app (Starlette): the service page with the chat widget and its small API, the mediator
console (/mediateurs), live handover, the appointment page, readiness.

May import bot.store, bot.mail, bot.jobs, bot.domain and the foundation modules; talks to Rasa over
its HTTP API only (rasa_api.py).
"""
