"""Person-facing reason templates and region names, per language (data, not logic).

Placeholders: {own} the reader's phrase, {other} the other's phrase, {name} the other's name,
{themes} a comma-separated list, {region}/{own_region}/{other_region} the "where" phrases below
("in de Achterhoek", "buiten Gelderland").
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LANGUAGE = "nl"

TEMPLATES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "need_offer": "Jij zoekt: {own} — {name} biedt: {other}",
        "offer_need": "Jij biedt: {own} — {name} zoekt: {other}",
        "need_need": "Jij zoekt: {own} — {name} zoekt: {other}",
        "offer_offer": "Jij biedt: {own} — {name} biedt: {other}",
        "themes": "Gedeelde thema's: {themes}",
        "regions_same": "Jullie zitten allebei {region}",
        "regions_other": "Regio: jij {own_region}, {name} {other_region}",
    },
    "en": {
        "need_offer": "You are looking for: {own} — {name} offers: {other}",
        "offer_need": "You offer: {own} — {name} is looking for: {other}",
        "need_need": "You are looking for: {own} — {name} is looking for: {other}",
        "offer_offer": "You offer: {own} — {name} offers: {other}",
        "themes": "Shared themes: {themes}",
        "regions_same": "You are both {region}",
        "regions_other": "Regions: you {own_region}, {name} {other_region}",
    },
}

REGION_NAMES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "achterhoek": "in de Achterhoek",
        "arnhem-nijmegen": "in regio Arnhem-Nijmegen",
        "foodvalley": "in regio Foodvalley",
        "cleantech": "in de Cleantech Regio",
        "noord-veluwe": "op de Noord-Veluwe",
        "rivierenland": "in Rivierenland",
        "outside": "buiten Gelderland",
    },
    "en": {
        "achterhoek": "in the Achterhoek",
        "arnhem-nijmegen": "in the Arnhem-Nijmegen region",
        "foodvalley": "in the Foodvalley region",
        "cleantech": "in the Cleantech Region",
        "noord-veluwe": "in the Noord-Veluwe",
        "rivierenland": "in Rivierenland",
        "outside": "outside Gelderland",
    },
}
