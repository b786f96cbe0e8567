"""A rendered notice as a MIME message: plain text and HTML alternatives, optional attachments.

The HTML is a simple page built from the same paragraphs (a line break inside one is a <br>),
every value escaped by Jinja2: no image, no remote resource, no tracking pixel or link rewriting,
so what a person reads in either part is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, select_autoescape

from bot.mail.texts import Rendered

_HTML = Environment(autoescape=select_autoescape(default=True)).from_string("""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ m.subject }}</title></head>
<body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1e1e1e; max-width: 40em">
{% for p in m.paragraphs %}<p>{% for line in p.split("\n") %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>
{% endfor %}{% if m.action %}<p><a href="{{ m.action[1] }}" style="display: inline-block; padding: 0.6em 1em; background: #000091; color: #ffffff; text-decoration: none; border-radius: 4px">{{ m.action[0] }}</a></p>
<p style="font-size: 14px">Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :<br>{{ m.action[1] }}</p>
{% endif %}<hr>
{% for line in m.footer %}<p style="font-size: 14px; color: #555555">{{ line }}</p>
{% endfor %}</body></html>
""")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    data: bytes


def text_body(message: Rendered) -> str:
    lines = [*message.paragraphs]
    if message.action:
        lines.append(f"{message.action[0]} : {message.action[1]}")
    return "\n\n".join(lines) + "\n\n-- \n" + "\n".join(message.footer) + "\n"


def new_message_id(domain: str) -> str:
    return make_msgid(domain=domain)


def build(
    message: Rendered, *, sender: str, recipient: str, message_id: str, date: datetime, attachments: tuple[Attachment, ...] = ()
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = recipient
    mail["Date"] = format_datetime(date)
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    mail.set_content(text_body(message), charset="utf-8")
    mail.add_alternative(_HTML.render(m=message), subtype="html", charset="utf-8")
    for attachment in attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [part.strip() for part in rest.split(";")]
        extra = dict(param.split("=", 1) for param in params if "=" in param)
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=extra)
    return mail
