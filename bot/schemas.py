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

SERVICE = {
    "type": "object",
    "required": ["service"],
    "additionalProperties": False,
    "properties": {
        "service": {
            "type": "object",
            "required": ["name", "phone", "email", "hours"],
            "additionalProperties": False,
            "properties": {"name": _TEXT, "phone": _TEXT, "email": _TEXT, "hours": _TEXT},
        }
    },
}
