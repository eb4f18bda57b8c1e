"""The curated domain thesaurus, stop words and generic words, loaded from ``matching/data``.

The data files are plain text so that non-programmers can extend them; see docs/matching.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA, Levenshtein

DATA_DIR = Path(__file__).with_name("data")

_VOWELS = frozenset("aeiouy")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Dutch plural/possessive after an apostrophe ("mbo'ers", "BBL'ers", "auto's", "foto's"): the part after
# the apostrophe is an ending, not a word of its own.
_APOSTROPHE_ENDING = re.compile(r"(?<=[a-z0-9])['’‘`](?:ers|er|s|tje|tjes)\b")
# Dutch words whose final -s is part of the stem, not an English plural ("klas", not "kla").
_KEEP_FINAL_S = frozenset({"mens", "kans", "eens", "cursus"})


#: Longest word that is stemmed, split or corrected; a longer "word" (pasted data, an attack) is cut to this.
MAX_WORD = 48
#: Characters of one phrase that are read (chat items are at most 200; imports may carry anything).
MAX_PHRASE = 2000
# Control characters other than white space, and invisible format characters (soft hyphen, zero-width
# space and joiners, direction marks): removed, so "warmte\u00adpomp" is one word, as a person reads it.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def clip(text: str) -> str:
    """The first ``MAX_PHRASE`` characters of a text, not ending in a cut word."""
    if len(text) <= MAX_PHRASE:
        return text
    text = text[:MAX_PHRASE]
    cut = text.rfind(" ")
    return text[:cut] if cut > 0 else text


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Lower-case, strip accents and turn every run of non-alphanumerics into one space.

    Invisible characters are removed first. Callers ``clip`` texts that may be long (profile text).
    """
    if not (text.isascii() and text.isprintable()):
        text = _INVISIBLE.sub("", text)
    if "'" in text or "\u2019" in text or "\u2018" in text or "`" in text:
        text = _APOSTROPHE_ENDING.sub("", text.lower())
    if text.isascii():
        return _NON_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    # casefold can produce new combining marks or non-ASCII letters (e.g. "ß" -> "ss" is fine, "ø" stays).
    plain = unicodedata.normalize("NFKD", plain)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


def _plural_s(w: str) -> bool:
    """Whether a final -s is a plural ending to strip."""
    return (
        w.endswith("s")
        and len(w) >= 4
        and w[-2] not in "siu"
        and not w.endswith(("les", "ces", "ss", "ous"))
        and w not in _KEEP_FINAL_S
        # Dutch words on consonant + "as" keep their s ("klas", "proefkas", "glas"); English plurals of
        # words on -a mostly have a vowel before the a ("ideas", "areas").
        and not (w.endswith("as") and w[-3] not in _VOWELS)
    )


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """A light Dutch/English stemmer: plurals, doubled letters, final v/z. Same input, same output."""
    w = word
    if len(w) <= 3 or len(w) > MAX_WORD or not w.isalpha():
        return w[:MAX_WORD]
    if w.endswith("ies") and len(w) > 5:
        w = w[:-3] + "y"
    elif w.endswith("heden") and len(w) > 7:
        w = w[:-5] + "heid"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("en") and len(w) >= 5 and w[-3] not in _VOWELS:
        w = w[:-2]
        if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in _VOWELS:
            w = w[:-1]
        # The singular gets the same treatment as the plural's remainder: "fietsen" -> fiets -> fiet
        # as "fiets" -> fiet, "plaatsen" as "plaats".
        if _plural_s(w):
            w = w[:-1]
    elif _plural_s(w):
        w = w[:-1]
    # Undouble a long vowel in a closed final syllable: paneel -> panel (as panelen -> panel).
    if len(w) >= 5 and w[-1] not in _VOWELS and w[-2] == w[-3] and w[-2] in "aeou" and w[-4] not in _VOWELS:
        w = w[:-2] + w[-1]
    if w.endswith("v") and len(w) >= 4:
        w = w[:-1] + "f"
    elif w.endswith("z") and len(w) >= 4:
        w = w[:-1] + "s"
    return w


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {ch: (r, c + 0.5 * r) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
_SOUNDS_ALIKE = frozenset({("d", "t"), ("c", "k"), ("s", "z"), ("f", "v"), ("c", "s"), ("g", "ch")})


def _slip(a: str, b: str) -> bool:
    """Whether typing ``b`` as ``a`` is a plausible slip: neighbouring keys, vowels, or letters that sound
    alike in Dutch or English (d/t, c/k, s/z, f/v)."""
    if a in _VOWELS and b in _VOWELS:
        return True
    if (a, b) in _SOUNDS_ALIKE or (b, a) in _SOUNDS_ALIKE:
        return True
    ka, kb = _KEY_AT.get(a), _KEY_AT.get(b)
    return ka is not None and kb is not None and abs(ka[0] - kb[0]) <= 1 and abs(ka[1] - kb[1]) <= 1.0


def is_typo(word: str, target: str) -> bool:
    """Whether ``word`` is ``target`` with a typing mistake rather than another word: at most one edit
    (two from ten letters on) of the kinds people make on a phone keyboard: a letter left out, added or
    swapped with its neighbour, or replaced by a neighbouring key, another vowel or a letter that sounds
    alike. "stagair" and "excurise" are typos; "winter" is no "intern", "wiring" no "hiring"."""
    budget = 1 if len(word) < 10 else 2
    if word == target or abs(len(word) - len(target)) > budget:
        return False
    if OSA.distance(word, target, score_cutoff=budget) > budget:
        return False  # too far apart whatever the kind of edit (the common case, in C)
    if Levenshtein.distance(word, target) <= budget:  # no swap needed: every replacement must be a slip
        ops = Levenshtein.editops(word, target)
        return all(op.tag != "replace" or _slip(word[op.src_pos], target[op.dest_pos]) for op in ops)
    # Optimal string alignment distance; a substitution that is no slip costs more than the budget.
    n, m = len(word), len(target)
    previous2: list[int] = []
    previous = list(range(m + 1))
    for i in range(1, n + 1):
        current = [i] + [0] * m
        for j in range(1, m + 1):
            a, b = word[i - 1], target[j - 1]
            cost = 0 if a == b else (1 if _slip(a, b) else budget + 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == target[j - 2] and word[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
        if min(previous) > budget:
            return False
    return previous[m] <= budget


def is_plural_typo(word: str, target: str) -> bool:
    """Whether ``word`` is a slip in the plural of the stem ``target`` ("laadpalne" for laadpal-en): a slip
    in the ending keeps the word from being stemmed, so it is compared with the plural forms."""
    return any(is_typo(word, target + ending) for ending in ("en", "s", "e"))


def _lines(name: str) -> list[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True)
class Thesaurus:
    """The loaded data files, keyed by stemmed token sequences.

    Fields:
        phrases: stemmed token sequence of a variant -> concept name (single words are 1-tuples).
        broader: concept -> broader concepts it partly implies.
        known: stems of all single-word variants and concept names (the lexicon used to split compounds
            and to correct typos).
        stopwords: folded stop words of Dutch and English.
        generic: terms (concepts or stems) that almost everyone writes; damped when weighting.
        max_phrase_len: the longest variant in tokens.
        combinations: (concept, first terms, second terms, ordered): a phrase with a term of each group
            means the concept ("training" + "docent" -> docentprofessionalisering); both terms are replaced
            by it. When ``ordered``, only if the first group's term comes first ("studenten voor een stage"
            is a person, "stageplekken voor studenten" a place).
        frames: (concept, verb stems, context stems): a phrase with a verb and a context word (stop words
            count: "bedrijven die ons willen ontvangen") also means the concept; the verb is replaced by it,
            the context kept. From the ``~`` lines of ``combinations.txt``.
        audiences: (key, terms naming it, roles that always are it, roles that are it when their
            organisation's name contains one of the terms), from ``audience.txt``.
        negation: negation cues, from ``negation.txt``.
        counterparts: (person concept, place concept) pairs that match across sides, from
            ``counterparts.txt`` ("stagiair" sought by a company <-> "stage" sought by a school).
        activities: concepts that say what kind of collaboration, resource or audience a phrase is about
            (gastles, stage, subsidie, vmbo, ...) rather than its topic: every concept outside the
            thesaurus' ``[sector ...]`` sections.
        phrase_words: stems of the words of multi-word variants, kept whole (not split as compounds).
        kinds: concept -> its section's kind (activity, resource, level, sector).
        families: sector concept -> its sector families (``[sector maak]``; also those of its broader
            sector concepts): fields of one family are compatible topics.
    """

    phrases: Mapping[tuple[str, ...], str]
    broader: Mapping[str, tuple[str, ...]]
    known: frozenset[str]
    stopwords: frozenset[str]
    generic: frozenset[str]
    max_phrase_len: int
    combinations: tuple[tuple[str, frozenset[str], frozenset[str], bool], ...] = ()
    frames: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()
    audiences: tuple[tuple[str, frozenset[str], frozenset[str], frozenset[str]], ...] = ()
    negation: Negation | None = None
    counterparts: tuple[tuple[str, str], ...] = ()
    activities: frozenset[str] = frozenset()
    kinds: Mapping[str, str] = field(default_factory=dict)
    phrase_words: frozenset[str] = frozenset()
    families: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Negation:
    """Negation cues from ``negation.txt`` (folded words; ``after`` holds word sequences)."""

    before: frozenset[str]
    after: tuple[tuple[str, ...], ...]
    exceptions: frozenset[str]
    ends: frozenset[str]


def _stem_tokens(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in fold(text).split())


def _codes(text: str) -> frozenset[str]:
    return frozenset(c.strip() for c in text.split(",") if c.strip())


@cache
def load_thesaurus() -> Thesaurus:
    """Load and index the data files once per process."""
    stopwords = frozenset(w for line in _lines("stopwords.txt") for w in fold(line).split())
    phrases: dict[tuple[str, ...], str] = {}
    broader: dict[str, tuple[str, ...]] = {}
    kinds: dict[str, str] = {}
    families: dict[str, tuple[str, ...]] = {}
    section: tuple[str, ...] = ("sector",)
    for line in _lines("thesaurus.txt"):
        if line.startswith("["):  # "[activity]", "[sector maak]": kind (and family) of what follows
            section = tuple(line.strip("[] ").split())
            continue
        head, _, rest = line.partition("=")
        concept = fold(head).replace(" ", "")
        kinds.setdefault(concept, section[0])
        if len(section) > 1:
            families.setdefault(concept, tuple(section[1:]))
        variants_text, _, broader_text = rest.partition("|")
        variants = [concept, *variants_text.split(",")]
        for variant in variants:
            key = _stem_tokens(variant)
            if key:
                phrases.setdefault(key, concept)
            # Also without stop words ("scholing voor docenten" ~ "scholing docenten"), if still 2+ words.
            words = [w for w in fold(variant).split() if w not in stopwords]
            if 2 <= len(words) < len(key):
                phrases.setdefault(tuple(stem(w) for w in words), concept)
        wider = tuple(fold(b).replace(" ", "") for b in broader_text.split(",") if b.strip())
        if wider:
            broader[concept] = wider
    # Words of multi-word variants ("food processing"): never split nor corrected, or the variant is lost.
    phrase_words = frozenset(t for key in phrases if len(key) > 1 for t in key if len(t) >= 4)
    known = {key[0] for key in phrases if len(key) == 1 and len(key[0]) >= 3}
    known |= set(phrases.values())
    known |= {stem(w) for line in _lines("words.txt") for w in fold(line).split() if len(w) >= 3}
    generic: set[str] = set()
    for line in _lines("generic.txt"):
        known |= {stem(w) for w in fold(line).split() if len(w) >= 4}
        key = _stem_tokens(line)
        if key in phrases:
            generic.add(phrases[key])
        elif len(key) == 1:
            generic.add(key[0])
    combinations = []
    frames = []
    for line in _lines("combinations.txt"):
        head, _, rest = line.partition("=")
        if "~" in rest:  # a verb frame: stems as written, stop words included
            verbs, _, context = rest.partition("~")
            frames.append(
                (
                    fold(head).replace(" ", ""),
                    frozenset(stem(w) for w in fold(verbs.replace(",", " ")).split()),
                    frozenset(stem(w) for w in fold(context.replace(",", " ")).split()),
                )
            )
            continue
        ordered = ">" in rest
        first, _, second = rest.partition(">" if ordered else "&")
        groups = tuple(
            frozenset(phrases.get(key, key[0]) for w in group.split(",") if len(key := _stem_tokens(w)) == 1)
            for group in (first, second)
        )
        combinations.append((fold(head).replace(" ", ""), groups[0], groups[1], ordered))
    audiences = []
    for line in _lines("audience.txt"):
        head, _, rest = line.partition("=")
        naming, _, roles_text = rest.partition("|")
        always, _, named = roles_text.partition("|")
        terms = frozenset(phrases.get(key, key[0]) for w in naming.split(",") if (key := _stem_tokens(w)))
        audiences.append((fold(head).replace(" ", ""), terms, _codes(always), _codes(named)))
    fields = {}
    for line in _lines("negation.txt"):
        head, _, rest = line.partition("=")
        fields[head.strip()] = [fold(w) for w in rest.split(",") if fold(w)]
    negation = Negation(
        before=frozenset(fields.get("before", ())),
        after=tuple(tuple(w.split()) for w in fields.get("after", ())),
        exceptions=frozenset(fields.get("not", ())),
        ends=frozenset(fields.get("end", ())),
    )
    counterparts = []
    for line in _lines("counterparts.txt"):
        person, _, place = line.partition("<>")
        counterparts.append((fold(person).replace(" ", ""), fold(place).replace(" ", "")))
    # A concept is also in the families of its broader sector concepts (isolatie: bouw and energy).
    for concept, wider in broader.items():
        extra = tuple(f for b in wider for f in families.get(b, ()) if f not in families.get(concept, ()))
        if extra and kinds.get(concept) == "sector":
            families[concept] = tuple(dict.fromkeys((*families.get(concept, ()), *extra)))
    activities = frozenset(c for c, kind in kinds.items() if kind != "sector")
    return Thesaurus(
        phrase_words=phrase_words,
        activities=activities,
        kinds=kinds,
        families=families,
        counterparts=tuple(counterparts),
        negation=negation,
        phrases=phrases,
        combinations=tuple(combinations),
        frames=tuple(frames),
        audiences=tuple(audiences),
        broader=broader,
        known=frozenset(known),
        stopwords=stopwords,
        generic=frozenset(generic),
        max_phrase_len=max(len(k) for k in phrases),
    )
