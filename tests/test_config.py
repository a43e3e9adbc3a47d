"""Run cards: parsing, --set overrides, validation and the resolved configuration.

Everything here is pure configuration work (no event generation), so it runs in well under a
second.  The CLI side of the same errors (exit status, one stderr line) is in test_cli.py.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import tomllib

import pytest

import bdgen
from bdgen.config import (
    SCHEMA,
    CardError,
    apply_overrides,
    builtin_card_path,
    config_from_dict,
    load_card,
    output_format,
    parse_override,
    read_card,
)


@pytest.fixture
def card() -> dict:
    """The built-in MiniBooNE card as nested dicts (a fresh copy per test)."""
    return read_card(builtin_card_path("miniboone"))


def _dump_toml(card: dict) -> str:
    """A minimal TOML writer for the value types a card uses."""

    def val(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, float):
            return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
        if isinstance(v, int):
            return str(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    lines = []
    for section, table in card.items():
        lines.append(f"[{section}]")
        for k, v in table.items():
            lines.append(f"{k} = {val(v)}")
        lines.append("")
    return "\n".join(lines)


def _err(card: dict) -> str:
    with pytest.raises(CardError) as info:
        config_from_dict(card)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# ---------------------------------------------------------------------------------------------
# The built-in card
# ---------------------------------------------------------------------------------------------


def test_builtin_card_loads_with_documented_values():
    cfg = load_card()
    assert isinstance(cfg, bdgen.Config)
    assert cfg.run.pot == pytest.approx(1.86e20)
    assert cfg.run.precision == pytest.approx(0.01)
    assert cfg.run.events is None
    assert cfg.run.seed == 1
    assert cfg.run.unweighted is False
    assert cfg.beam.name == "bnb"
    assert cfg.model.name == "dark_photon"
    assert cfg.model.dm == "scalar" and not cfg.model.dirac
    assert (cfg.model.m_chi, cfg.model.m_v, cfg.model.epsilon, cfg.model.alpha_d) == (0.005, 0.1, 1e-3, 0.1)
    assert cfg.production.channels == ("pi0", "eta")
    assert cfg.detector.name == "miniboone"
    assert cfg.signal.channel == "nucleon"
    assert (cfg.signal.t_min, cfg.signal.t_max) == (0.035, 0.9)
    assert cfg.compat.bdnmc is False


def test_load_card_none_equals_builtin_path():
    assert load_card(None) == load_card(builtin_card_path("miniboone"))
    assert bdgen.load_card is load_card


def test_builtin_card_missing_name():
    with pytest.raises(CardError, match="nope"):
        builtin_card_path("nope")


def test_config_is_frozen():
    cfg = load_card()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.model.m_chi = 1.0  # type: ignore[misc]


def test_to_dict_round_trip_and_plain_types(card):
    cfg = config_from_dict(card)
    d = cfg.to_dict()
    # plain TOML-compatible data: no None, no tuples
    def walk(x):
        assert x is not None
        assert not isinstance(x, tuple)
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(d)
    assert set(d) == set(SCHEMA)
    assert config_from_dict(d) == cfg
    # and through TOML text
    assert config_from_dict(tomllib.loads(_dump_toml(d))) == cfg


def test_defaults_filled(card):
    del card["compat"]
    del card["production"]
    del card["signal"]["efficiency"]
    cfg = config_from_dict(card)
    assert cfg.compat.bdnmc is False
    assert cfg.production.channels == ("pi0", "eta")
    assert cfg.signal.efficiency == 1.0
    assert cfg.run.chunk_size == 125_000


def test_line_order_does_not_matter(card, tmp_path):
    reordered = {s: dict(reversed(list(card[s].items()))) for s in reversed(list(card))}
    p = tmp_path / "card.toml"
    p.write_text(_dump_toml(reordered))
    assert load_card(p) == config_from_dict(card)


def test_int_count_accepts_integral_float(card):
    card["run"].pop("precision")
    card["run"]["events"] = 1e3
    cfg = config_from_dict(card)
    assert cfg.run.events == 1000 and isinstance(cfg.run.events, int)


def test_float_accepts_int(card):
    card["model"]["m_v"] = 1
    cfg = config_from_dict(card)
    assert cfg.model.m_v == 1.0 and isinstance(cfg.model.m_v, float)


# ---------------------------------------------------------------------------------------------
# parse_override / apply_overrides
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item, parts, value",
    [
        ("model.m_v=0.03", ["model", "m_v"], 0.03),
        ("run.events=200", ["run", "events"], 200),
        ("run.pot=1e20", ["run", "pot"], 1e20),
        ("run.unweighted=true", ["run", "unweighted"], True),
        ("compat.bdnmc=false", ["compat", "bdnmc"], False),
        ('beam.name="bnb"', ["beam", "name"], "bnb"),
        ("beam.name='bnb'", ["beam", "name"], "bnb"),
        ("beam.name=bnb", ["beam", "name"], "bnb"),  # bare word -> string
        ("model.dm=dirac", ["model", "dm"], "dirac"),
        ("signal.channel = electron", ["signal", "channel"], "electron"),  # spaces stripped
        ('production.channels=["pi0"]', ["production", "channels"], ["pi0"]),
        ("production.channels=['pi0', 'eta']", ["production", "channels"], ["pi0", "eta"]),
        ("run.output=out/dir/x.root", ["run", "output"], "out/dir/x.root"),
        ("run.output=a=b.root", ["run", "output"], "a=b.root"),  # split at the first '='
        ("detector.shape.radius=3.5", ["detector", "shape", "radius"], 3.5),
        (
            "detector.shape={kind='sphere', centre=[0.0, 0.0, 10.0], radius=1.0}",
            ["detector", "shape"],
            {"kind": "sphere", "centre": [0.0, 0.0, 10.0], "radius": 1.0},
        ),
        ('beam.name="1.5"', ["beam", "name"], "1.5"),  # quoted number stays a string
        ("model.m_chi=-1", ["model", "m_chi"], -1),
    ],
)
def test_parse_override(item, parts, value):
    got_parts, got = parse_override(item)
    assert got_parts == parts
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize("item", ["noequals", "m_v=0.1", "=3", ".m_v=1", "model.=1", "model..m_v=1"])
def test_parse_override_bad_key(item):
    with pytest.raises(CardError) as info:
        parse_override(item)
    assert item in str(info.value)


def test_apply_overrides_does_not_mutate(card):
    before = copy.deepcopy(card)
    out = apply_overrides(card, ["model.m_v=0.2", "signal.channel=electron"])
    assert card == before
    assert out["model"]["m_v"] == 0.2
    assert out["signal"]["channel"] == "electron"


def test_apply_overrides_creates_nested_tables(card):
    out = apply_overrides(card, ["detector.shape.kind=sphere", "detector.shape.radius=2"])
    assert out["detector"]["shape"] == {"kind": "sphere", "radius": 2}


def test_apply_overrides_through_scalar_is_error(card):
    with pytest.raises(CardError, match="model.m_v"):
        apply_overrides(card, ["model.m_v.x=1"])


def test_set_events_replaces_card_precision():
    cfg = load_card(None, ["run.events=200"])
    assert cfg.run.events == 200
    assert cfg.run.precision is None


def test_set_precision_replaces_card_events(card, tmp_path):
    card["run"].pop("precision")
    card["run"]["events"] = 100
    p = tmp_path / "card.toml"
    p.write_text(_dump_toml(card))
    cfg = load_card(p, ["run.precision=0.05"])
    assert cfg.run.precision == 0.05
    assert cfg.run.events is None


def test_set_both_stopping_rules_is_error():
    with pytest.raises(CardError) as info:
        load_card(None, ["run.events=10", "run.precision=0.05"])
    assert "run.events" in str(info.value) and "run.precision" in str(info.value)


def test_later_override_wins():
    cfg = load_card(None, ["model.m_v=0.2", "model.m_v=0.3"])
    assert cfg.model.m_v == 0.3


def test_bare_word_override_is_validated_as_string():
    with pytest.raises(CardError) as info:
        load_card(None, ["model.m_chi=abc"])
    assert 'model.m_chi = "abc"' in str(info.value)


# ---------------------------------------------------------------------------------------------
# Validation errors: one line naming the key, the value and what is allowed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "section, key, value, fragments",
    [
        ("model", "m_chi", -1.0, ["model.m_chi", "-1", "> 0"]),
        ("model", "m_chi", 0.0, ["model.m_chi", "0", "> 0"]),
        ("model", "m_v", 0.0, ["model.m_v", "0", "> 0"]),
        ("model", "m_v", -0.5, ["model.m_v", "-0.5", "> 0"]),
        ("model", "epsilon", -1e-3, ["model.epsilon", "-0.001", "> 0"]),
        ("model", "epsilon", 0, ["model.epsilon", "0", "> 0"]),
        ("model", "alpha_d", 0.0, ["model.alpha_d", "0", "> 0"]),
        ("run", "pot", 0.0, ["run.pot", "0", "> 0"]),
        ("run", "pot", -1e20, ["run.pot", "-1e+20", "> 0"]),
        ("model", "m_chi", "abc", ["model.m_chi", '"abc"', "number"]),
        ("model", "m_chi", True, ["model.m_chi", "true", "number"]),
        ("run", "pot", False, ["run.pot", "false", "number"]),
        ("run", "events", True, ["run.events", "true", "integer"]),
        ("run", "events", 1.5, ["run.events", "1.5", "integer"]),
        ("run", "events", "many", ["run.events", '"many"', "integer"]),
        ("run", "events", 0, ["run.events", "0", "> 0"]),
        ("run", "unweighted", 1, ["run.unweighted", "1", "true or false"]),
        ("run", "precision", 1.5, ["run.precision", "1.5", "(0, 1)"]),
        ("run", "chunk_size", 0, ["run.chunk_size", "0", "> 0"]),
        ("run", "seed", -1, ["run.seed", "-1", ">= 0"]),
        ("model", "m_chi", math.inf, ["model.m_chi", "inf", "finite"]),
        ("model", "m_chi", math.nan, ["model.m_chi", "nan", "finite"]),
        ("model", "dm", "majorana", ["model.dm", '"majorana"', "scalar", "dirac"]),
        ("model", "name", "higgs", ["model.name", '"higgs"', "dark_photon"]),
        ("beam", "name", "tevatron", ["beam.name", '"tevatron"', "bnb"]),
        ("beam", "name", 3, ["beam.name", "3", "string"]),
        ("detector", "name", "sbnd_far", ["detector.name", '"sbnd_far"', "miniboone"]),
        ("signal", "channel", "muon", ["signal.channel", '"muon"', "electron", "nucleon"]),
        ("signal", "form_factors", "kelly", ["signal.form_factors", '"kelly"', "bba03", "dipole"]),
        ("signal", "t_min", -0.1, ["signal.t_min", "-0.1", ">= 0"]),
        ("signal", "t_min", 0.9, ["signal.t_min", "0.9", "signal.t_max"]),
        ("signal", "t_min", 2.0, ["signal.t_min", "2.0", "signal.t_max", "0.9"]),
        ("signal", "efficiency", 0.0, ["signal.efficiency", "0", "(0, 1]"]),
        ("signal", "efficiency", 1.5, ["signal.efficiency", "1.5", "(0, 1]"]),
        ("production", "channels", ["kaon"], ["production.channels", "kaon", "pi0", "eta"]),
        ("production", "channels", ["pi0", "kaon"], ["production.channels", "kaon", "pi0", "eta"]),
        ("production", "channels", [], ["production.channels", "at least one"]),
        ("production", "channels", ["pi0", "pi0"], ["production.channels", "pi0", "twice"]),
        ("production", "channels", "pi0", ["production.channels", '"pi0"', "list"]),
        ("compat", "bdnmc", "yes", ["compat.bdnmc", '"yes"', "true or false"]),
        ("run", "output", "events.csv", ["run.output", "events.csv", ".root", ".h5"]),
    ],
)
def test_bad_value_message(card, section, key, value, fragments):
    card.setdefault(section, {})[key] = value
    msg = _err(card)
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_t_max_below_t_min(card):
    card["signal"]["t_max"] = 0.01
    msg = _err(card)
    assert "signal.t_min" in msg and "signal.t_max" in msg and "0.01" in msg


def test_unknown_section(card):
    card["fooo"] = {"bar": 1}
    msg = _err(card)
    assert "fooo" in msg
    for s in SCHEMA:
        assert s in msg


def test_unknown_key(card):
    card["run"]["speed"] = 12345
    msg = _err(card)
    assert "run.speed" in msg
    assert "pot" in msg and "events" in msg  # what is allowed


def test_unknown_key_message_names_value(card):
    # the contract: every error names the key, the value and what is allowed
    card["run"]["speed"] = 12345
    msg = _err(card)
    assert "12345" in msg, msg


def test_section_not_a_table(card):
    card["model"] = 3
    msg = _err(card)
    assert "model" in msg and "3" in msg


@pytest.mark.parametrize("section, key", [("run", "pot"), ("beam", "name"), ("model", "m_chi"),
                                          ("model", "m_v"), ("model", "epsilon"), ("model", "alpha_d")])
def test_missing_required_key(card, section, key):
    del card[section][key]
    msg = _err(card)
    assert f"{section}.{key}" in msg and "missing" in msg


def test_no_stopping_rule(card):
    del card["run"]["precision"]
    msg = _err(card)
    assert "run.events" in msg and "run.precision" in msg


def test_both_stopping_rules_in_card(card):
    card["run"]["events"] = 100
    msg = _err(card)
    assert "run.events = 100" in msg and "run.precision = 0.01" in msg


def test_detector_name_and_inline_both(card):
    card["detector"]["shape"] = {"kind": "sphere", "centre": [0.0, 0.0, 10.0], "radius": 1.0}
    msg = _err(card)
    assert "detector.name" in msg and "detector.shape" in msg


def test_detector_missing(card):
    del card["detector"]
    msg = _err(card)
    assert "detector.name" in msg


def test_inline_detector_accepted(card):
    card["detector"] = {
        "shape": {"kind": "sphere", "centre": [0.0, 0.0, 100.0], "radius": 3.0},
        "material": {"name": "oil", "formula": "CH2", "density": 0.85},
    }
    cfg = config_from_dict(card)
    assert cfg.detector.name is None
    assert cfg.detector.shape["radius"] == 3.0


def test_card_not_a_table():
    with pytest.raises(CardError):
        config_from_dict([1, 2])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Card files
# ---------------------------------------------------------------------------------------------


def test_read_card_missing(tmp_path):
    p = tmp_path / "nope.toml"
    with pytest.raises(CardError) as info:
        read_card(p)
    assert str(p) in str(info.value) and "no such file" in str(info.value)


def test_read_card_directory(tmp_path):
    with pytest.raises(CardError) as info:
        read_card(tmp_path)
    assert str(tmp_path) in str(info.value) and "directory" in str(info.value)


def test_read_card_invalid_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[run\npot = 1\n")
    with pytest.raises(CardError) as info:
        read_card(p)
    msg = str(info.value)
    assert str(p) in msg and "invalid TOML" in msg and "\n" not in msg


def test_read_card_binary(tmp_path):
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe\x00[run]")
    with pytest.raises(CardError) as info:
        read_card(p)
    assert str(p) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_read_card_unreadable(tmp_path):
    p = tmp_path / "card.toml"
    p.write_text(builtin_card_path("miniboone").read_text())
    p.chmod(0)
    try:
        with pytest.raises(CardError) as info:
            read_card(p)
        assert str(p) in str(info.value) and "permission" in str(info.value)
    finally:
        p.chmod(0o644)


def test_load_card_from_file_with_overrides(card, tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(_dump_toml(card))
    cfg = load_card(p, ["model.m_v=0.05", "model.dm=dirac"])
    assert cfg.model.m_v == 0.05 and cfg.model.dirac
    assert load_card(str(p)) == load_card(None)


# ---------------------------------------------------------------------------------------------
# Output formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", [("a.root", "root"), ("a.ROOT", "root"), ("dir/a.h5", "hdf5"),
                                       ("a.hdf5", "hdf5"), ("a.HDF5", "hdf5")])
def test_output_format(name, fmt):
    assert output_format(name) == fmt


@pytest.mark.parametrize("name", ["a.txt", "a", "a.root.gz", "a.json", "a.csv"])
def test_output_format_bad(name):
    with pytest.raises(CardError) as info:
        output_format(name, "-o")
    assert "-o" in str(info.value) and name in str(info.value)
