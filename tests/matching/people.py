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


def anna_and_ruud(anna: str = "Anna", ruud: str = "Ruud") -> tuple[Profile, Profile]:
    """A vmbo teacher who needs a guest lesson on heat pumps and an installer who gives them."""
    return (
        Profile(
            id="a",
            name=anna,
            organisation="Vmbo",
            role="school",
            region="achterhoek",
            offers=("snuffelstages",),
            needs=("gastles over warmtepompen",),
            themes=("energietransitie",),
        ),
        Profile(
            id="r",
            name=ruud,
            organisation="Jansen BV",
            role="company",
            region="cleantech",
            offers=("gastlessen warmtepomp-installatie",),
            needs=("stagiairs",),
            themes=("Energietransitie",),
        ),
    )
