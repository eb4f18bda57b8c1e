"""Normalisation of short Dutch/English phrases into comparable terms.

Pipeline for one phrase: fold (case, accents, punctuation) -> tokens -> light stemming -> the longest
thesaurus phrases become concepts -> stop words dropped -> each remaining word is looked up, split as a
Dutch compound into known parts, or corrected as a typo of a known word. The result is a tuple of terms
(concept names or stems) in order of appearance without repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from matching.thesaurus import (
    MAX_PHRASE,
    MAX_WORD,
    Thesaurus,
    clip,
    fold,
    is_plural_typo,
    is_typo,
    load_thesaurus,
    stem,
)

_LINKS = ("", "s", "e", "en")  # Dutch linking morphemes between compound parts
_CLAUSE = re.compile(r"[,;:.!?()\[\]/|\n]+| - ")
_NEGATION_REACH = 6  # words after a "geen"/"no" that it negates at most


_DIMINUTIVES = ("etjes", "etje", "tjes", "tje", "pjes", "pje", "jes", "je")


def _diminutive_bases(word: str) -> list[str]:
    """Words a Dutch diminutive may be made from ("groepje" -> groep, "balletje" -> bal, "klasjes")."""
    bases = []
    for ending in _DIMINUTIVES:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[: -len(ending)]
            bases.append(base)
            if ending.startswith("e") and len(base) >= 4 and base[-1] == base[-2]:
                bases.append(base[:-1])
    return bases


class Analyser:
    """Turns phrases into terms; caches per token. Not part of the public API.

    ``extra_known`` adds words (stems) that count as known parts of compounds, e.g. the words a whole
    population uses; ``corrections`` maps a stem to the stem it is a typo of.
    """

    def __init__(
        self,
        thesaurus: Thesaurus | None = None,
        extra_known: Iterable[str] = (),
        corrections: Mapping[str, str] | None = None,
        correct_typos: bool = True,
    ) -> None:
        self.thesaurus = thesaurus or load_thesaurus()
        self.static_known = self.thesaurus.known | self.thesaurus.phrase_words
        self.known = frozenset(self.thesaurus.known | set(extra_known))
        self._stopwords = self.thesaurus.stopwords
        self._lexicon = sorted(self.thesaurus.known)
        self.corrections = dict(corrections or {})
        self.correct_typos = correct_typos
        self._token_cache: dict[str, tuple[str, ...]] = {}
        self._split_cache: dict[str, tuple[str, ...] | None] = {}
        self._phrase_cache: dict[str, tuple[str, ...]] = {}
        # First token of every multi-word thesaurus phrase -> its possible lengths, longest first.
        lengths: dict[str, set[int]] = {}
        for key in self.thesaurus.phrases:
            if len(key) >= 2:
                lengths.setdefault(key[0], set()).add(len(key))
        self._phrase_starts = {t: tuple(sorted(ls, reverse=True)) for t, ls in lengths.items()}
        # Words that can start a negation: a phrase with none of them needs no negation scope.
        negation = self.thesaurus.negation
        self._cues = (
            negation.before | {seq[0] for seq in negation.after} if negation is not None else frozenset()
        )
        # Every head of a single-word variant ("warmte" of "warmtepomp"): only such a word can join the next.
        self._join_heads = frozenset(
            k[0][:i] for k in self.thesaurus.phrases if len(k) == 1 for i in range(3, len(k[0]) - 2)
        )
        self._frame_verbs = frozenset(v for _, verbs, _ in self.thesaurus.frames for v in verbs)
        # Every term of a combinations.txt group: a phrase with none of them needs no combination check.
        self._combined = frozenset(
            t for _, first, second, _ in self.thesaurus.combinations for t in first | second
        )

    # -- single words -------------------------------------------------------------------------------
    def _concept(self, stemmed: str) -> str:
        return self.thesaurus.phrases.get((stemmed,), stemmed)

    def _known_stem(self, part: str) -> str | None:
        s = stem(part)
        if s in self.known and len(s) >= 3:
            return s
        if part in self.known and len(part) >= 3:
            return part
        return None

    def split_compound(self, word: str) -> tuple[str, ...] | None:
        """Split a folded word into known stems ("zonnepaneleninstallatie" -> zonnepanel, installatie).

        Longest known tail first (Dutch compounds are head-final), then a known head or a head that splits
        itself. Heads are split with an explicit stack, not recursion, and words longer than ``MAX_WORD``
        are not split: the work per word is bounded whatever the input.
        """
        if word in self._split_cache:
            return self._split_cache[word]
        if len(word) > MAX_WORD:
            return None
        stack = [word]
        while stack:
            result, head = self._split_once(stack[-1])
            if head is not None:
                stack.append(head)  # split this head first, then try the word again
                continue
            self._split_cache[stack.pop()] = result
        return self._split_cache[word]

    def _split_once(self, word: str) -> tuple[tuple[str, ...] | None, str | None]:
        """``(split, None)``, or ``(None, head)`` when a head must be split first."""
        n = len(word)
        if n < 6:
            return None, None
        for i in range(3, n - 2):
            tail = self._known_stem(word[i:])
            if tail is None:
                continue
            head_full = word[:i]
            for link in _LINKS:
                if link and not head_full.endswith(link):
                    continue
                head = head_full[: len(head_full) - len(link)] if link else head_full
                if len(head) < 3:
                    continue
                known_head = self._known_stem(head)
                if known_head is not None:
                    return (known_head, tail), None
                if len(head) >= 6:
                    if head not in self._split_cache:
                        return None, head
                    sub = self._split_cache[head]
                    if sub is not None:
                        return (*sub, tail), None
        return None, None

    def split_loose(self, word: str) -> tuple[str, ...] | None:
        """Split a compound of which only one side is known (tried after typo correction)."""
        result: tuple[str, ...] | None = None
        n = len(word)
        if n >= 9:
            if result is None:
                # Unknown modifier, known head of 5+ letters: "afstudeerstagiair" -> afstudeer + stagiair.
                for i in range(4, n - 4):
                    known_tail = self._known_stem(word[i:])
                    if known_tail is not None and len(word) - i >= 5:
                        result = (stem(word[:i]), known_tail)
                        break
            if result is None:
                # Known modifier of 5+ letters, unknown head: "instroomtraject" -> instroom + traject. The
                # compound is a kind of its unknown head, so a modifier that is a kind of collaboration or
                # a level is no evidence: "internationale" is no "intern" (stagiair).
                for i in range(n - 4, 4, -1):
                    known_head = self._known_stem(word[:i])
                    if known_head is not None:
                        if self._concept(known_head) not in self.thesaurus.activities:
                            result = (known_head, stem(word[i:]))
                        break
        return result

    def _typo(self, stemmed: str) -> str | None:
        if stemmed in self.corrections:
            return self.corrections[stemmed]
        if not self.correct_typos or len(stemmed) < 6 or not stemmed.isalpha():
            return None
        cutoff = 85.0 if len(stemmed) >= 8 else 83.0
        best = process.extractOne(stemmed, self._lexicon, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None or not (is_typo(stemmed, best[0]) or is_plural_typo(stemmed, best[0])):
            return None
        return best[0]

    def expand_word(self, word: str) -> tuple[str, ...]:
        """Stems for one folded word: itself if known or short, else its compound parts or typo fix."""
        cached = self._token_cache.get(word)
        if cached is not None:
            return cached
        s = stem(word)
        parts: tuple[str, ...]
        small = (
            next((stem(b) for b in _diminutive_bases(word) if stem(b) in self.static_known), None)
            if s not in self.static_known and word.endswith(("je", "jes"))
            else None
        )
        if small is not None:
            parts = (small,)  # "groepje" -> groep, "klasjes" -> klas
        elif s in self.static_known or len(word) < 6 or len(word) > MAX_WORD or not word.isalpha():
            parts = (s,)
        else:
            split = self.split_compound(word)
            fixed = self._typo(s) if split is None else None
            loose = self.split_loose(word) if split is None and fixed is None else None
            if split is not None:
                parts = split
            elif fixed is not None:
                parts = (fixed,)
            elif loose is not None:
                parts = loose
            else:
                parts = (s,)
        self._token_cache[word] = parts
        return parts

    # -- phrases --------------------------------------------------------------------------------------
    def _phrase_pass(
        self, items: list[tuple[str, bool, bool]], as_written: bool = True
    ) -> list[tuple[str, bool, bool]]:
        """Replace the longest multi-word thesaurus phrases by their concept; items are
        (stem or concept, is stop word, is concept)."""
        phrases = self.thesaurus.phrases
        starts = self._phrase_starts
        out: list[tuple[str, bool, bool]] = []
        i = 0
        n = len(items)
        while i < n:
            token, _, is_concept = items[i]
            lengths = None if is_concept else starts.get(token)
            if lengths is not None:
                for length in lengths:
                    if length > n - i:
                        continue
                    window = items[i : i + length]
                    if any(c for _, _, c in window):
                        continue
                    # With stop words left out, numbers join nothing: "groepje van 3" is no "groep 3".
                    if not as_written and any(t.isdigit() for t, _, _ in window):
                        continue
                    concept = phrases.get(tuple(t for t, _, _ in window))
                    if concept is not None:
                        out.append((concept, False, True))
                        i += length
                        break
                else:
                    out.append(items[i])
                    i += 1
            else:
                out.append(items[i])
                i += 1
        return out

    def without_negated(self, text: str) -> list[str]:
        """The folded words of a phrase, less those it negates ("geen stagiairs meer, wel bbl" -> wel bbl).

        A negation scope runs from a cue ("geen", "no", "zonder") to the end of its clause (punctuation,
        "maar", "but", ...) and covers at most six words; "niet nodig", "not needed" negate what precedes
        them in their clause (data/negation.txt).
        """
        words = fold(text).split()
        negation = self.thesaurus.negation
        if negation is None or self._cues.isdisjoint(words):
            return words
        kept: list[str] = []
        for clause in _CLAUSE.split(text):
            clause_words = fold(clause).split()
            keep = [True] * len(clause_words)
            for k in range(len(clause_words)):
                for seq in negation.after:
                    if tuple(clause_words[k : k + len(seq)]) == seq:
                        start = next(
                            (j + 1 for j in range(k - 1, -1, -1) if clause_words[j] in negation.ends), 0
                        )
                        keep[start : k + len(seq)] = [False] * (k + len(seq) - start)
            k = 0
            while k < len(clause_words):
                word = clause_words[k]
                following = clause_words[k + 1] if k + 1 < len(clause_words) else ""
                if word in negation.before and following not in negation.exceptions:
                    keep[k] = False
                    reach = 0
                    k += 1
                    while k < len(clause_words) and reach < _NEGATION_REACH:
                        if clause_words[k] in negation.ends:
                            break
                        keep[k] = False
                        reach += 1
                        k += 1
                    continue
                k += 1
            kept.extend(w for w, ok in zip(clause_words, keep, strict=True) if ok)
        return kept

    def _joined(self, words: list[str]) -> list[str]:
        """Two words that together are one thesaurus word, joined ("warmte pompen" -> warmtepompen)."""
        if len(words) < 2 or self._join_heads.isdisjoint(words[:-1]):
            return words
        phrases, stopwords = self.thesaurus.phrases, self._stopwords
        out: list[str] = []
        k = 0
        while k < len(words):
            word = words[k]
            if k + 1 < len(words) and word in self._join_heads and word not in stopwords:
                following = words[k + 1]
                # Stemming works on the end of a word: stem(a + b) is a + stem(b) (warmte + pomp).
                concept = phrases.get((word + stem(following),))
                if (
                    concept is not None
                    and following not in stopwords
                    and word.isalpha()
                    and following.isalpha()
                    and phrases.get((stem(word),), concept) == concept
                ):
                    out.append(word + following)
                    k += 2
                    continue
            out.append(word)
            k += 1
        return out

    def analyse(self, text: str) -> tuple[str, ...]:
        """Terms of a phrase, in order of first appearance, without repeats; negated words left out."""
        if len(text) > MAX_PHRASE:
            text = clip(text)
        cached = self._phrase_cache.get(text)
        if cached is not None:
            return cached
        stems: list[str] = []
        stop: list[bool] = []
        for word in self._joined(self.without_negated(text)):
            if word in self._stopwords or (len(word) < 2 and not word.isdigit()):
                # Kept for multi-word thesaurus phrases ("zij instromer", "train the trainer"), else dropped.
                stems.append(stem(word))
                stop.append(True)
                continue
            parts = self.expand_word(word)
            stems.extend(parts)
            stop.extend([False] * len(parts))
        phrases = self.thesaurus.phrases
        items = [(t, is_stop, False) for t, is_stop in zip(stems, stop, strict=True)]
        # Thesaurus phrases first as written, then once more with the stop words left out.
        items = self._phrase_pass(items)
        if any(is_stop for _, is_stop, _ in items):  # without stop words there is nothing new to find
            items = self._phrase_pass([item for item in items if not item[1]], as_written=False)
        out = [token if is_concept else phrases.get((token,), token) for token, _, is_concept in items]
        for concept, first, second, ordered in (
            self.thesaurus.combinations if not self._combined.isdisjoint(out) else ()
        ):
            if first.isdisjoint(out) or second.isdisjoint(out):
                continue
            a = next((k for k, t in enumerate(out) if t in first), None)
            b = next((k for k, t in enumerate(out) if t in second), None)
            if a is not None and b is not None and a != b and (not ordered or a < b):
                if ordered:  # every later word of the second group is part of the combination
                    out = [concept if k == a else t for k, t in enumerate(out) if k <= a or t not in second]
                else:
                    out = [concept if k == min(a, b) else t for k, t in enumerate(out) if k != max(a, b)]
        if not self._frame_verbs.isdisjoint(stems):
            for concept, verbs, context in self.thesaurus.frames:
                if verbs.isdisjoint(stems) or context.isdisjoint(stems):
                    continue
                k = next((j for j, t in enumerate(out) if t in verbs), None)
                if k is None:
                    out.append(concept)
                else:
                    out[k] = concept
        result = tuple(dict.fromkeys(out))
        if len(self._phrase_cache) < 500_000:
            self._phrase_cache[text] = result
        return result


_DEFAULT: Analyser | None = None


def default_analyser() -> Analyser:
    """The analyser with the static thesaurus only (no population words)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Analyser()
    return _DEFAULT


def normalise_phrase(text: str) -> str:
    """The normalised form of a phrase: its terms, sorted, space-separated.

    Equal for phrases that differ in case, accents, punctuation, stop words, word order, plural/singular,
    known synonyms (thesaurus), Dutch compounds of known words and small typos of known words, e.g.
    ``normalise_phrase("Zonnepaneleninstallatie") == normalise_phrase("installatie van zonnepanelen")``.
    """
    return " ".join(sorted(default_analyser().analyse(text)))
