"""Koppelbot's matching engine: profiles in, ranked partner suggestions with reasons out.

Pure: no I/O besides reading its own data files, no database, no network, no Telegram.
"""

from matching.codes import NEIGHBOURS, REACHES, REGIONS, ROLES, parse_region, parse_role
from matching.config import MatchConfig
from matching.exceptions import MatchingError, ProfileFileError, UnknownParticipantError
from matching.history import History
from matching.matcher import Matcher
from matching.normalise import normalise_phrase
from matching.profile import Profile
from matching.profiles_csv import load_profiles_csv
from matching.reasons import describe_reasons
from matching.suggestion import Reason, Suggestion

__all__ = [
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
]
