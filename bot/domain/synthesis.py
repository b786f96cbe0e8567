"""A dossier's synthesis in words, the one text behind the console's dossier page, `bot dossiers
show`, the mediators' alert e-mails and the person's synthesis e-mail (so that they never disagree).

It reads plain facts (`Facts`, gathered by bot/store/dossiers.py) and says them as a France
Services, CCI or CMA mediator reads a file: what is urgent first, then the person's request in
their own words, then needs, questions and answers, pistes and structures by their French labels
(data/needs.yml, data/maturity.yml, data/situation.yml, data/knowledge/, data/referrals.yml, data/synthesis.yml),
never an internal id, and every time in Paris time as the rest of the product writes it
(« mardi 15 décembre à 14 h »). Nothing here reads the clock: `now` comes from the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from bot import paths
from bot.datafiles import load_cached
from bot.domain import catalog, knowledge, maturity, referrals, situation
from bot.language.dates import french_date, parse_deadline
from bot.language.french import time_of_day
from bot.language.textnorm import normalize
from bot.settings import PARIS

NOT_ANSWERED = "non répondu"
QUOTE_MAX_CHARS = 300  # one quoted message, cut beyond
REQUEST_MESSAGES = 3  # the person's first messages quoted as their request


def data() -> dict[str, Any]:
    return load_cached(paths.DATA / "synthesis.yml", "SYNTHESIS")


@dataclass(frozen=True)
class NeedFact:
    intent: str
    confidence: float | None
    confirmed: bool | None
    corrected_to: str | None = None


@dataclass(frozen=True)
class AppointmentFact:
    starts_at: datetime
    mediator: str
    reference: str
    mode: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the dossier holds, as plain values (ids, not labels)."""

    now: datetime
    started_at: datetime | None = None  # when the dossier was opened
    said: tuple[str, ...] = ()  # every message the person typed, in order
    # for each message of `said` (when known): when it was typed, and the situation question
    # (data/situation.yml id) it answered, None when it answered none
    said_at: tuple[datetime, ...] = ()
    said_to: tuple[str | None, ...] = ()
    request: tuple[str, ...] = ()  # their first messages, before the assistant asked anything
    needs: tuple[NeedFact, ...] = ()
    profile: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str | None] | None = None  # questionnaire (situation included), None when never answered
    maturity_level: int | None = None
    skill_level: str | None = None
    nature: str | None = None
    solutions: tuple[str, ...] = ()
    opened: tuple[str, ...] = ()
    answered: bool | None = None
    missing: str | None = None
    redirect: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    appointment: AppointmentFact | None = None
    callback_moment: str | None = None
    callback_deadline: date | None = None
    has_callback: bool = False
    deadline: date | None = None
    follow_up: bool | None = None
    follow_up_on: date | None = None


@dataclass(frozen=True)
class Synthesis:
    urgent: tuple[str, ...]  # reasons, most pressing first; empty when nothing is urgent
    request: tuple[str, ...]  # the person's first messages, quoted
    items: tuple[tuple[str, str], ...]  # (heading, what it says), in reading order
    questions: tuple[tuple[str, str], ...]  # (question, answer as given or « non répondu »)

    def lines(self) -> list[str]:
        """Plain text, one line each (the CLI and the e-mails)."""
        out = [f"URGENT : {reason}" for reason in self.urgent]
        out += [f"Demande de la personne : {quote}" for quote in self.request] or [
            "Demande de la personne : aucun message écrit."
        ]
        out += [f"{heading} : {text}" for heading, text in self.items]
        out += [f"Question « {question} » : {answer}" for question, answer in self.questions]
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


GREETINGS = {"bonjour", "bonsoir", "salut", "hello", "coucou", "bjr", "allo", "bonjour madame", "bonjour monsieur"}


def request_of(messages: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The person's request: their first typed messages, greetings alone left out."""
    words = [m for m in messages if m.strip() and normalize(m) not in GREETINGS]
    return tuple(words[:REQUEST_MESSAGES])


# --- labels -----------------------------------------------------------------------------------


def quote(text: str) -> str:
    """« … », one line, cut at QUOTE_MAX_CHARS characters."""
    flat = " ".join(text.split())
    if len(flat) > QUOTE_MAX_CHARS:
        flat = flat[: QUOTE_MAX_CHARS - 1].rstrip() + "…"
    return f"« {flat} »"


def need_label(intent: str) -> str:
    need = catalog.need(intent)
    return need.label if need else "besoin non reconnu"


def solution_title(solution_id: str) -> str | None:
    for need in catalog.needs():
        found = knowledge.solution(need.id, solution_id)
        if found is not None:
            return found.title
    return None


def structure_name(structure_id: str) -> str | None:
    found = referrals.by_id(structure_id)
    return found.name if found else None


def topic_label(topic: str) -> str:
    labels = data()["topics"]
    return labels.get(topic, labels["autre"])


def nature_label(nature: str | None) -> str | None:
    return data()["nature"].get(nature) if nature else None


def mode_label(mode: str | None) -> str:
    return data()["modes"].get(mode or "telephone", "")


def when(moment: datetime, today: date) -> str:
    """« mardi 15 décembre à 14 h » (the year when not this one), in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{french_date(local.date(), today)} à {time_of_day(local.hour, local.minute)}"


def _profile_value(key: str, value: str) -> str:
    if key == "secteur":
        sector = catalog.sectors().get(value)
        return sector.label if sector else value
    if key in ("effectif", "role"):
        return data()[key].get(value, value)
    return value


# --- what is urgent -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the words, each matched at the start of a word of a normalised text (the
    queue reads every listed dossier's messages: no word normalised again for each message)."""
    return re.compile("|".join(rf"\b{re.escape(normalize(word))}" for word in words)) if words else None


def _has_word(typed: str, words: list[str] | tuple[str, ...]) -> bool:
    pattern = _words_pattern(tuple(words))
    return pattern is not None and pattern.search(typed) is not None


@lru_cache(maxsize=8)
def _cue_patterns(cues: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each cue and the words after it (one pattern each: the words after one cue may hold another)."""
    return tuple(re.compile(rf"\b{re.escape(normalize(cue))}\b((?: \w+){{1,4}})") for cue in cues)


def _deadlines_in(typed: str, today: date, cues: tuple[re.Pattern[str], ...]) -> list[date]:
    """Dates written after a cue (« avant vendredi », « d'ici le 12 ») in one normalised message,
    read from `today`, the day it was written."""
    found = []
    for pattern in cues:
        for match in pattern.finditer(typed):
            words = match.group(1).split()
            for count in range(1, len(words) + 1):  # « avant vendredi sinon… »: the shortest that is a date
                day = parse_deadline(" ".join(words[:count]), today)
                if day is not None:
                    found.append(day)
                    break
    return found


def _typed(facts: Facts) -> list[tuple[str, str, date, str | None]]:
    """(message, normalised, the Paris day it was typed, the situation question it answered) of
    each message the person typed; a message of unknown moment is taken as typed on `now`'s day."""
    today = facts.now.astimezone(PARIS).date()
    return [
        (
            text,
            normalize(text),
            facts.said_at[i].astimezone(PARIS).date() if i < len(facts.said_at) else today,
            facts.said_to[i] if i < len(facts.said_to) else None,
        )
        for i, text in enumerate(facts.said)
    ]


def cyber_words(answering: str | None) -> tuple[str, ...]:
    """The words that speak of a cyber attack in a message answering this situation question (None:
    no question): at the login question a blocked account is a login problem, not an attack
    (data/synthesis.yml, `not_cyber_in_answer_to`)."""
    urgency_words = data()["urgency"]
    left_out = urgency_words.get("not_cyber_in_answer_to", {}).get(answering, []) if answering else []
    return _words_but(tuple(urgency_words["cyber"]), tuple(left_out))


@lru_cache(maxsize=16)
def _words_but(words: tuple[str, ...], left_out: tuple[str, ...]) -> tuple[str, ...]:
    out = {normalize(word) for word in left_out}
    return tuple(word for word in words if normalize(word) not in out)


def urgency(facts: Facts) -> tuple[str, ...]:
    """Why a mediator must act first: a deadline within a week, a penalty, a cyber attack."""
    urgency_words = data()["urgency"]
    today = facts.now.astimezone(PARIS).date()
    typed = _typed(facts)
    reasons = []
    cyber_by_question = {answering: cyber_words(answering) for _, _, _, answering in typed}
    cyber = next((s for s, plain, _, answering in typed if _has_word(plain, cyber_by_question[answering])), None)
    if cyber is not None:
        reasons.append(f"attaque informatique peut-être en cours : {quote(cyber)}")
    penalty = next((s for s, plain, _, _ in typed if _has_word(plain, urgency_words["penalty"])), None)
    if penalty is not None:
        reasons.append(f"pénalité ou sanction évoquée : {quote(penalty)}")
    limit = today + timedelta(days=int(urgency_words["deadline_days"]))
    given = [d for d in (facts.deadline, facts.callback_deadline) if d is not None]
    # « avant vendredi » is the Friday after the day it was written, not after the day it is read
    cues = _cue_patterns(tuple(urgency_words["deadline_cues"]))
    written = [d for _, plain, typed_on, _ in typed for d in _deadlines_in(plain, typed_on, cues)]
    soon = sorted(d for d in [*given, *written] if today <= d <= limit)
    if soon:
        days = (soon[0] - today).days
        left = "aujourd'hui" if days == 0 else "demain" if days == 1 else f"dans {days} jours"
        reasons.append(f"échéance {left}, le {french_date(soon[0], today)}")
    return tuple(reasons)


# --- the synthesis ----------------------------------------------------------------------------


def _need_line(need: NeedFact) -> str:
    label = need_label(need.intent)
    if need.confirmed:
        return f"{label}, confirmé par la personne"
    if need.confirmed is False:
        corrected = f", qui a choisi « {need_label(need.corrected_to)} »" if need.corrected_to else ""
        return f"{label}, écarté par la personne{corrected}"
    sure = f" (l'assistant en était sûr à {round(need.confidence * 100)} %)" if need.confidence is not None else ""
    return f"{label}, non confirmé par la personne{sure}"


def _evaluated(answers: dict[str, str | None], measures: str) -> bool:
    """Whether at least one question of this measure got a real answer (not skipped, not « je ne sais pas »)."""
    return any(
        (value := answers.get(q["id"])) and not value.startswith("ne_")
        for q in maturity.questionnaire()["questions"]
        if q["measures"] == measures
    )


def _level_lines(facts: Facts) -> list[tuple[str, str]]:
    levels = maturity.questionnaire()["levels"]
    structure = next((lvl for lvl in levels["structure"] if lvl["level"] == facts.maturity_level), None)
    skills = next((lvl for lvl in levels["skills"] if lvl["id"] == facts.skill_level), None)
    answers = facts.answers
    structure_known = structure is not None and (answers is None or _evaluated(answers, "structure"))
    skills_known = skills is not None and (answers is None or _evaluated(answers, "skills"))
    return [
        (
            "Maturité numérique de l'entreprise",
            f"{structure['name']} (niveau {facts.maturity_level} sur 4)" if structure_known and structure else "non évaluée",
        ),
        ("Compétences de la personne", skills["name"] if skills_known and skills else "non évaluées"),
    ]


def _situation_line(answers: dict[str, str | None] | None) -> str | None:
    """« forme juridique : micro-entreprise (auto-entrepreneur); TVA : non répondu »: the situation
    questions the need called for (their ids are in the answers, None when skipped); None when none was."""
    asked = [q for q in situation.questions() if answers and q["id"] in answers]
    if not asked:
        return None
    return "; ".join(f"{q['label']} : {situation.said(q['id'], (answers or {})[q['id']]) or NOT_ANSWERED}" for q in asked)


def _questions(facts: Facts) -> list[tuple[str, str]]:
    labels = data()["profile"]
    asked = facts.answers is not None
    rows = [
        (labels[key], _profile_value(key, facts.profile[key]) if facts.profile.get(key) else NOT_ANSWERED)
        for key in ("entreprise", "secteur", "effectif", "role", "code_postal")
        if asked or facts.profile.get(key)
    ]
    if asked:
        answers = facts.answers or {}
        for question in maturity.questionnaire()["questions"]:
            chosen = next((a for a in question["answers"] if a["id"] == answers.get(question["id"])), None)
            rows.append((question["text"], chosen["title"] if chosen else NOT_ANSWERED))
    return rows


def synthesise(facts: Facts) -> Synthesis:
    today = facts.now.astimezone(PARIS).date()
    items: list[tuple[str, str]] = []
    if facts.started_at is not None:
        items.append(("Conversation commencée", when(facts.started_at, today)))
    for need in facts.needs:
        items.append(("Besoin", _need_line(need)))
    if not facts.needs:
        items.append(("Besoin", "aucun besoin reconnu"))
    for topic in dict.fromkeys(facts.out_of_scope):
        items.append(("Hors du champ du service", topic_label(topic)))
    items.append(("Questionnaire", "rempli" if facts.answers is not None else "non évalué (questions non posées ou refusées)"))
    items += _level_lines(facts)
    business = _situation_line(facts.answers)
    if business:
        items.append(("Situation", business))
    nature = nature_label(facts.nature)
    if nature:
        items.append(("Nature du besoin", nature))
    titles = [t for t in map(solution_title, facts.solutions) if t]
    items.append(("Pistes présentées", "; ".join(titles) or "aucune"))
    opened = [t for t in map(solution_title, facts.opened) if t]
    if titles:
        items.append(("Pistes ouvertes par la personne", "; ".join(opened) or "aucune"))
    if facts.answered is not None or titles:
        verdict = {True: "oui", False: "non, « Pas vraiment »", None: "pas de réponse"}[facts.answered]
        items.append(("La réponse a-t-elle aidé", verdict))
    if facts.answered is False and facts.missing:
        items.append(("Ce qui lui manque", quote(facts.missing)))
    names = [n for n in map(structure_name, facts.redirect) if n]
    items.append(("Structures présentées à la personne", "; ".join(names) or "aucune"))
    if facts.appointment is not None:
        a = facts.appointment
        mode = f", {mode_label(a.mode)}" if mode_label(a.mode) else ""
        items.append(("Rendez-vous", f"{when(a.starts_at, today)} avec {a.mediator}{mode} (référence {a.reference})"))
    if facts.has_callback:
        before = f", avant le {french_date(facts.callback_deadline, today)}" if facts.callback_deadline else ""
        items.append(("À rappeler", f"{facts.callback_moment or 'pas de moment préféré'}{before}"))
    if facts.deadline:
        items.append(("Échéance donnée par la personne", french_date(facts.deadline, today)))
    if facts.follow_up_on:
        items.append(("Suivi", f"à faire le {french_date(facts.follow_up_on, today)}"))
    elif facts.follow_up:
        items.append(("Suivi", "souhaité, mais sans coordonnées"))
    return Synthesis(
        urgent=urgency(facts),
        request=tuple(quote(s) for s in facts.request),
        items=tuple(items),
        questions=tuple(_questions(facts)),
    )
