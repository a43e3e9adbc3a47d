"""Signal upper limits, and eps/Y limits from a scan checked against direct runs."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import stats

import bdgen
from bdgen import cli
from bdgen.errors import CardError
from bdgen.limits import classical_upper_limit, feldman_cousins_upper_limit, y_parameter
from bdgen.scan import parse_grid, run_scan

approx = partial(pytest.approx, abs=0.0)


def test_classical_no_background_is_ln10():
    assert classical_upper_limit(0, 0.0) == approx(math.log(10.0), rel=1e-10)  # P(0 | s) = 0.1


@pytest.mark.parametrize("n, b", [(0, 2.0), (3, 1.5), (10, 8.0)])
def test_classical_definition(n, b):
    s = classical_upper_limit(n, b)
    assert stats.poisson.cdf(n, s + b) == approx(0.1, rel=1e-8)


def test_background_uncertainty_weakens_the_limit():
    assert classical_upper_limit(5, 5.0, sigma_b=2.0) > classical_upper_limit(5, 5.0)


def test_feldman_cousins_table_values():
    # Feldman & Cousins, PRD 57 (1998) 3873, Table IV (90% CL): n0 = 0, b = 0 -> 2.44; n0 = 3, b = 0 -> 7.42
    assert feldman_cousins_upper_limit(0, 0.0) == approx(2.44, abs=0.005)
    assert feldman_cousins_upper_limit(3, 0.0) == approx(7.42, abs=0.005)


@pytest.mark.parametrize("s_true, b", [(1.0, 2.0), (4.0, 1.0)])
def test_feldman_cousins_upper_limits_cover(s_true, b):
    """The FC interval covers s at >= 90%, so its upper end is >= s in at least 90% of
    pseudo-experiments (seeded, 3-sigma binomial tolerance)."""
    rng = np.random.default_rng(1)
    ns = rng.poisson(s_true + b, 400)
    uls = {n: feldman_cousins_upper_limit(int(n), b, s_max=30.0) for n in np.unique(ns)}
    frac = np.mean([uls[n] >= s_true for n in ns])
    assert frac >= 0.9 - 3 * math.sqrt(0.09 / 400)


def test_parse_grid_and_errors():
    g = parse_grid("m_chi=0.01:0.1:3:log")
    np.testing.assert_allclose(g.values, [0.01, math.sqrt(0.001), 0.1], rtol=1e-12, atol=0)
    assert parse_grid("m_v=1:3:3:lin").values.tolist() == [1.0, 2.0, 3.0]
    for bad in ("m_x=1:2:3", "m_chi=0.2:0.1:3", "m_chi=1:2:0", "m_chi=a:b:3"):
        with pytest.raises(CardError, match="--grid"):
            parse_grid(bad)
    with pytest.raises(CardError, match="not a scanned variable"):
        run_scan(None, ["model.m_v=3*m_v"], [parse_grid("m_chi=0.1:0.2:2")])


def test_epsilon_limit_agrees_with_a_direct_run():
    """The eps limit of a scan point, inserted in a new run, gives the signal upper limit
    (within that run's 4 sigma): the eps dependence is computed, not assumed."""
    points, settings = run_scan(None, ["model.m_v=3*m_chi", "model.alpha_d=0.5", "run.precision=0.03"],
                                [parse_grid("m_chi=0.02:0.02:1")], background=4.0, seed=2)
    p = points[0]
    s_up = settings["signal_upper_limit"]
    assert math.isfinite(p.epsilon_limit)
    r = bdgen.generate(bdgen.load_card(None, [f"model.m_chi={p.m_chi}", f"model.m_v={p.m_v}", "model.alpha_d=0.5",
                                              f"model.epsilon={p.epsilon_limit}", "run.precision=0.03"]),
                       seed=3).summary
    assert abs(r["signal_events"] - s_up) < 4 * r["signal_events_error"]
    assert p.y_limit == approx(y_parameter(p.epsilon_limit, 0.5, p.m_chi, p.m_v), rel=1e-12)


def test_cli_scan_writes_table_and_plot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["scan", "--grid", "m_chi=0.01:0.05:2:log", "--set", "model.m_v=3*m_chi",
                     "--set", "run.precision=0.1", "-o", "s.csv", "--plot", "s.png", "--background", "2", "-q",
                     "--thermal"])
    assert code == 0
    text = (tmp_path / "s.csv").read_text().splitlines()
    assert text[0].startswith("# bdgen scan")
    header = text[1].split(",")
    assert {"m_chi", "m_v", "signal_events", "epsilon_limit", "y_limit"} <= set(header)
    rows = np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=2, ndmin=2)
    np.testing.assert_allclose(rows[:, header.index("m_v")], 3 * rows[:, header.index("m_chi")], rtol=1e-12, atol=0)
    # per production channel: events and their errors, adding up to the total (errors in quadrature)
    chans = [c.removeprefix("events_error_") for c in header if c.startswith("events_error_")]
    assert chans and all(f"events_{c}" in header for c in chans)
    total = sum(rows[:, header.index(f"events_{c}")] for c in chans)
    np.testing.assert_allclose(total, rows[:, header.index("signal_events")], rtol=1e-6)
    err2 = sum(rows[:, header.index(f"events_error_{c}")] ** 2 for c in chans)
    np.testing.assert_allclose(np.sqrt(err2), rows[:, header.index("signal_events_error")], rtol=0.02)
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert cli.main(["scan", "--grid", "m_chi=0.01:0.05:2", "-o", "s.txt", "-q"]) == 2


def test_cli_scan_records_its_card_and_survives_no_limit(tmp_path, monkeypatch, capsys):
    """The table's metadata records the card and the resolved card (the epsilon and alpha_D the
    signal assumes), the HDF5 columns carry descriptions, and a scan with no finite limit anywhere
    (the pi0 channel closed at m_chi = 0.3 GeV) still writes its table and an annotated figure
    (exit 0) and says why there is no limit."""
    import json

    import h5py

    monkeypatch.chdir(tmp_path)
    code = cli.main(["scan", "--grid", "m_chi=0.3:0.3:1", "--set", 'production.channels=["pi0"]', "--set",
                     "run.precision=0.3", "--background", "10", "-o", "c.h5", "--plot", "c.png", "-q"])
    assert code == 0
    assert "no finite limit at any point" in capsys.readouterr().err
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    with h5py.File(tmp_path / "c.h5") as f:
        settings = json.loads(f.attrs["settings"])
        assert f["scan/epsilon_limit"][0] == np.inf
        assert "GeV" in f["scan/m_chi"].attrs["description"]
        assert "card's epsilon and alpha_D" in f["scan/signal_events"].attrs["description"]
    assert settings["card"] == "built-in miniboone"
    card = settings["resolved_card_first_point"]
    assert card["model"]["epsilon"] == 1e-3 and card["model"]["alpha_d"] == 0.1 and card["model"]["m_chi"] == 0.3
    assert card["production"]["channels"] == ["pi0"] and settings["bdgen_version"] == bdgen.__version__


@pytest.mark.slow
def test_cli_scan_thermal_line_at_varying_ratio_is_flagged(tmp_path, monkeypatch, capsys):
    """With m_V fixed by the card, --thermal computes each point's target at its own m_V/m_chi: the
    run says so (the usual lines are at a fixed ratio); a scan in m_V at fixed m_chi is drawn
    against m_V."""
    from types import SimpleNamespace

    from bdgen.plotting import plot_sensitivity

    monkeypatch.chdir(tmp_path)
    assert cli.main(["scan", "--grid", "m_chi=0.005:0.01:2:log", "--set", "run.precision=0.3", "--background", "10",
                     "-o", "f.csv", "--plot", "f.png", "-q", "--thermal"]) == 0
    assert "each point's own m_V/m_chi (10 to 20)" in capsys.readouterr().err
    pts = [SimpleNamespace(m_chi=0.02, m_v=mv, y_limit=1e-9 * mv, y_upper=np.nan) for mv in (0.05, 0.08)]
    assert plot_sensitivity(pts, tmp_path / "v.png", x="m_v").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="x = 'y'"):
        plot_sensitivity(pts, tmp_path / "w.png", x="y")


def test_cli_plot_spectra(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--set", "run.events=200", "-o", "e.h5", "-q"]) == 0
    assert cli.main(["plot", "e.h5", "-o", "spectra.png"]) == 0
    assert (tmp_path / "spectra.png").read_bytes()[:4] == b"\x89PNG"
    assert "200 events" in capsys.readouterr().out
    assert cli.main(["plot", "e.h5", "-o", "spectra.png"]) == 2  # exists
    assert cli.main(["plot", "e.h5", "-o", "spectra.txt"]) == 2
    assert not list(tmp_path.glob(".spectra*"))  # no temporary files left


def test_decay_samples_are_not_reweighted(tmp_path):
    from bdgen.reweight import reweight_file

    r = bdgen.generate(bdgen.load_card(None, ["run.events=20", "signal.channel=decay", "model.m_v=0.05",
                                              "model.m_chi=0.05", "model.epsilon=1e-6",
                                              'production.channels=["pi0"]']), seed=1)
    bdgen.write(r, tmp_path / "d.h5")
    with pytest.raises(CardError, match="cannot be reweighted"):
        reweight_file(str(tmp_path / "d.h5"), ["model.epsilon=1e-7"])


@pytest.mark.parametrize("n0, b, table", [(0, 2.0, 1.26), (0, 3.0, 1.08), (0, 4.0, 1.01), (0, 5.0, 0.98),
                                          (1, 4.0, 1.39), (1, 5.0, 1.22), (2, 1.0, 4.91), (4, 0.0, 8.60)])
def test_feldman_cousins_table_iv_below_background(n0, b, table):
    """Feldman & Cousins, PRD 57 (1998) 3873, Table IV (90% CL, two decimals), including n0 < b where
    the raw construction jumps with b and the table's upper ends are non-increasing in b."""
    assert feldman_cousins_upper_limit(n0, b) == approx(table, abs=0.02)


def test_feldman_cousins_large_counts_not_capped():
    """For n0 = b = 5000 the interval is Gaussian: s_up = 1.645 sqrt(b + s_up) (90% two-sided), 117.7;
    the s range grows with the counts (it used to stop at 100)."""
    s_up = feldman_cousins_upper_limit(5000, 5000.0)
    assert s_up == approx(1.645 * math.sqrt(5000 + s_up), rel=0.01)
    assert feldman_cousins_upper_limit(100, 0.0) > 100.0


@pytest.mark.parametrize("n, b, sigma_b", [(2, 0.5, 2.0), (3, 1.0, 3.0), (2, 1.0, 1.5), (10, 5.0, 3.0)])
def test_background_uncertainty_against_quadrature(n, b, sigma_b):
    """Cousins-Highland: P(N <= n) averaged over a Gaussian background truncated at 0, against scipy
    quad of the same average (rel 1e-6), also where sigma_b is comparable to b."""
    from scipy import integrate, optimize

    norm = stats.norm.sf(0.0, b, sigma_b)

    def p(s):
        return integrate.quad(lambda bb: stats.poisson.cdf(n, s + bb) * stats.norm.pdf(bb, b, sigma_b),
                              0.0, b + 12 * sigma_b, epsabs=0, epsrel=1e-10)[0] / norm

    ref = optimize.brentq(lambda s: p(s) - 0.1, 0.0, 50.0, xtol=1e-12)
    assert classical_upper_limit(n, b, sigma_b=sigma_b) == approx(ref, rel=1e-6)


def test_scan_refuses_empty_limits_and_decay_lists():
    grid = [parse_grid("m_chi=0.02:0.02:1")]
    base = ["model.m_v=3*m_chi", "run.events=100"]
    with pytest.raises(CardError, match="upper limit on the signal is 0"):
        run_scan(None, base, grid, background=3.0, observed=0.0)
    with pytest.raises(CardError, match="--observed"):
        run_scan(None, base, grid, background=3.0, observed=-1.0)
    with pytest.raises(CardError, match="decay"):
        run_scan(None, [*base, 'signal.channels=["decay"]'], [parse_grid("m_chi=0.04:0.04:1")])


def test_visible_decay_band_against_direct_runs():
    """signal.channel = "decay": the scan's excluded band [eps_lower, eps_upper] comes from direct runs on
    an eps grid; a new run at either edge gives the signal upper limit, within 25 % (the log-log
    interpolation over the last bisection bracket, a factor 1.15 in eps, where N varies steeply)."""
    card = ["model.m_chi=0.04", "signal.channel=decay", "run.precision=0.05"]
    points, settings = run_scan(None, card, [parse_grid("m_v=0.05:0.05:1")], background=10.0, seed=1,
                                eps_grid=np.geomspace(3e-8, 3e-6, 5))
    p = points[0]
    s_up = settings["signal_upper_limit"]
    assert 0 < p.epsilon_limit < p.epsilon_upper < 3e-6
    assert p.y_upper == approx(y_parameter(p.epsilon_upper, 0.1, 0.04, 0.05), rel=1e-12)
    for eps in (p.epsilon_limit, p.epsilon_upper):
        r = bdgen.generate(bdgen.load_card(None, [*card, "model.m_v=0.05", f"model.epsilon={eps}"]), seed=5).summary
        assert r["signal_events"] == approx(s_up, rel=0.25)
    # between the edges the signal exceeds the limit
    mid = math.sqrt(p.epsilon_limit * p.epsilon_upper)
    r = bdgen.generate(bdgen.load_card(None, [*card, "model.m_v=0.05", f"model.epsilon={mid}"]), seed=5).summary
    assert r["signal_events"] > s_up


@pytest.mark.slow
def test_cli_scan_plot_several_thermal_targets(tmp_path, monkeypatch):
    """`--thermal scalar majorana pseudo_dirac` draws one line per species with the
    targets of bdgen.thermal at the scan's m_V/m_chi and the card's alpha_D; an unknown species is
    refused by the parser (exit 2)."""
    from bdgen import plotting
    from bdgen.thermal import thermal_target

    monkeypatch.chdir(tmp_path)
    seen = {}
    real = plotting.plot_sensitivity

    def spy(points, path, **kw):  # type: ignore[no-untyped-def]
        seen.update(kw["thermal"])
        return real(points, path, **kw)

    monkeypatch.setattr(plotting, "plot_sensitivity", spy)
    code = cli.main(["scan", "--grid", "m_chi=0.01:0.03:2:log", "--set", "model.m_v=3*m_chi", "--set",
                     "model.alpha_d=0.5", "--set", "run.precision=0.2", "-o", "s.csv", "--plot", "s.pdf", "-q",
                     "--thermal", "scalar", "majorana", "pseudo_dirac"])
    assert code == 0
    assert list(seen) == ["scalar", "majorana", "pseudo_dirac"]
    m, y = seen["majorana"][1]
    assert m == approx(0.03, rel=1e-9)
    assert y == approx(thermal_target(0.03, ratio=3.0, alpha_d=0.5, dm="majorana")["y"], rel=1e-9)
    assert (tmp_path / "s.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(SystemExit) as exc:
        cli.main(["scan", "--grid", "m_chi=0.01:0.03:2:log", "-o", "t.csv", "--plot", "t.png", "--thermal", "wimp"])
    assert exc.value.code == 2


def test_compare_reads_named_columns_of_bdgen_tables(tmp_path):
    """--compare takes columns 0 and 1, or m_chi and y (y_limit) when the first line names them,
    so the tables of bdgen thermal and bdgen scan can be drawn as they are."""
    from bdgen.plotting import read_limits_csv

    (tmp_path / "th.csv").write_text("# bdgen thermal target: ...\nm_chi,m_v,epsilon,y,sigma_v_cm3_s\n"
                                     "0.01,0.03,1e-5,2e-11,5e-26\n0.02,0.06,2e-5,8e-11,5e-26\n")
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "th.csv"), [[0.01, 2e-11], [0.02, 8e-11]])
    (tmp_path / "sc.csv").write_text("# bdgen scan: {}\nm_chi,m_v,signal_events,y_limit\n0.01,0.03,5.0,3e-10\n")
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "sc.csv"), [[0.01, 3e-10]])
    (tmp_path / "pub.csv").write_text("0.01,1e-9,extra\n0.02,2e-9,extra\n")
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "pub.csv"), [[0.01, 1e-9], [0.02, 2e-9]])
    # a scan's points without a limit (inf, nan) are left out; a byte-order mark and quotes are ignored
    (tmp_path / "inf.csv").write_text("\ufeff\"m_chi\",\"m_v\",\"y_limit\"\n0.01,0.03,3e-10\n0.3,0.9,inf\n0.4,1.2,nan\n",
                                      encoding="utf-8")
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "inf.csv"), [[0.01, 3e-10]])
    # for a scan in m_V the m_v column
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "inf.csv", x="m_v"), [[0.03, 3e-10]])
    # a table of m_v only is not drawn on an m_chi axis (nor the reverse): refused, naming both
    (tmp_path / "mv.csv").write_text("m_v,y_limit\n0.03,3e-10\n0.3,4e-9\n")
    with pytest.raises(CardError, match="mass column is m_v but this plot is drawn against m_chi"):
        read_limits_csv(tmp_path / "mv.csv")
    np.testing.assert_array_equal(read_limits_csv(tmp_path / "mv.csv", x="m_v"), [[0.03, 3e-10], [0.3, 4e-9]])
    (tmp_path / "mc.csv").write_text("m_chi,y\n0.01,3e-10\n")
    with pytest.raises(CardError, match="mass column is m_chi but this plot is drawn against m_v"):
        read_limits_csv(tmp_path / "mc.csv", x="m_v")
    # in an unnamed published file a non-finite value is still an error
    (tmp_path / "bad.csv").write_text("0.01,inf\n")
    with pytest.raises(CardError, match="two positive numbers"):
        read_limits_csv(tmp_path / "bad.csv")


def test_parse_grid_refuses_infinite_bounds():
    with pytest.raises(CardError, match="LO and HI must be finite"):
        parse_grid("m_chi=0.01:inf:3")


@pytest.mark.slow
def test_cli_scan_in_m_v_draws_against_m_v(tmp_path, monkeypatch, capsys):
    """A scan in m_V at fixed m_chi is drawn against m_V, thermal points included; a point where no
    eps gives the relic abundance (m_V/m_chi = 500) is skipped with a note, not a traceback."""
    from bdgen import plotting

    monkeypatch.chdir(tmp_path)
    seen = {}
    real = plotting.plot_sensitivity

    def spy(points, path, **kw):  # type: ignore[no-untyped-def]
        seen.update(kw)
        return real(points, path, **kw)

    monkeypatch.setattr(plotting, "plot_sensitivity", spy)
    assert cli.main(["scan", "--grid", "m_v=0.05:0.08:2", "--set", "model.m_chi=0.01", "--set", "run.precision=0.3",
                     "--background", "10", "-o", "v.csv", "--plot", "v.png", "-q", "--thermal"]) == 0
    assert seen["x"] == "m_v"
    assert [m for m, _y in seen["thermal"]["scalar"]] == approx([0.05, 0.08], rel=1e-12)
    assert cli.main(["scan", "--grid", "m_chi=0.002:0.002:1", "--set", "model.m_v=1", "--set", "run.precision=0.3",
                     "--background", "10", "-o", "b.csv", "--plot", "b.png", "-q", "--thermal"]) == 0
    assert "no thermal target for scalar at m_chi = 0.002: " in capsys.readouterr().err
    assert (tmp_path / "b.png").is_file()
