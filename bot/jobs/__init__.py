"""Periodic work (mail sending, retention purge, live watcher, spool replay) run by one runner
(runner.py) that gives each turn to one worker of one server (table `job_turns`).

May import bot.mail, bot.store and the foundation modules; started by the web app's lifespan.
"""
