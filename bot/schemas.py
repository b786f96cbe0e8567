"""JSON schemas of the YAML data files under data/."""

_TEXT = {"type": "string", "minLength": 1}

NEED_IDS = [
    "demarches_en_ligne",
    "utiliser_ordinateur",
    "naviguer_internet",
    "opportunites_numerique",
    "strategie_numerique",
    "presence_en_ligne",
    "outils_internes",
    "former_salaries",
    "nouveaux_services_digitaux",
]

NEEDS = {
    "type": "object",
    "required": ["needs"],
    "additionalProperties": False,
    "properties": {
        "needs": {
            "type": "object",
            "required": NEED_IDS,
            "propertyNames": {"enum": NEED_IDS},
            "additionalProperties": {
                "type": "object",
                "required": ["label", "phrase"],
                "additionalProperties": False,
                "properties": {"label": _TEXT, "phrase": _TEXT},
            },
        }
    },
}

SECTORS = {
    "type": "object",
    "required": ["sectors"],
    "additionalProperties": False,
    "properties": {
        "sectors": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {
                "^[a-z_]+$": {
                    "type": "object",
                    "required": ["label", "chamber"],
                    "additionalProperties": False,
                    "properties": {
                        "label": _TEXT,
                        "chamber": {"enum": ["cci", "cma", "agriculture", "none"]},
                    },
                }
            },
            "additionalProperties": False,
        }
    },
}

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]  # Monday first
OPENING_HOURS = {
    "type": "object",
    "required": ["week", "closed_on_public_holidays"],
    "additionalProperties": False,
    "properties": {
        "closed_on_public_holidays": {"type": "boolean"},
        "week": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                day: {"type": "array", "items": {"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"}}
                for day in WEEKDAYS
            },
        },
    },
}

SERVICE = {
    "type": "object",
    "required": ["service"],
    "additionalProperties": False,
    "properties": {
        "service": {
            "type": "object",
            "required": ["name", "phone", "email", "opening_hours", "max_validation_failures", "retention_months"],
            "additionalProperties": False,
            "properties": {
                "name": _TEXT,
                "phone": _TEXT,
                "email": _TEXT,
                "opening_hours": OPENING_HOURS,
                "max_validation_failures": {"type": "integer", "minimum": 1, "maximum": 5},
                "retention_months": {"type": "integer", "minimum": 1, "maximum": 36},
                "follow_up_days_after_deadline": {"type": "integer", "minimum": 0, "maximum": 90},
                "follow_up_days": {"type": "integer", "minimum": 1, "maximum": 180},
            },
        }
    },
}

_LEVEL = {"type": "integer", "minimum": 1, "maximum": 4}
_URL = {"type": "string", "pattern": "^https://[a-z0-9.-]+\\.[a-z]+/?$"}  # home pages only
_SOURCE = {"type": "string", "pattern": "^https://[a-z0-9.-]+\\.[a-z]+(/\\S*)?$"}  # where a fact was checked
_CHECKED = {"type": "string", "pattern": "^20[0-9]{2}-[01][0-9]-[0-3][0-9]$"}  # "YYYY-MM-DD", quoted in YAML

KNOWLEDGE = {
    "type": "object",
    "required": ["need", "nature", "solutions", "resources", "tip"],
    "additionalProperties": False,
    "properties": {
        "need": {"enum": NEED_IDS},
        "nature": {"enum": ["technique", "strategique"]},
        "obligation": {  # a legal obligation tied to the need: said first, never offered as a « piste »
            "type": "object",
            "required": ["title", "summary", "details", "source", "checked"],
            "additionalProperties": False,
            "properties": {
                "title": _TEXT,
                "summary": _TEXT,
                "details": _TEXT,
                "source": _SOURCE,
                "checked": _CHECKED,
                "note": _TEXT,
            },
        },
        "solutions": {
            "type": "array",
            "minItems": 2,
            "maxItems": 6,
            "items": {
                "type": "object",
                "required": ["id", "title", "description", "levels", "advantages", "drawbacks", "effort"],
                "additionalProperties": False,
                # a solution stating a fact (a date, a rule, a scheme) says where it was checked
                "dependentRequired": {"source": ["checked"], "checked": ["source"]},
                "properties": {
                    "source": _SOURCE,
                    "checked": _CHECKED,
                    "note": _TEXT,  # for the team: what the source does not settle, what to re-check
                    "team_only": {"type": "boolean"},  # only for a business with employees
                    "solo_only": {"type": "boolean"},  # only for someone working alone
                    "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "title": _TEXT,
                    "description": _TEXT,
                    "levels": {"type": "array", "items": _LEVEL, "minItems": 1, "uniqueItems": True},
                    "advantages": {"type": "array", "items": _TEXT, "minItems": 1},
                    "drawbacks": {"type": "array", "items": _TEXT, "minItems": 1},
                    "effort": {"enum": ["faible", "moyen", "important"]},
                },
            },
        },
        "resources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "what", "url", "checked"],
                "additionalProperties": False,
                "properties": {"name": _TEXT, "what": _TEXT, "url": _URL, "source": _SOURCE, "checked": _CHECKED, "note": _TEXT},
            },
        },
        "tip": _TEXT,
    },
}

OUT_OF_SCOPE_TOPICS = [
    "juridique",
    "litige",
    "cotisations",
    "particulier",
    "fiscalite",
    "financement",
    "rh_droit_du_travail",
    "locaux_bail",
    "creation_entreprise",
    "assurance",
    "comptabilite",
    "sante_personnel",
    "autre",
]

REFERRALS = {
    "type": "object",
    "required": ["structures"],
    "additionalProperties": False,
    "properties": {
        "structures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name", "what", "why", "how", "url", "scope", "needs", "topics", "source", "checked"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "source": _SOURCE,
                    "checked": _CHECKED,
                    "note": _TEXT,
                    "name": _TEXT,
                    "what": _TEXT,
                    "why": _TEXT,
                    "how": _TEXT,
                    "url": _URL,
                    "scope": {"enum": ["national", "local"]},
                    "needs": {"type": "array", "items": {"enum": NEED_IDS}, "uniqueItems": True},
                    "topics": {"type": "array", "items": {"enum": OUT_OF_SCOPE_TOPICS}, "uniqueItems": True},
                    "sectors": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                },
            },
        }
    },
}

_ANSWER = {
    "type": "object",
    "required": ["id", "title"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 32},
        "score": {"type": "integer", "minimum": 0, "maximum": 3},
        "nature": {"enum": ["technique", "strategique"]},
    },
}

MATURITY = {
    "type": "object",
    "required": ["questions", "levels"],
    "additionalProperties": False,
    "properties": {
        "questions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 6,
            "items": {
                "type": "object",
                "required": ["id", "text", "measures", "answers"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "text": _TEXT,
                    "measures": {"enum": ["structure", "skills", "nature"]},
                    "answers": {"type": "array", "minItems": 2, "items": _ANSWER},
                },
            },
        },
        "levels": {
            "type": "object",
            "required": ["structure", "skills"],
            "additionalProperties": False,
            "properties": {
                "structure": {
                    "type": "array",
                    "minItems": 4,
                    "maxItems": 4,
                    "items": {
                        "type": "object",
                        "required": ["level", "name", "min_score", "description"],
                        "additionalProperties": False,
                        "properties": {
                            "level": _LEVEL,
                            "name": _TEXT,
                            "min_score": {"type": "integer", "minimum": 0},
                            "description": _TEXT,
                        },
                    },
                },
                "skills": {
                    "type": "array",
                    "minItems": 3,
                    "maxItems": 3,
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "min_score", "description", "pix"],
                        "additionalProperties": False,
                        "properties": {
                            "id": {"enum": ["debutant", "intermediaire", "avance"]},
                            "name": _TEXT,
                            "min_score": {"type": "integer", "minimum": 0},
                            "description": _TEXT,
                            "pix": _TEXT,
                        },
                    },
                },
            },
        },
    },
}

# data/situation.yml: the business's situation, asked only for the needs that call for it
SITUATION = {
    "type": "object",
    "required": ["questions"],
    "additionalProperties": False,
    "properties": {
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "label", "text", "needs", "answers"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "label": _TEXT,
                    "text": _TEXT,
                    "needs": {"type": "array", "minItems": 1, "items": {"enum": NEED_IDS}, "uniqueItems": True},
                    "answers": {
                        "type": "array",
                        "minItems": 2,
                        "items": {
                            "type": "object",
                            "required": ["id", "title", "said"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                                "title": {"type": "string", "minLength": 1, "maxLength": 30},
                                "said": _TEXT,
                            },
                        },
                    },
                },
            },
        }
    },
}

TOPICS = {
    "type": "object",
    "required": ["topics"],
    "additionalProperties": False,
    "properties": {
        "topics": {
            "type": "object",
            "propertyNames": {"enum": OUT_OF_SCOPE_TOPICS},
            "additionalProperties": {"type": "array", "minItems": 1, "items": _TEXT},
        }
    },
}

_WORDS = {"type": "array", "minItems": 1, "items": _TEXT}  # quote yes/no: YAML reads them as booleans
TYPED_ANSWERS = {
    "type": "object",
    "required": ["shared", "questions", "requests_for_a_person", "person_words"],
    "additionalProperties": False,
    "properties": {
        "shared": {"type": "object", "additionalProperties": _WORDS},
        "requests_for_a_person": _WORDS,
        "person_words": _WORDS,
        "questions": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {"^(utter_[a-z_]+|q_[a-z0-9_]+)$": {"type": "object", "additionalProperties": _WORDS}},
            "additionalProperties": False,
        },
    },
}

_LABELS = {"type": "object", "additionalProperties": _TEXT}
SYNTHESIS = {
    "type": "object",
    "required": ["urgency", "profile", "effectif", "role", "nature", "topics", "modes"],
    "additionalProperties": False,
    "properties": {
        "urgency": {
            "type": "object",
            "required": ["deadline_days", "deadline_cues", "penalty", "cyber"],
            "additionalProperties": False,
            "properties": {
                "deadline_days": {"type": "integer", "minimum": 1},
                "deadline_cues": _WORDS,
                "penalty": _WORDS,
                "cyber": _WORDS,
                # {situation question id: cyber words that do not count in the answer to it}
                "not_cyber_in_answer_to": {"type": "object", "additionalProperties": _WORDS},
            },
        },
        "profile": {
            "type": "object",
            "required": ["entreprise", "secteur", "effectif", "role", "code_postal"],
            "additionalProperties": _TEXT,
        },
        "effectif": _LABELS,
        "role": _LABELS,
        "nature": {"type": "object", "required": ["technique", "strategique"], "additionalProperties": _TEXT},
        "topics": {
            "type": "object",
            "propertyNames": {"enum": OUT_OF_SCOPE_TOPICS},
            "required": ["autre"],  # said for a topic without a label of its own
            "additionalProperties": _TEXT,
        },
        "modes": _LABELS,
    },
}


# data/accessibility.yml: the pages the accessibility statement says were checked (bot/web/checked_pages.py)
ACCESSIBILITY = {
    "type": "object",
    "required": ["pages"],
    "additionalProperties": False,
    "properties": {
        "pages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "audience", "name"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z-]+$"},
                    "audience": {"enum": ["public", "console"]},
                    "name": _TEXT,
                },
            },
        }
    },
}
