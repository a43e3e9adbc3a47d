"""The ``bdgen`` command: ``bdgen run`` and ``bdgen card``.

Most tests call :func:`bdgen.cli.main` in-process (capsys captures the streams); a few run the
installed executable in a subprocess.  Every test runs in its own temporary directory
(monkeypatch.chdir), so nothing is written to the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import uproot

import bdgen
import bdgen.pipeline
from bdgen import io
from bdgen.cli import main
from bdgen.config import builtin_card_path
from bdgen.pipeline import EVENT_COLUMNS

BUILTIN = builtin_card_path("miniboone").read_text()
SUMMARY_KEYS = ("signal_events", "signal_events_error", "geometric_acceptance", "mediators_produced",
                "channels", "n_generated", "wall_seconds", "seed", "version", "config")
# keep the in-process runs short: 1e5 trials per chunk (the events do not depend on it)
FAST = ["--set", "run.chunk_size=100000"]


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """Call ``main`` in tmp_path; returns (exit status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str | os.PathLike) -> tuple[int, str, str]:
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return call


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if event generation starts (bad input must be caught before any work)."""

    def forbidden(*a, **k):
        raise AssertionError("generate() was called for bad input")

    monkeypatch.setattr(bdgen.pipeline, "generate", forbidden)


def listing(d: Path | str = ".") -> set[str]:
    return set(os.listdir(d))


def assert_one_line_error(rc: int, err: str, *fragments: str) -> str:
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("bdgen: error: "), line
    for frag in fragments:
        assert frag in line, (frag, line)
    return line


def write_card(path: Path, text: str = BUILTIN, **replace: str) -> Path:
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------
# Bad input: exit 2, one line naming key, value and what is allowed; nothing written, no work
# ---------------------------------------------------------------------------------------------

BAD_SETS = [
    # (override, fragments the message must contain)
    ("fooo.bar=1", ["fooo", "unknown section", "run", "model"]),
    ("run.speed=12345", ["run.speed", "unknown key", "pot", "events"]),
    ("model.m_chi=abc", ["model.m_chi", '"abc"', "number"]),
    ('model.m_chi="0.01"', ["model.m_chi", '"0.01"', "number"]),
    ("model.m_v=true", ["model.m_v", "true", "number"]),
    ("run.pot=false", ["run.pot", "false", "number"]),
    ("run.events=true", ["run.events", "true", "integer"]),
    ("run.events=2.5", ["run.events", "2.5", "integer"]),
    ("model.m_chi=0", ["model.m_chi", "0", "> 0"]),
    ("model.m_chi=-1", ["model.m_chi", "-1", "> 0"]),
    ("model.m_v=0", ["model.m_v", "0", "> 0"]),
    ("model.m_v=-0.1", ["model.m_v", "-0.1", "> 0"]),
    ("model.epsilon=0", ["model.epsilon", "0", "> 0"]),
    ("model.epsilon=-0.001", ["model.epsilon", "-0.001", "> 0"]),
    ("model.alpha_d=0", ["model.alpha_d", "0", "> 0"]),
    ("model.alpha_d=-0.5", ["model.alpha_d", "-0.5", "> 0"]),
    ("run.pot=0", ["run.pot", "0", "> 0"]),
    ("run.pot=-1e20", ["run.pot", "-1e+20", "> 0"]),
    ("signal.t_min=0.9", ["signal.t_min", "0.9", "signal.t_max"]),
    ("signal.t_min=1.5", ["signal.t_min", "1.5", "signal.t_max", "0.9"]),
    ("signal.t_max=0.01", ["signal.t_max", "0.01", "signal.t_min", "0.035"]),
    ("beam.name=tevatron", ["beam.name", '"tevatron"', "bnb"]),
    ("detector.name=superk", ["detector.name", '"superk"', "miniboone"]),
    ("production.channels=['kaon']", ["production.channels", "kaon", "pi0", "eta"]),
    ("production.channels=['pi0','kaon']", ["production.channels", "kaon", "pi0", "eta"]),
    ("signal.channel=muon", ["signal.channel", '"muon"', "electron", "nucleon"]),
    ("model.dm=majorana", ["model.dm", '"majorana"', "scalar", "dirac"]),
    ("run.events=0", ["run.events", "0", "> 0"]),
    ("model.m_chi=nan", ["model.m_chi", "nan", "finite"]),
    ("run.output=events.txt", ["run.output", "events.txt", ".root", ".h5"]),
]


@pytest.mark.parametrize("override, fragments", BAD_SETS, ids=[b[0] for b in BAD_SETS])
def test_bad_set_value(cli, no_work, tmp_path, override, fragments):
    rc, out, err = cli("run", "--set", "run.events=50", "--set", override, "-o", "ev.root",
                       "--summary", "s.json")
    assert_one_line_error(rc, err, *fragments)
    assert out == ""
    assert listing(tmp_path) == set()


def test_bad_value_in_card_file(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", **{"m_chi = 0.005": "m_chi = -0.005"})
    rc, out, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "model.m_chi", "-0.005", "> 0")
    assert listing(tmp_path) == {"card.toml"}


def test_unknown_section_in_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", BUILTIN + "\n[fooo]\nbar = 1\n")
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "fooo", "unknown section", "run", "signal")
    assert listing(tmp_path) == {"card.toml"}


def test_unknown_key_in_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", **{"[model]\n": "[model]\nmass = 12345\n"})
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "model.mass", "unknown key", "m_chi")
    assert listing(tmp_path) == {"card.toml"}


def test_wrong_type_in_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", **{"epsilon = 1e-3": 'epsilon = "small"'})
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "model.epsilon", '"small"', "number")


def test_both_events_and_precision_in_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", **{"precision = 0.01": "precision = 0.01\nevents = 100"})
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "run.events", "100", "run.precision", "0.01")
    assert listing(tmp_path) == {"card.toml"}


def test_both_stopping_rules_by_set(cli, no_work, tmp_path):
    rc, _, err = cli("run", "--set", "run.events=10", "--set", "run.precision=0.1", "-o", "ev.root")
    assert_one_line_error(rc, err, "run.events", "run.precision")
    assert listing(tmp_path) == set()


def test_missing_required_key_in_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", **{"m_v = 0.1\n": ""})
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "model.m_v", "missing")


def test_missing_card(cli, no_work, tmp_path):
    rc, _, err = cli("run", "nope.toml", "-o", "ev.root")
    assert_one_line_error(rc, err, "nope.toml", "no such file")
    assert listing(tmp_path) == set()


def test_directory_as_card(cli, no_work, tmp_path):
    (tmp_path / "cards").mkdir()
    rc, _, err = cli("run", "cards", "-o", "ev.root")
    assert_one_line_error(rc, err, "cards", "directory")
    assert listing(tmp_path) == {"cards"}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml")
    card.chmod(0)
    try:
        rc, _, err = cli("run", card, "-o", "ev.root")
    finally:
        card.chmod(0o644)
    assert_one_line_error(rc, err, "card.toml", "permission")
    assert listing(tmp_path) == {"card.toml"}


def test_unreadable_card_simulated(cli, no_work, tmp_path, monkeypatch):
    # the same check as test_unreadable_card, for runs as root: open() raises PermissionError
    card = write_card(tmp_path / "card.toml")
    real_open = Path.open

    def deny(self, *a, **k):
        if self.name == "card.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", deny)
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "card.toml", "permission")
    assert listing(tmp_path) == {"card.toml"}


def test_invalid_toml_card(cli, no_work, tmp_path):
    card = write_card(tmp_path / "card.toml", "[run\npot = 1e20\n")
    rc, _, err = cli("run", card, "-o", "ev.root")
    assert_one_line_error(rc, err, "card.toml", "invalid TOML", "line 1")
    assert listing(tmp_path) == {"card.toml"}


def test_binary_card(cli, no_work, tmp_path):
    (tmp_path / "card.toml").write_bytes(b"\xff\xfe\x00\x01[run]")
    rc, _, err = cli("run", "card.toml", "-o", "ev.root")
    assert_one_line_error(rc, err, "card.toml")


def test_bad_output_suffix(cli, no_work, tmp_path):
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "events.txt")
    assert_one_line_error(rc, err, "-o", "events.txt", ".root", ".h5", ".hdf5")
    assert listing(tmp_path) == set()


def test_output_directory_missing(cli, no_work, tmp_path):
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "nodir/ev.root")
    assert_one_line_error(rc, err, "-o", "nodir")
    assert listing(tmp_path) == set()


def test_output_directory_not_writable(cli, no_work, tmp_path, monkeypatch):
    """A directory where no file can be created is refused before the run (permission bits
    alone cannot tell for root or read-only mounts, so the check creates and removes a file)."""
    import tempfile

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.root")
    assert_one_line_error(rc, err, "-o", "cannot write", "Permission denied")


def test_output_parent_is_a_file(cli, no_work, tmp_path):
    (tmp_path / "afile").write_text("x")
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "afile/ev.root")
    assert_one_line_error(rc, err, "-o", "afile", "not a directory")


def test_interrupt_inside_compiled_kernel(cli, monkeypatch, tmp_path):
    """Ctrl-C inside a numba kernel on the main thread arrives as a SystemError whose context is
    the KeyboardInterrupt: same exit (130, nothing written) as a plain interrupt."""

    def interrupted(*a, **k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function produce>) returned a result with an exception set")

    monkeypatch.setattr(bdgen.pipeline, "generate", interrupted)
    rc, _, err = cli("run", "--set", "run.events=20", "-o", "ev.h5", "-q")
    assert rc == 130 and "interrupted" in err and "Traceback" not in err
    assert listing(tmp_path) == set()


def test_other_system_errors_propagate(cli, monkeypatch):
    def broken(*a, **k):
        raise SystemError("something else")

    monkeypatch.setattr(bdgen.pipeline, "generate", broken)
    with pytest.raises(SystemError):
        cli("run", "--set", "run.events=20", "-o", "ev.h5", "-q")


@pytest.mark.parametrize("extra, fragments", [
    (["--compare", "lim.csv"], ["--compare", "--plot"]),                     # no figure to draw on
    (["--compare", "nosuch.csv", "--plot", "p.png"], ["nosuch.csv", "not found"]),
    (["--compare", "bad.csv", "--plot", "p.png"], ["bad.csv", "two positive numbers"]),
    (["--plot", "p.jpg"], ["--plot", ".png or .pdf"]),
])
def test_scan_plot_options_checked_before_work(cli, monkeypatch, tmp_path, extra, fragments):
    import bdgen.scan

    def forbidden(*a, **k):
        raise AssertionError("the scan ran for bad input")

    monkeypatch.setattr(bdgen.scan, "run_scan", forbidden)
    (tmp_path / "lim.csv").write_text("# m_chi, Y\n0.01,1e-9\n0.1,1e-8\n")
    (tmp_path / "bad.csv").write_text("0.01,abc\n")
    rc, _, err = cli("scan", "--grid", "m_chi=0.01:0.02:2", "-o", "s.csv", *extra)
    assert_one_line_error(rc, err, *fragments)
    assert not (tmp_path / "s.csv").exists()


def test_summary_directory_missing(cli, no_work, tmp_path):
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.root", "--summary", "nodir/s.json")
    assert_one_line_error(rc, err, "--summary", "nodir")
    assert listing(tmp_path) == set()


def test_existing_output_not_overwritten(cli, no_work, tmp_path):
    out = tmp_path / "ev.root"
    out.write_bytes(b"precious events")
    os.utime(out, (1_000_000_000, 1_000_000_000))
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.root", "--summary", "s.json")
    assert_one_line_error(rc, err, "ev.root", "exists", "--overwrite")
    assert out.read_bytes() == b"precious events"
    assert out.stat().st_mtime == 1_000_000_000
    assert listing(tmp_path) == {"ev.root"}


def test_existing_card_output_not_overwritten(cli, no_work, tmp_path):
    # no -o: the card's run.output (bdgen_miniboone.root in the working directory)
    (tmp_path / "bdgen_miniboone.root").write_bytes(b"x")
    rc, _, err = cli("run", "--set", "run.events=10")
    assert_one_line_error(rc, err, "run.output", "bdgen_miniboone.root", "exists")
    assert (tmp_path / "bdgen_miniboone.root").read_bytes() == b"x"


def test_existing_summary_not_overwritten(cli, no_work, tmp_path):
    s = tmp_path / "s.json"
    s.write_text('{"old": true}\n')
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.h5", "--summary", "s.json")
    assert_one_line_error(rc, err, "--summary", "s.json", "exists", "--overwrite")
    assert s.read_text() == '{"old": true}\n'
    assert listing(tmp_path) == {"s.json"}


def test_summary_path_is_a_directory(cli, no_work, tmp_path):
    # --overwrite cannot replace a directory: bad input, reported before any work
    (tmp_path / "s.json").mkdir()
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.root", "--summary", "s.json", "--overwrite")
    assert_one_line_error(rc, err, "--summary", "s.json")
    assert listing(tmp_path) == {"s.json"}


def test_output_path_is_a_directory(cli, no_work, tmp_path):
    (tmp_path / "ev.root").mkdir()
    rc, _, err = cli("run", "--set", "run.events=10", "-o", "ev.root", "--overwrite")
    assert_one_line_error(rc, err, "-o", "ev.root", "directory")
    assert listing(tmp_path) == {"ev.root"}


@pytest.mark.parametrize("seed", ["-1", "-42"])
def test_negative_seed_option_is_bad_input(cli, no_work, tmp_path, seed):
    # run.seed must be >= 0 (run.seed = -1 is rejected); --seed overrides it and must obey the
    # same rule: exit 2, one line, no traceback
    rc, _, err = cli("run", "--set", "run.events=10", "--seed", seed, "-o", "ev.root")
    assert_one_line_error(rc, err, seed)
    assert listing(tmp_path) == set()


@pytest.mark.parametrize("override", ["noequals", "m_v=0.1", "model.m_v.x=1"])
def test_malformed_set(cli, no_work, tmp_path, override):
    rc, _, err = cli("run", "--set", override, "-o", "ev.root")
    assert_one_line_error(rc, err, override)
    assert listing(tmp_path) == set()


def test_inline_detector_error_before_work(cli, no_work, tmp_path):
    text = BUILTIN.replace('[detector]\nname = "miniboone"\n',
                           '[detector.shape]\nkind = "cube"\ncentre = [0.0, 0.0, 100.0]\nradius = 1.0\n'
                           '[detector.material]\nformula = "CH2"\ndensity = 0.85\n')
    assert text != BUILTIN
    card = write_card(tmp_path / "card.toml", text)
    rc, _, err = cli("run", card, "--set", "run.events=10", "-o", "ev.root")
    assert_one_line_error(rc, err, "kind", '"cube"', "sphere")
    assert listing(tmp_path) == {"card.toml"}


@pytest.mark.parametrize("argv", [["run", "--bogus"], [], ["frobnicate"], ["run", "--seed", "abc"]])
def test_argparse_errors_one_line(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("bdgen: error: ")


def test_card_unknown_name(cli):
    rc, out, err = cli("card", "nope")
    assert_one_line_error(rc, err, "nope", "miniboone")
    assert out == ""


# ---------------------------------------------------------------------------------------------
# bdgen card
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["card"], ["card", "miniboone"]])
def test_card_prints_builtin(cli, argv):
    rc, out, err = cli(*argv)
    assert rc == 0 and err == ""
    assert out == BUILTIN


def test_printed_card_runs(cli, tmp_path):
    _, out, _ = cli("card")
    (tmp_path / "mine.toml").write_text(out)
    assert bdgen.load_card(tmp_path / "mine.toml") == bdgen.load_card()


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert bdgen.__version__ in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Successful runs
# ---------------------------------------------------------------------------------------------


def _check_summary(path: Path) -> dict:
    s = json.loads(path.read_text())
    for key in SUMMARY_KEYS:
        assert key in s, key
    assert s["version"] == bdgen.__version__
    assert isinstance(s["channels"], list) and s["channels"]
    for ch in s["channels"]:
        for key in ("events", "error", "branching_ratio", "production", "signal"):
            assert key in ch, key
    return s


@pytest.mark.parametrize("suffix", [".root", ".h5", ".hdf5"])
def test_run_writes_file_and_summary(cli, tmp_path, suffix):
    out = f"ev{suffix}"
    rc, stdout, err = cli("run", *FAST, "--set", "run.events=200", "--seed", "3", "-o", out,
                          "--summary", "s.json", "-q")
    assert rc == 0, err
    assert stdout == ""
    assert listing(tmp_path) == {out, "s.json"}  # no temporary files left
    s = _check_summary(tmp_path / "s.json")
    assert s["seed"] == 3 and s["n_events"] == 200
    assert s["config"]["run"]["events"] == 200
    assert sum(ch["events"] for ch in s["channels"]) == pytest.approx(s["signal_events"], rel=1e-12)
    events, meta = io.read(tmp_path / out)
    assert set(events) == set(EVENT_COLUMNS)
    assert len(events["weight"]) == 200
    assert meta["seed"] == 3
    assert meta["config"] == s["config"]
    assert meta["signal_events"] == s["signal_events"]
    assert events["weight"].sum() == pytest.approx(meta["signal_events"], rel=1e-12)
    if suffix == ".root":
        with uproot.open(tmp_path / out) as f:
            tree = f["events"]
            assert tree.classname.startswith("TTree")
            assert set(tree.keys()) == set(EVENT_COLUMNS)
            w = tree["weight"].array(library="np")
        assert w.sum() == pytest.approx(s["signal_events"], rel=1e-12)
    else:
        import h5py

        with h5py.File(tmp_path / out, "r") as f:
            assert set(f["events"]) == set(EVENT_COLUMNS)
            w = f["events"]["weight"][()]
            assert f.attrs["signal_events"] == s["signal_events"]
        assert w.sum() == pytest.approx(s["signal_events"], rel=1e-12)


def test_run_prints_summary_table(cli, tmp_path):
    rc, out, err = cli("run", *FAST, "--set", "run.events=50", "--seed", "2", "-o", "ev.h5")
    assert rc == 0, err
    assert "total" in out and "pi0" in out and "eta" in out
    assert "events written to ev.h5" in out
    assert "Traceback" not in err


def test_run_without_card_uses_builtin_and_card_output(cli, tmp_path):
    rc, _, err = cli("run", *FAST, "--set", "run.events=50", "-q")
    assert rc == 0, err
    assert listing(tmp_path) == {"bdgen_miniboone.root"}
    events, meta = io.read(tmp_path / "bdgen_miniboone.root")
    assert len(events["weight"]) == 50
    assert meta["seed"] == 1  # the built-in card's seed
    assert meta["config"]["model"]["m_chi"] == 0.005


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_card_without_seed_uses_recorded_entropy(cli, tmp_path, suffix):
    # run.seed omitted: fresh entropy, recorded in the summary and the file, and it reproduces
    card = write_card(tmp_path / "card.toml", **{"seed = 1\n": "", "precision = 0.01": "events = 20"})
    out = f"ev{suffix}"
    rc, _, err = cli("run", card, *FAST, "-o", out, "--summary", "s.json", "-q")
    assert rc == 0, err
    assert listing(tmp_path) == {"card.toml", out, "s.json"}
    s = json.loads((tmp_path / "s.json").read_text())
    events, meta = io.read(tmp_path / out)
    assert meta["seed"] == s["seed"]
    rc, _, err = cli("run", card, *FAST, "--seed", str(s["seed"]), "-o", f"again{suffix}", "-q")
    assert rc == 0, err
    again, _ = io.read(tmp_path / f"again{suffix}")
    for col in EVENT_COLUMNS:
        assert again[col].tobytes() == events[col].tobytes(), col


def test_run_with_card_file(cli, tmp_path):
    card = write_card(tmp_path / "card.toml", **{
        "precision = 0.01": "events = 40\nchunk_size = 100000",
        'output = "bdgen_miniboone.root"': 'output = "from_card.h5"',
        "seed = 1": "seed = 17",
    })
    rc, _, err = cli("run", card, "-q")
    assert rc == 0, err
    assert listing(tmp_path) == {"card.toml", "from_card.h5"}
    events, meta = io.read(tmp_path / "from_card.h5")
    assert len(events["weight"]) == 40 and meta["seed"] == 17
    # -o overrides the card's output
    rc, _, err = cli("run", card, "-o", "other.root", "-q")
    assert rc == 0, err
    assert listing(tmp_path) == {"card.toml", "from_card.h5", "other.root"}


def test_set_events_replaces_card_precision(cli, tmp_path):
    rc, _, err = cli("run", *FAST, "--set", "run.events=30", "-o", "ev.root", "--summary", "s.json", "-q")
    assert rc == 0, err
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["config"]["run"]["events"] == 30
    assert "precision" not in s["config"]["run"]
    assert s["n_events"] == 30


def test_set_values_are_parsed_as_toml(cli, tmp_path):
    rc, _, err = cli(
        "run", *FAST,
        "--set", "run.events=30",
        "--set", "model.dm=dirac",                    # bare word -> string
        "--set", 'signal.channel="electron"',         # quoted string
        "--set", "production.channels=['pi0']",       # array
        "--set", "model.m_v=5e-2",                    # float
        "--set", "signal.t_max=1",                    # int for a float
        "--set", "run.unweighted=false",              # bool
        "-o", "ev.h5", "--summary", "s.json", "-q",
    )
    assert rc == 0, err
    s = json.loads((tmp_path / "s.json").read_text())
    c = s["config"]
    assert c["model"]["dm"] == "dirac"
    assert c["signal"]["channel"] == "electron"
    assert c["production"]["channels"] == ["pi0"]
    assert c["model"]["m_v"] == 0.05
    assert c["signal"]["t_max"] == 1.0
    assert c["run"]["unweighted"] is False
    assert [(ch["production"], ch["signal"]) for ch in s["channels"]] == [("pi0", "electron")]
    events, _ = io.read(tmp_path / "ev.h5")
    assert set(np.unique(events["recoil_pdg"])) == {11}
    assert set(np.unique(np.abs(events["chi_pdg"]))) == {52}
    assert set(np.unique(events["parent_pdg"])) == {111}


def test_set_nested_key_in_inline_detector(cli, tmp_path):
    text = BUILTIN.replace('[detector]\nname = "miniboone"\n',
                           '[detector.shape]\nkind = "sphere"\ncentre = [0.0, -1.9, 491.0]\nradius = 5.0\n'
                           '[detector.material]\nname = "oil"\nformula = "CH2"\ndensity = 0.845\n')
    card = write_card(tmp_path / "card.toml", text)
    rc, _, err = cli("run", card, *FAST, "--set", "run.events=30", "--set", "detector.shape.radius=4.0",
                     "--set", "detector.material.density=0.9", "-o", "ev.root", "--summary", "s.json", "-q")
    assert rc == 0, err
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["config"]["detector"]["shape"]["radius"] == 4.0
    assert s["config"]["detector"]["shape"]["kind"] == "sphere"
    assert s["config"]["detector"]["material"]["density"] == 0.9
    events, _ = io.read(tmp_path / "ev.root")
    r = np.sqrt(events["x"] ** 2 + (events["y"] + 1.9) ** 2 + (events["z"] - 491.0) ** 2)
    assert len(r) == 30 and np.all(r <= 4.0 * (1 + 1e-12))


def test_overwrite_replaces_both_files(cli, tmp_path):
    (tmp_path / "ev.root").write_bytes(b"old")
    (tmp_path / "s.json").write_text("old")
    rc, _, err = cli("run", *FAST, "--set", "run.events=20", "--seed", "5", "-o", "ev.root",
                     "--summary", "s.json", "--overwrite", "-q")
    assert rc == 0, err
    assert listing(tmp_path) == {"ev.root", "s.json"}
    events, meta = io.read(tmp_path / "ev.root")
    assert len(events["weight"]) == 20 and meta["seed"] == 5
    assert json.loads((tmp_path / "s.json").read_text())["seed"] == 5


def test_same_seed_same_events_different_chunks(cli, tmp_path):
    common = ["--set", "run.events=100", "--seed", "4", "-q"]
    assert cli("run", *common, "--set", "run.chunk_size=50000", "-o", "a.h5")[0] == 0
    assert cli("run", *common, "--set", "run.chunk_size=200000", "-o", "b.root")[0] == 0
    a, _ = io.read(tmp_path / "a.h5")
    b, _ = io.read(tmp_path / "b.root")
    for col in EVENT_COLUMNS:
        assert a[col].tobytes() == b[col].tobytes(), col


def test_closed_channels_exit_zero(cli, tmp_path):
    # 2 m_chi = 0.6 GeV is above both meson masses
    rc, out, err = cli("run", "--set", "run.events=50", "--set", "model.m_chi=0.3", "-o", "ev.root",
                       "--summary", "s.json")
    assert rc == 0, err
    s = _check_summary(tmp_path / "s.json")
    assert s["signal_events"] == 0.0 and s["n_events"] == 0
    assert len(s["channels"]) == 2
    assert all("closed" in ch and ch["events"] == 0.0 for ch in s["channels"])
    assert "closed" in out
    events, meta = io.read(tmp_path / "ev.root")
    assert all(v.shape == (0,) for v in events.values())
    assert meta["signal_events"] == 0.0


def test_pi0_closed_eta_open_cli(cli, tmp_path):
    rc, _, err = cli("run", *FAST, "--set", "run.events=20", "--set", "model.m_chi=0.2", "-o", "ev.h5",
                     "--summary", "s.json", "-q")
    assert rc == 0, err
    s = _check_summary(tmp_path / "s.json")
    pi0, eta = s["channels"]
    assert "closed" in pi0 and pi0["events"] == 0.0
    assert "closed" not in eta and eta["events"] > 0
    events, _ = io.read(tmp_path / "ev.h5")
    assert len(events["weight"]) == 20 and set(np.unique(events["parent_pdg"])) == {221}


def test_compat_bdnmc_cli(cli, tmp_path):
    rc, _, err = cli("run", *FAST, "--set", "run.events=30", "--set", "compat.bdnmc=true", "-o", "ev.root",
                     "--summary", "s.json", "-q")
    assert rc == 0, err
    s = _check_summary(tmp_path / "s.json")
    assert s["config"]["compat"]["bdnmc"] is True and s["n_events"] == 30


def test_unweighted_cli(cli, tmp_path):
    rc, _, err = cli("run", *FAST, "--set", "run.precision=0.2", "--set", "run.unweighted=true", "-o", "ev.h5",
                     "--summary", "s.json", "-q")
    assert rc == 0, err
    s = json.loads((tmp_path / "s.json").read_text())
    events, _ = io.read(tmp_path / "ev.h5")
    w = events["weight"]
    assert len(w) > 0 and np.all(w == w[0])
    assert w.sum() == pytest.approx(s["signal_events"], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Failures during the run leave no output file
# ---------------------------------------------------------------------------------------------


def test_interrupt_during_write(cli, monkeypatch, tmp_path):
    import bdgen.io.root

    def interrupted(path, result):
        Path(path).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(bdgen.io.root, "write_root", interrupted)
    rc, _, err = cli("run", *FAST, "--set", "run.events=20", "-o", "ev.root", "--summary", "s.json", "-q")
    assert rc == 130
    assert len(err.splitlines()) == 1 and "interrupted" in err and "Traceback" not in err
    assert listing(tmp_path) == set()


def test_interrupt_during_generation(cli, monkeypatch, tmp_path):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(bdgen.pipeline, "generate", interrupted)
    rc, _, err = cli("run", "--set", "run.events=20", "-o", "ev.h5", "--summary", "s.json", "-q")
    assert rc == 130
    assert listing(tmp_path) == set()


def test_failed_write_keeps_existing_file(cli, monkeypatch, tmp_path):
    import bdgen.io.hdf5

    class Boom(RuntimeError):
        pass

    def broken(path, result):
        Path(path).write_bytes(b"half")
        raise Boom("disk full")

    monkeypatch.setattr(bdgen.io.hdf5, "write_hdf5", broken)
    (tmp_path / "ev.h5").write_bytes(b"previous")
    with pytest.raises(Boom):
        cli("run", *FAST, "--set", "run.events=20", "-o", "ev.h5", "--overwrite", "-q")
    assert (tmp_path / "ev.h5").read_bytes() == b"previous"
    assert listing(tmp_path) == {"ev.h5"}


# ---------------------------------------------------------------------------------------------
# The installed executable
# ---------------------------------------------------------------------------------------------


def _bdgen_command() -> list[str]:
    # the entry point installed beside this interpreter first: another bdgen on PATH may be
    # another installation
    cand = Path(sys.executable).parent / "bdgen"
    exe = str(cand) if cand.is_file() and os.access(cand, os.X_OK) else shutil.which("bdgen")
    return [exe] if exe else [sys.executable, "-m", "bdgen.cli"]


def _sub(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(_bdgen_command() + args, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_executable_run(tmp_path):
    p = _sub(["run", "--set", "run.events=100", "--set", "run.chunk_size=100000", "--seed", "6",
              "-o", "ev.root", "--summary", "s.json", "-q"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert listing(tmp_path) == {"ev.root", "s.json"}
    s = _check_summary(tmp_path / "s.json")
    events, meta = io.read(tmp_path / "ev.root")
    assert len(events["weight"]) == 100 and meta["seed"] == 6
    assert events["weight"].sum() == pytest.approx(s["signal_events"], rel=1e-12)


def test_executable_bad_input(tmp_path):
    p = _sub(["run", "--set", "model.m_chi=-1", "-o", "ev.root"], tmp_path)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert "model.m_chi" in lines[0] and "-1" in lines[0] and "> 0" in lines[0]
    assert listing(tmp_path) == set()


def test_executable_missing_card(tmp_path):
    p = _sub(["run", "missing.toml"], tmp_path)
    assert p.returncode == 2
    assert len(p.stderr.splitlines()) == 1 and "missing.toml" in p.stderr
    assert listing(tmp_path) == set()


def test_executable_card(tmp_path):
    p = _sub(["card", "miniboone"], tmp_path)
    assert p.returncode == 0
    assert p.stdout == BUILTIN


@pytest.mark.parametrize("override, fragments", [
    ("model.m_v=3*mchi", ["3*mchi", "FACTOR*NAME", "m_chi"]),
    ("model.m_chi=0.02", ["model.m_chi", "scanned by --grid"]),
])
def test_scan_bad_set_refused_before_work(cli, monkeypatch, tmp_path, override, fragments):
    import bdgen.config
    import bdgen.pipeline

    def forbidden(*a, **k):
        raise AssertionError("a run started for bad input")

    monkeypatch.setattr(bdgen.pipeline, "generate", forbidden)
    rc, _, err = cli("scan", "--grid", "m_chi=0.01:0.02:2", "--set", override, "-o", "s.csv")
    assert_one_line_error(rc, err, *fragments)
    assert listing(tmp_path) == set()


def test_no_output_writes_nothing(cli, tmp_path):
    """--no-output prints the summary and writes no event file, not even the card's run.output."""
    rc, out, err = cli("run", "--no-output", "--set", "run.events=20", *FAST, "--summary", "s.json")
    assert rc == 0, err
    assert listing(tmp_path) == {"s.json"}
    assert "events written to" not in out
    rc, _, err = cli("run", "--no-output", "-o", "ev.root", "--set", "run.events=20")
    assert_one_line_error(rc, err, "--no-output", "-o")


def test_limits_csv_with_plain_header_line(tmp_path):
    """A published-limits CSV whose first line is a header without '#' is read (header skipped)."""
    from bdgen.plotting import read_limits_csv

    (tmp_path / "p.csv").write_text("m_chi,Y\n0.01,1e-10\n0.1,1e-9\n")
    data = read_limits_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(data, [[0.01, 1e-10], [0.1, 1e-9]])


def test_plot_detector_choice_messages(cli, tmp_path):
    """plot: a multi-detector file needs --detector (one-line error naming the sets); a
    single-detector file accepts its own detector's name and refuses another."""
    rc, _, err = cli("run", "--set", 'detector.names=["sbnd","microboone"]', "--set", "run.events=20", *FAST,
                     "-o", "md.h5", "-q")
    assert rc == 0, err
    rc, _, err = cli("plot", "md.h5", "-o", "a.png")
    assert_one_line_error(rc, err, "--detector", "events_sbnd", "events_microboone")
    rc, _, err = cli("run", "--set", "run.events=20", *FAST, "-o", "one.h5", "-q")
    assert rc == 0, err
    rc, out, err = cli("plot", "one.h5", "-o", "b.png", "--detector", "miniboone")
    assert rc == 0, err
    rc, _, err = cli("plot", "one.h5", "-o", "c.png", "--detector", "sbnd")
    assert_one_line_error(rc, err, "--detector", "'sbnd'", "'miniboone'")


def test_cli_messages_name_option_and_remedy(tmp_path, monkeypatch, capsys):
    """Refusals found by a new-user audit name the option, the value and what to do instead."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scan.csv").write_text("m_chi,y\n0.01,1e-9\n")
    assert main(["plot", "scan.csv", "-o", "p.png"]) == 2
    assert "bdgen scan ... --plot" in capsys.readouterr().err
    assert main(["thermal", "--grid", "m_v=0.01:0.1:2", "-o", "t.csv"]) == 2
    assert "give m_chi=LO:HI:N" in capsys.readouterr().err
    assert main(["thermal", "--splitting", "0.1", "-o", "t.csv"]) == 2
    assert "use --dm pseudo_dirac" in capsys.readouterr().err
    assert main(["scan", "--grid", "m_chi=0.01:0.02:2", "--set", "model.m_v=3*m_v", "-o", "s.csv", "-q"]) == 2
    err = capsys.readouterr().err
    assert "'model.m_v=3*m_v'" in err and "['m_chi']" in err
    assert main(["scan", "--grid", "m_chi=0.01:0.02:2", "-o", "s.csv", "-q", "--thermal"]) == 2
    assert "--thermal: draws the thermal targets on the --plot figure" in capsys.readouterr().err
    assert not any(p.suffix in (".png", ".csv") for p in tmp_path.iterdir() if p.name != "scan.csv")


def test_unreadable_event_files_are_refused(cli, tmp_path):
    """reweight and plot of a file that is not a bdgen event file: one line, exit 2, no traceback."""
    (tmp_path / "junk.root").write_text("junk\n")
    (tmp_path / "junk.h5").write_text("junk\n")
    (tmp_path / "card.toml").write_text("x = 1\n")
    code, _, err = cli("reweight", "junk.root", "--set", "model.epsilon=1e-4", "-o", "rw.root")
    assert code == 2 and 'file = "' in err and "not a readable bdgen event file" in err and len(err.splitlines()) == 1
    code, _, err = cli("plot", "junk.h5", "-o", "p.png")
    assert code == 2 and "not a readable bdgen event file" in err and "Traceback" not in err
    code, _, err = cli("reweight", "card.toml", "--set", "model.epsilon=1e-4", "-o", "rw.root")
    assert code == 2 and "unknown event-file format" in err
    import uproot as up

    with up.recreate(tmp_path / "other.root") as f:
        f["x"] = "not bdgen"
    code, _, err = cli("plot", "other.root", "-o", "p.png")
    assert code == 2 and "not a bdgen event file" in err
    with up.recreate(tmp_path / "tree.root") as f:  # an 'events' tree without bdgen's provenance
        f["events"] = {"weight": np.ones(3)}
    code, _, err = cli("plot", "tree.root", "-o", "p.png")
    assert code == 2 and "not a bdgen event file" in err and "summary" in err
    assert not (tmp_path / "rw.root").exists() and not (tmp_path / "p.png").exists()


def test_detectors_show_keeps_an_existing_default_drawing(cli, tmp_path):
    """A second `bdgen detectors show NAME` prints the detector again and leaves NAME.png alone;
    an explicit --png that exists is still refused without --overwrite."""
    code, out, _ = cli("detectors", "show", "sbnd")
    assert code == 0 and "drawing written to sbnd.png" in out
    stamp = (tmp_path / "sbnd.png").stat().st_mtime_ns
    code, out, _ = cli("detectors", "show", "sbnd")
    assert code == 0 and "fiducial mass" in out and "not redrawn" in out
    assert (tmp_path / "sbnd.png").stat().st_mtime_ns == stamp
    code, _, err = cli("detectors", "show", "sbnd", "--png", "sbnd.png")
    assert code == 2 and "exists" in err


def test_output_path_in_provenance_and_no_output_wording(cli, tmp_path):
    code, out, _ = cli("run", "-q", "--set", "run.events=50", *FAST, "-o", "mine.h5")
    assert code == 0
    _, meta = io.read(tmp_path / "mine.h5")
    assert meta["config"]["run"]["output"] == "mine.h5"
    code, out, _ = cli("run", "--no-output", "--set", "run.events=50", *FAST)
    assert code == 0 and "events in the sample" in out and "written" not in out


def test_broken_pipe_is_quiet():
    """`bdgen detectors | head -1` or a reader that closes at once (`| true`, which makes the write
    fail every time): no BrokenPipeError, traceback or 'Exception ignored' message."""
    exe = shutil.which("bdgen")
    if exe is None:
        pytest.skip("the bdgen executable is not on PATH")
    p = subprocess.run(f"'{exe}' detectors | head -1", shell=True, capture_output=True, text=True, timeout=120)
    assert p.stdout.count("\n") == 1
    for cmd in (f"'{exe}' detectors | true", f"'{exe}' card | true"):
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
        assert "BrokenPipe" not in p.stderr and "Traceback" not in p.stderr and "Exception" not in p.stderr, p.stderr


def test_bad_parallel_options_are_named_as_given(cli):
    code, _, err = cli("run", "--no-output", "--threads", "-1")
    assert code == 2 and err.strip() == "bdgen: error: --threads = -1: must be >= 0"
    code, _, err = cli("run", "--no-output", "--workers", "-2")
    assert code == 2 and "--workers = -2" in err
    code, _, err = cli("run", "--no-output", "--set", "run.threads=-1")
    assert code == 2 and "run.threads = -1" in err


def test_summary_table_shows_the_spectrum_systematics(cli):
    code, out, _ = cli("run", "--no-output", "--set", "production.spectrum_systematics=true",
                       "--set", 'production.channels=["pi0"]', "--set", "run.precision=0.2", *FAST)
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("spectrum systematics"))
    assert "bmpt" in line
