"""The sample community: fictional people modelled on the Gelderland network afternoon in Ede (10 March 2022).

`data/community.csv` is in the format of `koppelbot import --profiles`, so the demo loads it exactly as an
organiser would load their own list, and anyone can read or reuse it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from bot.texts import region_name
from matching import parse_region

__all__ = ["COMMUNITY_CSV", "Member", "read_members"]

COMMUNITY_CSV = Path(__file__).with_name("data") / "community.csv"


@dataclass(frozen=True)
class Member:
    """One row of the sample community, as far as the demo needs it to act as that person."""

    key: str
    name: str
    organisation: str
    role: str
    region: str
    telegram_id: int
    language: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def label(self) -> str:
        """The phone label in the transcript, e.g. "Ruud (Hendriksen Installatietechniek, Achterhoek)"."""
        region = region_name("nl", parse_region(self.region)) or self.region
        return f"{self.first_name} ({self.organisation}, {region})"


def read_members(path: Path = COMMUNITY_CSV) -> list[Member]:
    """Every member with a Telegram id, in file order."""
    members: list[Member] = []
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")):
        telegram_id = (row.get("telegram_id") or "").strip()
        if not telegram_id:
            continue
        members.append(
            Member(
                key=row["id"].strip(),
                name=row["name"].strip(),
                organisation=row["organisation"].strip(),
                role=row["role"].strip(),
                region=row["region"].strip(),
                telegram_id=int(telegram_id),
                language=(row.get("language") or "nl").strip() or "nl",
            )
        )
    return members
