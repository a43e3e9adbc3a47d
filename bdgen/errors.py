"""Exceptions with messages meant for users, and the checks that raise them."""

from __future__ import annotations

from typing import Any


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


def number_field(d: dict[str, Any], key: str, where: str, *, default: float | None = None,
                 positive: bool = True) -> float:
    """``d[key]`` as a float, or ``default``; CardError naming ``where.key`` if it is missing
    (without default), not a number, or (with ``positive``) not > 0."""
    if key not in d:
        if default is None:
            raise CardError(f"{where}.{key} is missing")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CardError(f"{where}.{key} = {fmt_value(v)}: must be a number")
    if positive and not v > 0:
        raise CardError(f"{where}.{key} = {fmt_value(v)}: must be > 0")
    return float(v)
