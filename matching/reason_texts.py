"""Person-facing reason templates and region names, per language (data, not logic).

Placeholders: {own} the reader's phrase, {other} the other's phrase, {name} the other's name,
{themes} a comma-separated list, {region}/{own_region}/{other_region} region names below.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LANGUAGE = "nl"

TEMPLATES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "need_offer": "Jij zoekt: {own} — {name} biedt: {other}",
        "offer_need": "Jij biedt: {own} — {name} zoekt: {other}",
        "themes": "Gedeelde thema's: {themes}",
        "regions_same": "Jullie zitten allebei in {region}",
        "regions_other": "Regio: jij in {own_region}, {name} in {other_region}",
    },
    "en": {
        "need_offer": "You are looking for: {own} — {name} offers: {other}",
        "offer_need": "You offer: {own} — {name} is looking for: {other}",
        "themes": "Shared themes: {themes}",
        "regions_same": "You are both in {region}",
        "regions_other": "Regions: you in {own_region}, {name} in {other_region}",
    },
}

REGION_NAMES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "achterhoek": "de Achterhoek",
        "arnhem-nijmegen": "regio Arnhem-Nijmegen",
        "foodvalley": "regio Foodvalley",
        "cleantech": "de Cleantech Regio",
        "noord-veluwe": "de Noord-Veluwe",
        "rivierenland": "Rivierenland",
        "outside": "buiten Gelderland",
    },
    "en": {
        "achterhoek": "the Achterhoek",
        "arnhem-nijmegen": "the Arnhem-Nijmegen region",
        "foodvalley": "the Foodvalley region",
        "cleantech": "the Cleantech Region",
        "noord-veluwe": "the Noord-Veluwe",
        "rivierenland": "Rivierenland",
        "outside": "outside Gelderland",
    },
}
