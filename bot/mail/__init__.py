"""E-mail: the texts (data/mail.yml), composing a MIME message, the SMTP or directory transport,
and what each notice says (notices.py). Queued in bot/store/outbox.py, sent by bot/jobs/mail_sender.py."""
