"""NLU training examples from the mediators' triage corrections.

When a mediator marks a dossier's triage as wrong (`triage_correct = False`) and names the right
need, the person's first message is a real example the model got wrong. They are written as Rasa
NLU YAML for a human to review before anything is added to data/nlu/: the first message may be
a mere greeting, and the people's words must not enter the training data unread.

A first message often says who is writing (« Bonjour je suis Martine Dupont, 06 12 34 56 78 »):
e-mail addresses, phone numbers, the names the person gave as contact, their company's name and
the persons' names spaCy finds are replaced by placeholders before anything is written
(bot/language/personal_data.py), so the file holds no personal data.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from bot.language import personal_data
from bot.schemas import NEED_IDS
from bot.store import conversations, dossiers

HEADER = (
    "# Exemples tirés des corrections du tri faites par les médiateurs (`bot export-training`).\n"
    "# À relire avant de les ajouter à data/nlu/ : retirer les salutations, les phrases ambiguës\n"
    "# et toute donnée personnelle restante : les e-mails, téléphones, noms et entreprises repérés\n"
    "# sont déjà remplacés par (e-mail), (téléphone), (nom), (entreprise).\n"
)

# What YAML may not contain (control characters, lone surrogates…), as PyYAML's reader defines it.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def one_line(said: str) -> str:
    """One line of plain text, safe in a YAML block and not read by Rasa as an entity annotation."""
    said = _NON_PRINTABLE.sub(" ", said)
    said = said.replace("[", "(").replace("]", ")")  # « [texte](entité) » is Rasa's entity markup
    return " ".join(said.split())


def first_typed_message(session: Session, conversation_id: str) -> str | None:
    """The person's first message, skipping button clicks and other commands (payloads such as
    « /greet »). Read from the raw events, as the transcript shows a clicked button's title."""
    for _event_id, type_name, _timestamp, event in conversations._said_events(session, conversation_id):
        said = (event.get("text") or "").strip()
        if type_name == "user" and said and not said.startswith("/"):
            return said
    return None


def unique_lines(examples: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each text on one line; the same text for the same need only once (first spelling kept)."""
    result, seen = [], set()
    for said, need in examples:
        said = one_line(said or "")
        if said and (said.casefold(), need) not in seen:
            seen.add((said.casefold(), need))
            result.append((said, need))
    return result


def corrected_examples(session: Session) -> list[tuple[str, str]]:
    """(first message, corrected need) for every dossier whose triage a mediator corrected,
    one line each, without duplicates, oldest dossier first."""
    rows = dossiers.corrected_triage(session, NEED_IDS)
    examples = []
    for conversation_id, need, contact_name, profile in rows:
        said = first_typed_message(session, conversation_id)
        if said:
            company = (profile or {}).get("entreprise")
            said = personal_data.redact(said, names=[contact_name or ""], companies=[company] if isinstance(company, str) else [])
        examples.append((said or "", need))
    return unique_lines(examples)


def nlu_yaml(examples: list[tuple[str, str]]) -> str:
    """Rasa 3 NLU YAML: one intent block per need, in the catalogue's order."""
    examples = unique_lines(examples)
    unknown = {need for _, need in examples} - set(NEED_IDS)
    if unknown:
        raise ValueError(f"unknown need(s): {', '.join(sorted(unknown))}")
    lines = [HEADER.rstrip("\n"), 'version: "3.1"']
    blocks = [(need, [said for said, n in examples if n == need]) for need in NEED_IDS]
    blocks = [(need, texts) for need, texts in blocks if texts]
    if not blocks:
        lines.append("nlu: []")
    else:
        lines.append("nlu:")
        for need, texts in blocks:
            lines += [f"- intent: {need}", "  examples: |"]
            lines += [f"    - {said}" for said in texts]
    return "\n".join(lines) + "\n"


def write_nlu_yaml(examples: list[tuple[str, str]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nlu_yaml(examples), encoding="utf-8")
    return path
