"""NLU training examples from the mediators' triage corrections.

When a mediator marks a dossier's triage as wrong (`triage_correct = False`) and names the right
need, the person's first message is a real example the model got wrong. They are written as Rasa
NLU YAML for a human to review before anything is added to data/nlu/: the first message may be
a mere greeting, and the people's words must not enter the training data unread.

A first message often says who is writing (« Bonjour je suis Martine Dupont, 06 12 34 56 78 »):
e-mail addresses, phone numbers, the names the person gave as contact, their company's name and
the persons' names spaCy finds are replaced by placeholders before anything is written
(bot/language/personal_data.py), so the file holds no personal data.

The examples are the decisions of the review inbox (« Phrases à revoir », bot/store/review_inbox.py:
a need, or « hors sujet » as out_of_scope), plus the corrected triage of dossiers closed before
the inbox existed. A sentence already in the training data (data/nlu/) is left out, and one that
is in a test set (tests/*.yml: the held-out NLU sets, the typed conversations…) is refused: a
model trained on its test sentences would score itself. Both are compared as
bot/language/textnorm.py normalises them (case, accents, punctuation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from sqlalchemy.orm import Session

from bot import paths
from bot.domain import review
from bot.language import personal_data
from bot.language.textnorm import normalize
from bot.schemas import NEED_IDS
from bot.store import conversations, dossiers, review_inbox

INTENTS = [*NEED_IDS, review.OUT_OF_SCOPE_INTENT]  # what an exported example may teach

HEADER = (
    "# Exemples tirés des « Phrases à revoir » décidées par les médiateurs (`bot export-training`).\n"
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
    """Rasa 3 NLU YAML: one intent block per need, in the catalogue's order, then out_of_scope."""
    examples = unique_lines(examples)
    unknown = {need for _, need in examples} - set(INTENTS)
    if unknown:
        raise ValueError(f"unknown need(s): {', '.join(sorted(unknown))}")
    lines = [HEADER.rstrip("\n"), 'version: "3.1"']
    blocks = [(need, [said for said, n in examples if n == need]) for need in INTENTS]
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


# --- the review inbox's decisions, checked against the training data and the test sets -----------

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")  # [words](entity) or [words]{"entity": …}


def _strings(value: Any) -> Iterable[str]:
    """Every string of a YAML document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def sentences_in(files: Iterable[Path]) -> set[str]:
    """The normalised sentences of YAML files: each line of each string (the examples of an NLU
    block, « - » and entity annotations removed; the messages of typed conversations)."""
    found = set()
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for string in _strings(document):
            for line in string.splitlines():
                line = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- "))
                if key := normalize(line):
                    found.add(key)
    return found


def training_files() -> list[Path]:
    return sorted(paths.NLU_DATA.glob("*.yml"))


def held_out_files() -> list[Path]:
    """Every data set under tests/ (the held-out NLU sets nlu_test.yml and nlu_realstyle_test.yml,
    the typed conversations *heldout*.yml, the typed answers, the test stories…)."""
    return sorted({*paths.TESTS.glob("*.yml"), *paths.TESTS.glob("*.yaml")})


@dataclass
class Export:
    examples: list[tuple[str, str]] = field(default_factory=list)  # written
    already_trained: int = 0  # left out: already in data/nlu/
    refused: int = 0  # left out: in a test set


def checked(examples: list[tuple[str, str]], trained: set[str] | None = None, held_out: set[str] | None = None) -> Export:
    """The examples without those already in the training data, refusing those of a test set."""
    trained = sentences_in(training_files()) if trained is None else trained
    held_out = sentences_in(held_out_files()) if held_out is None else held_out
    export = Export()
    for said, intent in unique_lines(examples):
        key = normalize(said)
        if key in held_out:
            export.refused += 1
        elif key in trained:
            export.already_trained += 1
        else:
            export.examples.append((said, intent))
    return export


def review_examples(session: Session) -> list[tuple[str, str]]:
    """The review inbox's decisions (masked), then the corrections of dossiers closed before it."""
    return unique_lines([*review_inbox.decided_examples(session), *corrected_examples(session)])
