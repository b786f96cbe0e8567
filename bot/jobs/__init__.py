"""Periodic work the web app runs in the background (run once across workers: the database claims)."""
