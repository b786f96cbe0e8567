"""What each queued message says, composed when it is sent from the data as it then is.

`compose(session, mail, context, now)` returns the message, or `Skip(why)` when there is nothing
to say any more: the dossier was erased, the appointment cancelled or moved since, the account
deactivated. The person's address is read from their dossier at that moment (only ever the one
they gave with their consent); the mediators' alerts hold the first name and the need, nothing
more: the link opens the dossier behind the console's login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from sqlalchemy.orm import Session

from bot.domain import catalog, synthesis
from bot.domain.opening_hours import MONTHS, WEEKDAYS
from bot.language.french import time_of_day, typeset
from bot.mail import calendar_ics, compose, links, texts
from bot.settings import PARIS
from bot.store import accounts, dossiers, live, scheduling
from bot.store.statuses import AppointmentStatus, LiveState
from bot.store.tables import Appointment, Dossier, OutgoingMail

PERSON_KINDS = {"rdv_confirmation", "rdv_rappel", "rdv_annulation", "rappel_accuse", "synthese"}
# What each message is, for the console (« l'e-mail de confirmation du rendez-vous n'a pas pu être envoyé »)
KIND_LABELS = {
    "rdv_confirmation": "l'e-mail de confirmation du rendez-vous",
    "rdv_rappel": "l'e-mail de rappel du rendez-vous",
    "rdv_annulation": "l'e-mail d'annulation du rendez-vous",
    "rappel_accuse": "l'accusé de réception de la demande de rappel",
    "synthese": "le résumé de l'échange demandé par la personne",
    "alerte_rendez_vous": "l'alerte « nouveau rendez-vous »",
    "alerte_rappel": "l'alerte « demande de rappel »",
    "alerte_annulation": "l'alerte « rendez-vous annulé »",
    "alerte_direct": "l'alerte « une personne attend dans le chat »",
    "mdp_reinitialisation": "le lien pour choisir un nouveau mot de passe",
}

# How the person cancelled, in the mediators' « rendez-vous annulé » alert
CANCELLED_HOW = {
    "lien": "avec le lien reçu par e-mail",
    "effacement": "en effaçant sa conversation ; ses coordonnées sont effacées",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "un e-mail")


@dataclass(frozen=True)
class Context:
    """What composing needs from the web app's settings."""

    public_url: str  # links in e-mails
    secret: str  # signs the links (bot/mail/links.py)
    sender: str  # MAIL_FROM, or the service's address


@dataclass(frozen=True)
class Skip:
    why: str


def context_from_settings(settings) -> Context:
    service = catalog.service_contact()
    return Context(
        settings.public_base_url, settings.session_secret, settings.mail_from or formataddr((service.name, service.email))
    )


def french_date_time(moment: datetime) -> str:
    """« lundi 7 janvier 2030 à 9 h 30 », « … à 10 h », in Paris time (French typography)."""
    local = moment.astimezone(PARIS)
    return typeset(
        f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year} "
        f"à {time_of_day(local.hour, local.minute)}"
    )


def french_time(moment: datetime) -> str:
    """« 9 h 05 », in Paris time (French typography)."""
    local = moment.astimezone(PARIS)
    return typeset(time_of_day(local.hour, local.minute))


def first_name(name: str | None) -> str:
    return name.split()[0] if name and name.split() else ""


# a name is letters, with inner hyphens or apostrophes (Jean-Pierre, N'Golo, Zoé)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
NAME_WORD_MAX_CHARS = 30
_TITLES = {"m", "m.", "mr", "mr.", "mme", "mme.", "mlle", "mlle.", "monsieur", "madame", "mademoiselle", "dr", "dr."}


def person_first_name(name: str | None) -> str:
    """How the service's e-mails greet a person: the first name they typed (« Marie »), or a title
    and the next word (« Madame Dupont »), each word letters only, 30 at most; else nothing.

    The name is typed by whoever asks (up to 100 characters) and the e-mail may go to any address
    they type: no URL, e-mail address, markup or sentence may ride into the service's own mail."""
    words = [word.strip(",;:!?") for word in (name or "").split()][:2]
    if len(words) == 2 and words[0].lower() in _TITLES:
        title, word = words
    elif words:
        title, word = "", words[0].rstrip(".")
    else:
        return ""
    if len(word) > NAME_WORD_MAX_CHARS or not _NAME_WORD.fullmatch(word):
        return ""
    return f"{title} {word}".strip()


def _greeting(dossier: Dossier) -> str:
    """« Bonjour{nom}, »: a space and the person's first name, or nothing."""
    name = person_first_name(dossier.contact_name)
    return f" {name}" if name else ""


def _footer_values() -> dict[str, str]:
    service = catalog.service_contact()
    return {"service": service.name, "telephone": service.phone, "email": service.email}


def _appointment_values(appointment: Appointment, context: Context) -> dict[str, str]:
    slot, dossier = appointment.slot, appointment.dossier
    mediator = first_name(slot.mediator.name)
    token = links.appointment_token(context.secret, appointment.reference, slot.starts_at)
    return {
        "nom": _greeting(dossier),
        "mediateur": mediator,
        "quand": french_date_time(slot.starts_at),
        "duree": str(int((slot.ends_at - slot.starts_at).total_seconds() // 60)),
        "mode": texts.mode_sentence(slot.mode or "telephone", mediator, slot.place),
        "reference": appointment.reference,
        "lien": f"{context.public_url}/rendez-vous/{token}",
    }


def _invitation(appointment: Appointment, context: Context, values: dict[str, str], now: datetime) -> compose.Attachment:
    slot = appointment.slot
    person = calendar_ics.PersonView(
        organizer_email=parseaddr(context.sender)[1],
        attendee_email=appointment.dossier.contact_email,
        description=(
            f"Avec {values['mediateur']}, de l'équipe de médiation numérique.\n"
            f"Comment : {values['mode']}.\nRéférence : {appointment.reference}.\n"
            f"Annuler ou déplacer : {values['lien']}"
        ),
        location=slot.place if slot.mode == "sur_place" else None,
    )
    body = calendar_ics.person_invitation(appointment, person, now)
    method = "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST"
    return compose.Attachment(f"rendez-vous-{appointment.reference}.ics", f"text/calendar; method={method}", body)


def _lines(items) -> str | None:
    """One item a line, « – … », or None (the paragraph is then left out)."""
    items = [item for item in items if item]
    return "\n".join(f"– {item}" for item in items) or None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """No capital after a colon (« URSSAF » stays as it is)."""
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def team_synthesis(said: synthesis.Synthesis) -> dict[str, str]:
    """The dossier in words for a mediator's alert (bot/domain/synthesis.py, as in the console):
    « URGENT » first in the subject when it is, then in the body what is urgent, the person's
    words and each point; the questionnaire stays in the console."""
    lines = [f"URGENT : {reason}" for reason in said.urgent]
    lines += [f"Ses mots : {q}" for q in said.request] or ["Ses mots : aucun message écrit."]
    lines += [f"{heading} : {text}" for heading, text in said.items]
    return {"synthese": "\n".join(f"– {line}" for line in lines), "urgent": "URGENT — " if said.urgent else ""}


def synthesis_values(dossier: Dossier, now: datetime, said: synthesis.Synthesis | None = None) -> dict[str, str | None]:
    """The exchange as the dossier holds it when the message is sent: the person's words, needs,
    pistes, structures shown, next steps (appointment, call back, follow-up, deadline, a tip)."""
    from bot.domain import knowledge, referrals
    from bot.language.dates import french_date

    today = now.astimezone(PARIS).date()
    needs = [n.intent for n in dossier.needs if n.confirmed] or [n.intent for n in dossier.needs[-1:]]
    needs = [catalog.need(n) for n in dict.fromkeys(needs) if catalog.need(n) is not None]
    solutions = []
    for solution_id in dossier.solutions or []:
        found = next((s for n in needs if (s := knowledge.solution(n.id, solution_id)) is not None), None)
        if found is None:
            found = next((s for n in catalog.needs() if (s := knowledge.solution(n.id, solution_id)) is not None), None)
        if found is not None:
            solutions.append(f"{found.title} : {_lower_first(found.description)}")
    structures = [s for s in (referrals.by_id(i) for i in dossier.redirect or []) if s is not None]
    steps = []
    appointment = next((a for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED), None)
    if appointment is not None:
        steps.append(
            f"Rendez-vous le {french_date_time(appointment.slot.starts_at)} avec "
            f"{first_name(appointment.slot.mediator.name)} (référence {appointment.reference})."
        )
    if dossier.callbacks:
        moment = dossier.callbacks[-1].preferred_moment
        reaching = "vous rappellera" if dossier.contact_phone else "vous écrira"  # « rappellera » only with a phone
        steps.append(f"Une personne de l'équipe {reaching}" + (f" ({moment})." if moment else "."))
    if dossier.deadline:
        steps.append(f"Votre échéance : le {french_date(dossier.deadline, today)}.")
    if dossier.follow_up_on:
        steps.append(
            f"Nous reprendrons contact avec vous vers le {french_date(dossier.follow_up_on, today)}, "
            "pour voir si cela a marché."
        )
    if needs:
        steps.append(f"Un conseil : {_lower_first(knowledge.entry(needs[0].id).tip)}")
    steps.append("Vous pouvez revenir vers nous à tout moment, sur notre site ou par téléphone.")
    return {
        "nom": _greeting(dossier),
        "vos_mots": _lines(said.request) if said else None,
        "besoins": _lines(_capitalised(n.phrase) + "." for n in needs),
        "pistes": _lines(solutions),
        "structures": _lines(f"{s.name} ({s.url}) : {_lower_first(s.why)}" for s in structures),
        "suite": _lines(steps),
    }


def _person(mail: OutgoingMail, dossier: Dossier | None) -> str | Skip:
    if dossier is None or dossier.anonymised_at is not None or dossier.consent_at is None or not dossier.contact_email:
        return Skip("no consented address any more (erased or never given)")
    return dossier.contact_email


def compose_mail(
    session: Session, mail: OutgoingMail, context: Context, *, now: datetime, message_id: str
) -> EmailMessage | Skip:
    dossier = dossiers.get_dossier(session, mail.dossier_id) if mail.dossier_id else None
    mediator = accounts.mediator_by_id(session, mail.mediator_id) if mail.mediator_id else None
    appointment = scheduling.appointment_by_id(session, mail.appointment_id) if mail.appointment_id else None
    attachments: tuple[compose.Attachment, ...] = ()
    team = mail.kind not in PERSON_KINDS
    if team:
        if mediator is None or not mediator.active:
            return Skip("the mediator's account is gone or deactivated")
        recipient = formataddr((mediator.name, mediator.email))
    else:
        recipient = _person(mail, dossier)
        if isinstance(recipient, Skip):
            return recipient

    if mail.kind in ("rdv_confirmation", "rdv_rappel"):
        if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
            return Skip("the appointment was cancelled")
        if appointment.slot.starts_at <= now:
            return Skip("the appointment has begun")
        if mail.kind == "rdv_rappel" and mail.payload.get("starts_at") != appointment.slot.starts_at.isoformat():
            return Skip("the appointment was moved (its new time has its own reminder)")
        values = _appointment_values(appointment, context)
        attachments = (_invitation(appointment, context, values, now),)
    elif mail.kind == "rdv_annulation":
        if appointment is None:
            return Skip("the appointment is gone")
        values = _appointment_values(appointment, context)
        attachments = (_invitation(appointment, context, values, now),)
    elif mail.kind == "rappel_accuse":
        callback = scheduling.callback_by_id(session, mail.payload.get("callback_id"))
        if callback is None:
            return Skip("the call-back request is gone")
        values = {
            "nom": _greeting(dossier),
            "moment": callback.preferred_moment or "pas de moment précis, nous vous recontacterons dès que possible",
            "date_limite": f"{callback.deadline:%d/%m/%Y}" if callback.deadline else None,
        }
    elif mail.kind == "synthese":
        values = synthesis_values(dossier, now, dossiers.synthesis(session, dossier, now))
    elif mail.kind in ("alerte_rendez_vous", "alerte_rappel"):
        if dossier is None:
            return Skip("the dossier is gone")
        values = {
            "destinataire": first_name(mediator.name),
            "prenom": person_first_name(dossier.contact_name) or "Une personne",
            "need": calendar_ics.need_label(dossier),
            "lien": f"{context.public_url}/mediateurs/dossiers/{dossier.id}",
            **team_synthesis(dossiers.synthesis(session, dossier, now)),
        }
        if mail.kind == "alerte_rendez_vous":
            if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
                return Skip("the appointment was cancelled")
            slot = appointment.slot
            values.update(
                quand=french_date_time(slot.starts_at),
                mediateur=first_name(slot.mediator.name),
                mode=texts.mode_label(slot.mode or "telephone"),
            )
        else:
            callback = scheduling.callback_by_id(session, mail.payload.get("callback_id"))
            values["moment"] = (callback.preferred_moment if callback else None) or "pas de préférence"
    elif mail.kind == "alerte_annulation":
        if dossier is None or appointment is None:
            return Skip("the appointment is gone")
        slot = appointment.slot
        values = {
            "destinataire": first_name(mediator.name),
            "need": calendar_ics.need_label(dossier),
            "quand": french_date_time(slot.starts_at),
            "mediateur": first_name(slot.mediator.name),
            "mode": texts.mode_label(slot.mode or "telephone"),
            "comment": CANCELLED_HOW.get(mail.payload.get("how"), CANCELLED_HOW["lien"]),
            "lien": f"{context.public_url}/mediateurs/dossiers/{dossier.id}",
        }
    elif mail.kind == "alerte_direct":
        chat = live.chat_by_id(session, mail.payload.get("chat_id"))
        if dossier is None or chat is None or chat.state != LiveState.WAITING:
            return Skip("nobody waits any more (joined, left or offered other ways)")
        values = {
            "destinataire": first_name(mediator.name),
            "prenom": person_first_name(dossier.contact_name) or "Une personne",
            "need": calendar_ics.need_label(dossier),
            "depuis": french_time(chat.requested_at),
            "limite": french_time(datetime.fromisoformat(mail.payload["until"])),
            "lien": f"{context.public_url}/mediateurs/dossiers/{dossier.id}",
            **team_synthesis(dossiers.synthesis(session, dossier, now)),
        }
    elif mail.kind == "mdp_reinitialisation":
        token = links.reset_token(context.secret, mediator.id, mediator.password_hash, now=now)
        values = {
            "destinataire": first_name(mediator.name),
            "minutes": str(links.RESET_MINUTES),
            "lien": f"{context.public_url}/mediateurs/mot-de-passe/{token}",
        }
    else:
        return Skip(f"unknown kind {mail.kind}")

    rendered = texts.render(mail.kind, values, footer_values=_footer_values(), team=team)
    return compose.build(
        rendered, sender=context.sender, recipient=recipient, message_id=message_id, date=now, attachments=attachments
    )
