"""Hostile text (imports, pasted data, attacks) never breaks matching for everyone, and the work per word
is bounded: a 10,000-character word once made the compound splitter recurse until RecursionError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Matcher, Profile, normalise_phrase

HOSTILE = {
    "one long word of known parts": "warmtepomp" * 1000,
    "one long word of one letter": "a" * 10_000,
    "long text": "gastles warmtepompen installatie " * 300,
    "control characters": "gast\x00les\x07 \x1b[31mwarmtepomp\x7f",
    "lone surrogates": "gastles \ud800 warmtepomp \udfff",
    "emoji only": "🔥🚀👍🏽" * 50,
    "direction overrides": "\u202egastles\u202c \u2066x\u2069",
}


def _pair() -> list[Profile]:
    school = Profile(
        id="school", name="Marieke", organisation="Vmbo X", role="school", needs=("gastles warmtepompen",)
    )
    company = Profile(
        id="company", name="Ruud", organisation="Jansen BV", role="company", offers=("gastlessen warmtepomp",)
    )
    return [school, company]


def test_hostile_profiles_change_nothing_for_the_others():
    hostile = [
        Profile(id=f"h{k}", organisation=f"H{k}", offers=(text,), needs=(text,), themes=(text,))
        for k, text in enumerate(HOSTILE.values())
    ]
    clean = Matcher(_pair()).suggest_for("school", top_k=1)
    matcher = Matcher([*_pair(), *hostile])
    result = matcher.suggest(top_k=3)
    assert set(result) == {p.id for p in [*_pair(), *hostile]}
    mine = matcher.suggest_for("school", top_k=10)
    assert mine[0].other_id == "company"
    first, expected = mine[0].reasons[0], clean[0].reasons[0]
    assert (first.kind, first.own_text, first.other_text, first.terms) == (
        expected.kind,
        expected.own_text,
        expected.other_text,
        expected.terms,
    )
    for profile in hostile:
        matcher.suggest_for(profile.id)


def test_a_long_word_is_cut_not_split():
    assert normalise_phrase("warmtepomp" * 1000) == ("warmtepomp" * 5)[:48]
    assert normalise_phrase("gastlessen " + "x" * 1_500) == "gastles " + "x" * 48


def test_invisible_characters_do_not_split_a_word():
    plain = normalise_phrase("warmtepompen")
    for mark in ("\u00ad", "\u200b", "\u200d", "\u2060", "\x00", "\ufeff"):
        assert normalise_phrase(f"warmte{mark}pompen") == plain, repr(mark)


def test_only_the_start_of_a_very_long_phrase_is_read():
    text = "gastlessen " * 5_000 + "zonnepanelen"
    assert normalise_phrase(text) == "gastles"


any_character = st.characters(exclude_categories=())  # includes lone surrogates and control characters


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=any_character, max_size=300), st.integers(0, 3000))
def test_matcher_survives_any_code_point(text, repeat):
    word = text.replace(" ", "")[:5] or "a"
    profiles = [
        *_pair(),
        Profile(id="x", offers=(text, word * repeat), needs=(text[::-1],), themes=(text[:10],)),
    ]
    matcher = Matcher(profiles)
    assert matcher.suggest_for("school", top_k=3)[0].other_id in {"company", "x"}
    normalise_phrase(text)
