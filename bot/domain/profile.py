"""Normalising the profile answers (« qui est-il ? ») onto fixed values."""

from __future__ import annotations

from bot.language.answers import NUMBER_WORDS
from bot.language.textnorm import normalize

# « deux employés », « une douzaine »: numbers of people in words
SIZE_WORDS = {
    **NUMBER_WORDS,
    "douzaine": 12,
    "quinzaine": 15,
    "vingtaine": 20,
    "trentaine": 30,
    "cinquantaine": 50,
    "centaine": 100,
}

NOT_GIVEN = "non_renseigne"
SKIP_WORDS = ("prefere ne pas", "prefere pas", "pas repondre", "passer", "je passe", "je ne sais pas", "jsp")
ROLES = {
    "dirigeant": ["dirigeant", "gerant", "patron", "proprietaire", "chef", "associe", "responsable"],
    "salarie": ["salarie", "employe", "apprenti"],
    "secretariat": ["secretaire", "secretariat", "administratif", "assistante", "conjoint"],
}


def skipped(text: str) -> bool:
    """« Je préfère ne pas répondre », « je ne sais pas »…: the right not to answer."""
    return any(word in normalize(text) for word in SKIP_WORDS)


def size_bucket(text: str) -> str | None:
    """'3 salariés' -> '1-9', 'je suis seul' -> 'seul', 'une dizaine' -> '10+'; None if unclear."""
    typed = normalize(text)
    if skipped(text):
        return NOT_GIVEN
    if "seul" in typed or typed in ("moi", "juste moi", "0"):
        return "seul"
    numbers = [int(w) if w.isdigit() else SIZE_WORDS[w] for w in typed.split() if w.isdigit() or w in SIZE_WORDS]
    if "moins de" in typed and numbers and max(numbers) <= 10:
        return "1-9"  # « moins de dix »
    if "10 et plus" in typed or "plus de 10" in typed or "dizaine" in typed or (numbers and max(numbers) >= 10):
        return "10+"
    if numbers or "1 a 9" in typed:
        return "1-9"
    return None


def role_of(text: str) -> str | None:
    typed = normalize(text)
    if skipped(text):
        return NOT_GIVEN
    for role, words in ROLES.items():
        if any(word in typed for word in words):
            return role
    return "autre" if typed == "autre" else None


PROFILE_KEYS = ("entreprise", "secteur", "effectif", "role", "code_postal")


def profile_values(slots: dict[str, str | None]) -> dict[str, str]:
    """The profile to store, from all the tracker's slots: normalised, without unanswered ones."""
    values = {}
    for key in PROFILE_KEYS:
        value = slots.get(key)
        if key == "effectif" and value:
            value = size_bucket(value) or value
        if value and value != NOT_GIVEN:
            values[key] = value
    return values


def _sector_forms() -> list[tuple[str, str]]:
    """(normalised surface form, sector key) from the NLU synonyms, longest forms first."""
    import yaml

    from bot import paths

    forms = []
    for item in yaml.safe_load((paths.NLU_DATA / "entities.yml").read_text(encoding="utf-8"))["nlu"]:
        if "synonym" in item:
            for line in item["examples"].splitlines():
                form = normalize(line.strip().lstrip("-").strip())
                if form:
                    forms.append((form, item["synonym"]))
    return sorted(set(forms), key=lambda pair: -len(pair[0]))


_SECTOR_FORMS: list[tuple[str, str]] = []
_SPELLINGS: dict[str, str] = {}


def _trade_spellings() -> dict[str, str]:
    """Normalised trade -> its usual written form (« electricien » -> « électricien »).

    Among the synonyms' spellings of one trade, the one most used in the NLU examples wins, an
    accented one counting double (people type without accents), then the one with accents:
    deliberate typos of the training data (« réstaurant ») lose.
    """
    if not _SPELLINGS:
        import re

        import yaml

        from bot import paths

        corpus = " ".join(p.read_text(encoding="utf-8").lower() for p in sorted(paths.NLU_DATA.glob("*.yml")))
        best: dict[str, tuple[int, int, str]] = {}
        for item in yaml.safe_load((paths.NLU_DATA / "entities.yml").read_text(encoding="utf-8"))["nlu"]:
            if "synonym" not in item:
                continue
            for line in item["examples"].splitlines():
                written = line.strip().lstrip("-").strip().lower()
                key = normalize(written)
                if not key:
                    continue
                uses = len(re.findall(rf"(?<!\w){re.escape(written)}(?!\w)", corpus))
                # people type without accents: an accented spelling counts double
                candidate = (uses * (2 if _accents(written) else 1), _accents(written), written)
                if key not in best or candidate[:2] > best[key][:2]:
                    best[key] = candidate
        _SPELLINGS.update({key: value[2] for key, value in best.items()})
    return _SPELLINGS


def _accents(text: str) -> int:
    return sum(1 for c in text if ord(c) > 127)


def trade_spelling(typed: str) -> str | None:
    """How to write back a trade the person typed: « electricien » -> « électricien », a near miss
    (« boulangrie ») -> « boulangerie »; None when it is not a known trade (never echo a typo)."""
    import difflib

    spellings = _trade_spellings()
    key = normalize(typed)
    if key in spellings:
        return spellings[key]
    close = difflib.get_close_matches(key, list(spellings), n=1, cutoff=0.85)
    return spellings[close[0]] if close else None


def sector_of(text: str) -> str | None:
    """The sector key for a trade typed in words (« je suis boulangère » -> artisanat_alimentaire)."""
    if skipped(text):
        return NOT_GIVEN
    if not _SECTOR_FORMS:
        _SECTOR_FORMS.extend(_sector_forms())
    typed = f" {normalize(text)} "
    return next((key for form, key in _SECTOR_FORMS if f" {form} " in typed), None)


def sector_exactly(text: str) -> str | None:
    """The sector key when the whole text is a trade (« plombier »), not a name that holds one."""
    if not _SECTOR_FORMS:
        _SECTOR_FORMS.extend(_sector_forms())
    typed = normalize(text)
    return next((key for form, key in _SECTOR_FORMS if form == typed), None)
