"""Who is an organiser: the ids in ORGANISER_IDS plus those added with `/organisers add`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from storage.models import Organiser

__all__ = ["add_organiser", "is_organiser", "organiser_ids", "remove_organiser"]


def is_organiser(session: Session, *, telegram_id: int, configured: Iterable[int]) -> bool:
    """True for a configured organiser or one added in the bot."""
    if telegram_id in set(configured):
        return True
    return session.exec(select(Organiser.id).where(Organiser.telegram_id == telegram_id)).first() is not None


def organiser_ids(session: Session, *, configured: Iterable[int]) -> list[int]:
    """Every organiser's Telegram id, configured first, without duplicates."""
    ids = list(dict.fromkeys(configured))
    for telegram_id in session.exec(select(Organiser.telegram_id).order_by(col(Organiser.id))).all():
        if telegram_id not in ids:
            ids.append(telegram_id)
    return ids


def add_organiser(session: Session, *, telegram_id: int, added_by: int | None) -> bool:
    """Add an organiser; False when they already were one (added in the bot)."""
    if session.exec(select(Organiser.id).where(Organiser.telegram_id == telegram_id)).first() is not None:
        return False
    session.add(Organiser(telegram_id=telegram_id, added_by=added_by))
    session.flush()
    return True


def remove_organiser(session: Session, *, telegram_id: int) -> bool:
    """Remove an organiser added in the bot; configured ones stay (they live in ORGANISER_IDS)."""
    row = session.exec(select(Organiser).where(Organiser.telegram_id == telegram_id)).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
