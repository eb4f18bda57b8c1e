"""Callback data: built within Telegram's 64 bytes, parsed strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import MAX_ID, CallbackError, pack, unpack


def test_round_trip() -> None:
    parsed = unpack(pack("sg", 42, "yes"))
    assert parsed.prefix == "sg" and parsed.args == ("42", "yes") and parsed.int_arg(0) == 42


@pytest.mark.parametrize("data", ["", None, "x" * 65, ":", "sg:<script>", "sg:1:2:ä"])
def test_malformed_data_is_refused(data: str | None) -> None:
    with pytest.raises(CallbackError):
        unpack(data)


def test_wrong_prefix_and_bad_numbers_are_refused() -> None:
    with pytest.raises(CallbackError):
        unpack("sg:1", prefix="consent")
    with pytest.raises(CallbackError):
        unpack("sg:abc").int_arg(0)
    with pytest.raises(CallbackError):
        unpack("sg:-5").int_arg(0)
    with pytest.raises(CallbackError):
        unpack("sg").int_arg(0)
    # A number no database id column holds (PostgreSQL: integer out of range) is forged, not a row.
    assert unpack(f"sg:{MAX_ID}").int_arg(0) == MAX_ID
    for huge in (MAX_ID + 1, 10**40):
        with pytest.raises(CallbackError):
            unpack(f"sg:{huge}").int_arg(0)


def test_pack_refuses_oversized_or_unsafe_parts() -> None:
    with pytest.raises(ValueError):
        pack("sg", "a" * 70)
    with pytest.raises(ValueError):
        pack("sg", "a:b")


@given(st.text(max_size=80))
def test_unpack_never_fails_other_than_callback_error(data: str) -> None:
    try:
        parsed = unpack(data)
    except CallbackError:
        return
    assert pack(parsed.prefix, *parsed.args) == data
