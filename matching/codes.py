"""Code lists (roles, regions, reaches) and lenient parsers for human-written cells."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from rapidfuzz import fuzz, process

from matching.thesaurus import clip, fold

__all__ = ["NEIGHBOURS", "REACHES", "REGIONS", "ROLES", "parse_reach", "parse_region", "parse_role"]

#: Participant roles. ``school`` is secondary school (vmbo/havo/vwo, also primary school), ``mbo``/``hbo``
#: vocational and applied-science education, ``training`` a training provider or knowledge centre,
#: ``coordinator`` a Techniekpact or other regional programme coordinator.
ROLES: tuple[str, ...] = ("school", "mbo", "hbo", "training", "company", "coordinator", "government", "other")

#: The six Gelderland economic regions, ``gelderland`` for the whole province (the province itself, a
#: programme for all of Gelderland), and ``outside`` for anything outside Gelderland.
REGIONS: tuple[str, ...] = (
    "achterhoek",
    "arnhem-nijmegen",
    "foodvalley",
    "cleantech",
    "noord-veluwe",
    "rivierenland",
    "gelderland",
    "outside",
)

_SIX = frozenset(REGIONS[:6])

#: Which regions border each other (symmetric); the whole province borders each of the six; ``outside``
#: has no neighbours.
NEIGHBOURS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "achterhoek": frozenset({"arnhem-nijmegen", "cleantech", "gelderland"}),
        "arnhem-nijmegen": frozenset({"achterhoek", "cleantech", "foodvalley", "rivierenland", "gelderland"}),
        "foodvalley": frozenset(
            {"arnhem-nijmegen", "cleantech", "noord-veluwe", "rivierenland", "gelderland"}
        ),
        "cleantech": frozenset({"achterhoek", "arnhem-nijmegen", "foodvalley", "noord-veluwe", "gelderland"}),
        "noord-veluwe": frozenset({"cleantech", "foodvalley", "gelderland"}),
        "rivierenland": frozenset({"arnhem-nijmegen", "foodvalley", "gelderland"}),
        "gelderland": _SIX,
        "outside": frozenset(),
    }
)

#: How far a participant wants to look for partners.
REACHES: tuple[str, ...] = ("own", "neighbours", "anywhere")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


# Keywords checked in order: the first role whose keyword occurs as a word (or word prefix) wins.
_ROLE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "coordinator",
        (
            "techniekpact",
            "pact",
            "coordinator",
            "co rdinator",
            "regisseur",
            "programmamanager",
            "makelaar",
            "netwerk",
            "platform",
            "sto",
            "sterk techniek",
        ),
    ),
    (
        "government",
        (
            "gemeente",
            "provincie",
            "overheid",
            "government",
            "municipality",
            "province",
            "ministerie",
            "waterschap",
            "uwv",
            "rijkswaterstaat",
        ),
    ),
    (
        "hbo",
        (
            "hbo",
            "hogeschool",
            "universiteit",
            "university",
            "wo",
            "han",
            "wur",
            "saxion",
            "lectoraat",
            "applied science",
            "college of applied",
        ),
    ),
    (
        "mbo",
        (
            "mbo",
            "roc",
            "vakschool",
            "vocational",
            "aoc",
            "graafschap college",
            "rijn ijssel",
            "aventus",
            "landstede",
            "rijn ijssel",
            "vet",
        ),
    ),
    (
        "school",
        (
            "vmbo",
            "school",
            "havo",
            "vwo",
            "vo",
            "voortgezet",
            "basisschool",
            "po",
            "primair",
            "lyceum",
            "scholengemeenschap",
            "secondary",
            "college",
            "praktijkonderwijs",
            "pro",
        ),
    ),
    (
        "training",
        (
            "opleider",
            "opleiding",
            "training",
            "trainer",
            "kenniscentrum",
            "academy",
            "academie",
            "leerbedrijf",
            "opleidingsbedrijf",
            "scholing",
            "omscholing",
        ),
    ),
    (
        "company",
        (
            "bedrijf",
            "company",
            "onderneming",
            "werkgever",
            "employer",
            "bv",
            "b v",
            "mkb",
            "firm",
            "business",
            "industrie",
            "industry",
            "installateur",
            "installer",
            "fabriek",
            "producent",
            "aannemer",
            "contractor",
            "zzp",
            "ondernemer",
            "startup",
            "corporate",
            "company",
        ),
    ),
)


def parse_role(text: str) -> str:
    """Map a human-written role cell ("vmbo", "Bedrijf", "Techniekpact", ...) to a code in ``ROLES``.

    Unknown or empty text gives ``"other"``; exact codes are accepted as they are.
    """
    folded = _fold(text)
    if not folded:
        return "other"
    if folded in ROLES:
        return folded
    words = folded.split()
    padded = f" {folded} "
    for role, keywords in _ROLE_KEYWORDS:
        for keyword in keywords:
            if " " in keyword:
                if f" {keyword} " in padded:
                    return role
            elif keyword in words or (len(keyword) >= 6 and any(keyword in w for w in words)):
                return role
    return "other"


_REGION_ALIASES: Mapping[str, str] = {
    # Region names as people write them.
    "achterhoek": "achterhoek",
    "de achterhoek": "achterhoek",
    "8rhk": "achterhoek",
    "arnhem nijmegen": "arnhem-nijmegen",
    "arnhem": "arnhem-nijmegen",
    "nijmegen": "arnhem-nijmegen",
    "regio arnhem nijmegen": "arnhem-nijmegen",
    "groene metropoolregio": "arnhem-nijmegen",
    "metropoolregio arnhem nijmegen": "arnhem-nijmegen",
    "ran": "arnhem-nijmegen",
    "foodvalley": "foodvalley",
    "food valley": "foodvalley",
    "regio foodvalley": "foodvalley",
    "cleantech": "cleantech",
    "cleantech regio": "cleantech",
    "cleantechregio": "cleantech",
    "stedendriehoek": "cleantech",
    "apeldoorn": "cleantech",
    "noord veluwe": "noord-veluwe",
    "noordveluwe": "noord-veluwe",
    "regio noord veluwe": "noord-veluwe",
    "rivierenland": "rivierenland",
    "regio rivierenland": "rivierenland",
    "betuwe": "rivierenland",
    "buiten gelderland": "outside",
    "outside": "outside",
    "outside gelderland": "outside",
    "utrecht": "outside",
    "overijssel": "outside",
    "brabant": "outside",
    "noord brabant": "outside",
    "limburg": "outside",
    "flevoland": "outside",
    "landelijk": "outside",
    "nationaal": "outside",
    "duitsland": "outside",
    "germany": "outside",
    "zwolle": "outside",
    "deventer": "outside",
    "amsterdam": "outside",
    "rotterdam": "outside",
    "den haag": "outside",
    "enschede": "outside",
    # Municipalities and towns of Gelderland.
    "doetinchem": "achterhoek",
    "winterswijk": "achterhoek",
    "aalten": "achterhoek",
    "oost gelre": "achterhoek",
    "groenlo": "achterhoek",
    "lichtenvoorde": "achterhoek",
    "berkelland": "achterhoek",
    "borculo": "achterhoek",
    "eibergen": "achterhoek",
    "neede": "achterhoek",
    "bronckhorst": "achterhoek",
    "montferland": "achterhoek",
    "oude ijsselstreek": "achterhoek",
    "ulft": "achterhoek",
    "terborg": "achterhoek",
    "lochem": "achterhoek",
    "zevenaar": "arnhem-nijmegen",
    "duiven": "arnhem-nijmegen",
    "westervoort": "arnhem-nijmegen",
    "rheden": "arnhem-nijmegen",
    "renkum": "arnhem-nijmegen",
    "overbetuwe": "arnhem-nijmegen",
    "lingewaard": "arnhem-nijmegen",
    "wijchen": "arnhem-nijmegen",
    "beuningen": "arnhem-nijmegen",
    "berg en dal": "arnhem-nijmegen",
    "druten": "arnhem-nijmegen",
    "heumen": "arnhem-nijmegen",
    "mook": "arnhem-nijmegen",
    "elst": "arnhem-nijmegen",
    "huissen": "arnhem-nijmegen",
    "ede": "foodvalley",
    "wageningen": "foodvalley",
    "barneveld": "foodvalley",
    "nijkerk": "foodvalley",
    "scherpenzeel": "foodvalley",
    "veenendaal": "foodvalley",
    "rhenen": "foodvalley",
    "bennekom": "foodvalley",
    "zutphen": "cleantech",
    "brummen": "cleantech",
    "epe": "cleantech",
    "voorst": "cleantech",
    "twello": "cleantech",
    "vaassen": "cleantech",
    "harderwijk": "noord-veluwe",
    "ermelo": "noord-veluwe",
    "nunspeet": "noord-veluwe",
    "elburg": "noord-veluwe",
    "oldebroek": "noord-veluwe",
    "hattem": "noord-veluwe",
    "heerde": "noord-veluwe",
    "putten": "noord-veluwe",
    "tiel": "rivierenland",
    "culemborg": "rivierenland",
    "zaltbommel": "rivierenland",
    "geldermalsen": "rivierenland",
    "west betuwe": "rivierenland",
    "buren": "rivierenland",
    "maasdriel": "rivierenland",
    "west maas en waal": "rivierenland",
    "neder betuwe": "rivierenland",
}


def parse_region(text: str) -> str:
    """Map a human-written region cell ("Arnhem Nijmegen", "Food Valley", "Doetinchem", ...) to ``REGIONS``.

    Region names, common spellings and Gelderland towns are recognised, small typos too; "Gelderland" or
    "heel Gelderland" without a region or town is the whole province (``"gelderland"``). Anything else
    (including an empty cell) is taken to be ``"outside"`` Gelderland.
    """
    folded = _fold(text)
    folded = re.sub(r"^(regio|region|gemeente)\s+", "", folded)
    if not folded:
        return "outside"
    if folded in _REGION_ALIASES:
        return _REGION_ALIASES[folded]
    joined = folded.replace(" ", "-")
    if joined in REGIONS:
        return joined
    # "Ede (Food Valley)", "Nijmegen e.o." and the like: look for a known alias inside the text.
    padded = f" {folded} "
    for alias in sorted(_REGION_ALIASES, key=len, reverse=True):
        if len(alias) >= 3 and f" {alias} " in padded:
            return _REGION_ALIASES[alias]
    # The province as a whole ("Gelderland", "heel Gelderland", "provincie"), after every region and town.
    if "gelderland" in folded.split() or folded in _PROVINCE:
        return "gelderland"
    best = process.extractOne(folded, list(_REGION_ALIASES), scorer=fuzz.ratio, score_cutoff=85)
    if best is not None:
        return _REGION_ALIASES[best[0]]
    return "outside"


def places_named(text: str) -> frozenset[str]:
    """The regions (of the six) whose names or towns a phrase mentions: "MaS-plekken in Arnhem" →
    {"arnhem-nijmegen"}. Words and word pairs or triples are looked up, so "Ede" in "Ede, Gelderland"
    counts and "ede" inside another word does not."""
    words = fold(clip(text)).split()
    if _PLACE_WORDS.isdisjoint(words):  # most phrases name no place: one set operation
        return frozenset()
    grams = {" ".join(words[k : k + n]) for n in (1, 2, 3) for k in range(len(words) - n + 1)}
    return frozenset(_PLACE_ALIASES[g] for g in grams if g in _PLACE_ALIASES)


_PROVINCE = frozenset({"provincie", "hele provincie", "de provincie", "province", "the province", "gld"})


_REACH_ALIASES: Mapping[str, str] = {
    "own": "own",
    "eigen": "own",
    "eigen regio": "own",
    "own region": "own",
    "regio": "own",
    "lokaal": "own",
    "local": "own",
    "neighbours": "neighbours",
    "neighbors": "neighbours",
    "buren": "neighbours",
    "buurregio": "neighbours",
    "buurregios": "neighbours",
    "buurregio s": "neighbours",
    "aangrenzend": "neighbours",
    "nearby": "neighbours",
    "neighbouring regions": "neighbours",
    "eigen en buurregios": "neighbours",
    "anywhere": "anywhere",
    "overal": "anywhere",
    "alles": "anywhere",
    "heel gelderland": "anywhere",
    "everywhere": "anywhere",
    "any": "anywhere",
    "": "anywhere",
}


def parse_reach(text: str) -> str | None:
    """Map a reach cell ("eigen regio", "buurregio's", "overal", ...) to ``REACHES``; ``None`` if unknown.

    An empty cell means ``"anywhere"``.
    """
    folded = _fold(text)
    if folded in _REACH_ALIASES:
        return _REACH_ALIASES[folded]
    best = process.extractOne(folded, list(_REACH_ALIASES), scorer=fuzz.ratio, score_cutoff=85)
    return _REACH_ALIASES[best[0]] if best is not None else None


# The aliases that name a place in one of the six regions (not "regio", "outside", a province).
_PLACE_ALIASES: Mapping[str, str] = MappingProxyType(
    {alias: code for alias, code in _REGION_ALIASES.items() if code in REGIONS[:6] and len(alias) >= 3}
)
_PLACE_WORDS = frozenset(word for alias in _PLACE_ALIASES for word in alias.split())
