"""Greetings, thanks and politeness around a message: « Bonjour, comment … ? Merci d'avance ».

A message is a greeting (or thanks, or a goodbye) only when it says nothing else: the intent
classifier reads what is left once the politeness around it is taken away (issue 28).
Works on text already normalised by `bot.language.textnorm.normalize` (lowercase, no accents).
"""

from __future__ import annotations

import re

# The intents that a message carrying anything else must never get.
POLITENESS_INTENTS = frozenset({"greet", "thank", "goodbye"})

_OPENINGS = (
    r"re ?bonjour|bonjour|bonsoir|bjr|bsr|bonjours|slt|salut|coucou|hello|hey|allo|"
    r"madame|monsieur|mesdames|messieurs|mme|mr|dame|a tous|a vous|tout le monde|tt le monde|a l equipe|l equipe|"
    r"je me permets de vous (?:contacter|ecrire)|je vous (?:contacte|ecris)|"
    r"excusez moi de vous deranger|desole de vous deranger|excusez moi|desole|pardon|"
    r"alors|voila|euh|ben|bah|svp|s il vous plait"
)
_CLOSINGS = (
    r"merci|mercii+|merci beaucoup|merci bcp|merci d avance|merci par avance|d avance merci|"
    r"par avance merci|merci pour votre aide|merci de votre aide|merci pour vos reponses|"
    r"merci de votre reponse|cordialement|bien cordialement|bien a vous|salutations|"
    r"bonne journee|bonne soiree|bonne fin de journee|a bientot|svp|stp|s il vous plait|"
    r"s il te plait|bcp|beaucoup|d avance|par avance|a vous|au revoir|adieu|a plus"
)
_LEADING = re.compile(rf"^(?:(?:{_OPENINGS})\b ?)+")
_TRAILING = re.compile(rf"(?: ?\b(?:et )?(?:{_CLOSINGS}))+$")


def core(normalized: str) -> str:
    """What is left of a normalised message once the greeting and politeness around it go.

    Empty when the message is only politeness (« bonjour madame », « merci beaucoup »).
    """
    return _TRAILING.sub("", _LEADING.sub("", normalized)).strip()
