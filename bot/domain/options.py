"""The options of each question, with the words people type for them (data/answers.yml).

A question is named by the response that asks it in domain.yml (its buttons are the options)
or, for the questionnaire, by its slot `q_<id>` (data/maturity.yml or data/situation.yml holds the answers).
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from bot import paths
from bot.datafiles import load_cached
from bot.domain import maturity, situation
from bot.language.answers import STOPWORDS, Option, Result, expand, match
from bot.language.textnorm import normalize


def answers_data() -> dict:
    return load_cached(paths.DATA / "answers.yml", "TYPED_ANSWERS")


def _listed(question: str, key: str) -> list[str]:
    return [str(w) for w in (answers_data()["questions"].get(question) or {}).get(key) or []]


def polarity(question: str, key: str) -> int:
    """+1 for the option that includes the shared « oui » list, -1 for « non », else 0."""
    listed = _listed(question, key)
    return 1 if "$oui" in listed else -1 if "$non" in listed else 0


def synonyms(question: str, key: str) -> tuple[str, ...]:
    """The typed forms of one option, the shared « $oui » / « $non » lists expanded."""
    data = answers_data()
    words: list[str] = []
    for word in _listed(question, key):
        words.extend(data["shared"][word[1:]] if word.startswith("$") else [word])
    return tuple(words)


@lru_cache(maxsize=1)
def _domain_buttons() -> dict[str, list[dict]]:
    domain = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))
    return {name: variants[0].get("buttons") or [] for name, variants in domain["responses"].items()}


def for_buttons(question: str, buttons: list[dict]) -> list[Option]:
    """Options for buttons as shown (title, payload), with the synonyms of `question`."""
    return [Option(b["payload"], b["title"], synonyms(question, b["payload"]), polarity(question, b["payload"])) for b in buttons]


def for_question(question: str) -> list[Option]:
    """Options of a question known in advance: a domain response's buttons or a questionnaire question."""
    if question.startswith("q_"):
        asked = maturity.question(question[2:]) or situation.question(question[2:])
        if asked is None:
            raise KeyError(question)
        return [Option(a["id"], a["title"], synonyms(question, a["id"]), polarity(question, a["id"])) for a in asked["answers"]]
    buttons = _domain_buttons().get(question)
    if not buttons:
        raise KeyError(question)
    return for_buttons(question, buttons)


def questions() -> list[str]:
    return list(answers_data()["questions"])


def asks_for_a_person(text: str) -> bool:
    """Whether a message also asks for a person, in the words of data/answers.yml."""
    typed = f" {normalize(text)} "
    return any(f" {normalize(words)} " in typed for words in answers_data()["requests_for_a_person"])


def topic_words(text: str) -> str:
    """What a request for a person says besides asking for one: « je veux un rdv avec un médiateur
    pour la facture électronique » -> « facture electronique »; « rdv » -> «  ». Read again by the NLU
    to find the topic (bot/rasa_extensions/patches/typed_answers.py)."""
    # « la prise de rendez-vous en ligne » is a need, not a request for a person
    typed = f" {expand(text)} ".replace(" rendez vous en ligne ", " reservation en ligne ")
    for phrase in sorted((expand(p) for p in answers_data()["requests_for_a_person"]), key=len, reverse=True):
        typed = typed.replace(f" {phrase} ", " ")
    ignored = STOPWORDS | {expand(w) for w in answers_data()["person_words"]}
    return " ".join(w for w in typed.split() if w not in ignored)


def understand(question: str, text: str) -> Result:
    """The option of `question` that a typed answer means (what the forms and `make eval` use).

    Sizes and roles also keep their older readers (bot/domain/profile.py): « on est 4 » is a number
    of people, not a word close to a button; the equipment question reads the devices named.
    """
    from bot.domain.profile import role_of, size_bucket

    choices = for_question(question)
    if question == "utter_ask_effectif":
        bucket = size_bucket(text)
        chosen = next((o for o in choices if bucket is not None and size_bucket(o.key) == bucket), None)
        if chosen is not None:
            return Result(chosen, [chosen], 100.0)
    if question == "q_equipement":  # devices named, each said or denied (bot/domain/situation.py)
        device = situation.equipment_of(text)
        chosen = next((o for o in choices if o.key == device), None)
        if chosen is not None:
            return Result(chosen, [chosen], 100.0)
    result = match(choices, text)
    if question == "utter_ask_role" and result.option is None and not result.ambiguous:
        role = role_of(text)
        chosen = next((o for o in choices if role is not None and role_of(o.key) == role), None)
        if chosen is not None:
            return Result(chosen, [chosen], 90.0)
    return result


def is_an_option_word_for_word(question: str, text: str) -> bool:
    """Whether the typed text is one of the question's option titles or synonyms, as written (accents
    and case aside)."""
    typed = normalize(text)
    return any(typed == normalize(s) for o in for_question(question) for s in (o.title, *o.synonyms))
