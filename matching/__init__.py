"""Koppelbot's matching engine (pure: profiles in, ranked suggestions with reasons out)."""
