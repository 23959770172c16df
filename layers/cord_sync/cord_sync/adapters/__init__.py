"""Adapters: pure functions that turn what an identity provider sends into canonical change events."""
