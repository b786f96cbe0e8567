"""What goes out to people and mediators: e-mails (texts in data/mail.yml, a MIME message, the
SMTP or directory transport, what each notice says in notices.py) and calendar files
(calendar_ics.py, also served by the console). Queued in bot/store/outbox.py, sent by
bot/jobs/mail_sender.py.

May import bot.store, bot.domain, bot.language and the foundation modules.
"""
