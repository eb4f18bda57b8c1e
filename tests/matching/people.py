"""A profile in one line, for the matching tests' small populations."""

from matching import Profile


def prof(pid, offers=(), needs=(), themes=(), role="company", region="achterhoek", org=None, **kw):
    return Profile(
        id=pid,
        name=pid.capitalize(),
        organisation=org if org is not None else f"org-{pid}",
        role=role,
        region=region,
        offers=tuple(offers),
        needs=tuple(needs),
        themes=tuple(themes),
        **kw,
    )
