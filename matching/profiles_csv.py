"""Reading participant profiles from CSV text (the ``koppelbot match --profiles`` format)."""

from __future__ import annotations

import csv
import io

from matching.codes import parse_reach, parse_region, parse_role
from matching.exceptions import ProfileFileError
from matching.profile import Profile

REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "organisation",
    "role",
    "region",
    "offers",
    "needs",
    "interests",
)
_LIST_SEPARATOR = ";"
_INACTIVE = frozenset(
    {
        "0",
        "false",
        "no",
        "nee",
        "paused",
        "gepauzeerd",
        "blocked",
        "geblokkeerd",
        "deleted",
        "verwijderd",
        "inactive",
        "inactief",
    }
)


def _split_list(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(_LIST_SEPARATOR) if part.strip())


def load_profiles_csv(text: str) -> list[Profile]:
    """Parse profiles from CSV text with header ``id,name,organisation,role,region,offers,needs,interests``.

    A leading BOM is accepted; header names are matched case-insensitively; extra columns are ignored;
    ``reach`` (own / neighbours / anywhere, Dutch accepted, default anywhere) and ``active`` are optional.
    ``offers``, ``needs`` and ``interests`` (the themes) are lists separated by ``;``. Role and region are
    parsed leniently. Raises ``ProfileFileError`` naming the line for a missing column, a row with the
    wrong number of fields, an empty or duplicate id, an unknown reach, or an unreadable row.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ProfileFileError(f"unreadable CSV header ({exc})", line=1) from exc
    if header is None or not any(cell.strip() for cell in header):
        raise ProfileFileError("empty file: expected a header row " + ",".join(REQUIRED_COLUMNS), line=1)
    columns = [cell.strip().lower().removeprefix("\ufeff") for cell in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ProfileFileError(f"missing column(s): {', '.join(missing)}", line=1)
    position = {
        name: columns.index(name) for name in (*REQUIRED_COLUMNS, "reach", "active") if name in columns
    }
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ProfileFileError(f"unreadable CSV row ({exc})", line=reader.line_num) from exc
        start_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise ProfileFileError(f"expected {len(columns)} fields, found {len(row)}", line=start_line)
        cell = {name: row[k].strip() for name, k in position.items()}
        pid = cell["id"]
        if not pid:
            raise ProfileFileError("empty id", line=start_line)
        if pid in seen:
            raise ProfileFileError(f"duplicate id {pid!r} (first on line {seen[pid]})", line=start_line)
        seen[pid] = start_line
        reach = parse_reach(cell.get("reach", ""))
        if reach is None:
            raise ProfileFileError(
                f"unknown reach {cell['reach']!r} (use own, neighbours or anywhere)", line=start_line
            )
        profiles.append(
            Profile(
                id=pid,
                name=cell["name"],
                organisation=cell["organisation"],
                role=parse_role(cell["role"]),
                region=parse_region(cell["region"]),
                reach=reach,
                offers=_split_list(cell["offers"]),
                needs=_split_list(cell["needs"]),
                themes=_split_list(cell["interests"]),
                active=cell.get("active", "").lower() not in _INACTIVE,
            )
        )
    return profiles
