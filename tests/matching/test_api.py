import dataclasses

import pytest

import matching

EXPECTED = {
    "NEIGHBOURS",
    "REACHES",
    "REGIONS",
    "ROLES",
    "History",
    "MatchConfig",
    "Matcher",
    "MatchingError",
    "Profile",
    "ProfileFileError",
    "Reason",
    "Suggestion",
    "UnknownParticipantError",
    "describe_reasons",
    "load_profiles_csv",
    "normalise_phrase",
    "parse_region",
    "parse_role",
}


def test_public_surface_is_exactly_the_documented_names():
    assert set(matching.__all__) == EXPECTED
    for name in matching.__all__:
        assert hasattr(matching, name), name


@pytest.mark.parametrize(
    "cls", [matching.Profile, matching.MatchConfig, matching.History, matching.Reason, matching.Suggestion]
)
def test_value_types_are_frozen_dataclasses(cls):
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen


def test_domain_exceptions_share_a_base():
    assert issubclass(matching.ProfileFileError, matching.MatchingError)
    assert issubclass(matching.UnknownParticipantError, matching.MatchingError)
    err = matching.ProfileFileError("bad", line=7)
    assert err.line == 7 and "line 7" in str(err)


def test_matching_imports_nothing_of_bot_or_storage():
    import pathlib
    import re

    root = pathlib.Path(matching.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(
            r"^\s*(from|import)\s+(bot|storage|telegram|sqlmodel|sqlalchemy)\b", text, re.MULTILINE
        ), path
