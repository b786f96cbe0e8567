"""Rasa input channels of our own (the website chat)."""
