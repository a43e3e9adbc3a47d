"""Exceptions with messages meant for users."""

from __future__ import annotations


class CardError(ValueError):
    """Invalid run card, beam file or detector file.

    The message names the key path, the offending value and what is allowed, e.g.
    ``model.m_chi = -1: must be > 0``.
    """


def fmt_value(value: object) -> str:
    """TOML-like rendering of a value for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)
