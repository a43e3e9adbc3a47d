"""User meson lists: formats, validation, and their use in a run."""

from __future__ import annotations

from functools import partial

import h5py
import numpy as np
import pytest
import uproot

import bdgen
import bdgen.pipeline
from bdgen import constants as C
from bdgen.errors import CardError
from bdgen.production.meson_list import read_meson_list

approx = partial(pytest.approx, abs=0.0)


def _mesons(n: int = 500, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.exponential(1.0, n) + 0.2
    th = np.abs(rng.normal(0.0, 0.05, n))
    ph = rng.uniform(0.0, 2 * np.pi, n)
    px, py, pz = p * np.sin(th) * np.cos(ph), p * np.sin(th) * np.sin(ph), p * np.cos(th)
    e = np.sqrt(p**2 + C.M_PI0**2)
    pos = np.c_[np.zeros(n), np.zeros(n), rng.uniform(0.0, 0.5, n), rng.uniform(0.0, 2.0, n)]
    return np.c_[px, py, pz, e, pos]


def test_three_formats_read_the_same(tmp_path):
    d = _mesons()
    np.savetxt(tmp_path / "m.txt", d, header="px py pz E x y z t")
    with h5py.File(tmp_path / "m.h5", "w") as f:
        g = f.create_group("mesons")
        for i, c in enumerate(("px", "py", "pz", "E", "x", "y", "z", "t")):
            g[c] = d[:, i]
    with uproot.recreate(tmp_path / "m.root") as f:
        f.mktree("mesons", {c: np.float64 for c in ("px", "py", "pz", "E", "x", "y", "z", "t")})
        f["mesons"].extend({c: d[:, i] for i, c in enumerate(("px", "py", "pz", "E", "x", "y", "z", "t"))})
    lists = [read_meson_list(tmp_path / n) for n in ("m.txt", "m.h5", "m.root")]
    for ml in lists:
        assert ml.has_positions and len(ml) == len(d)
        np.testing.assert_allclose(ml.data, d, rtol=1e-15, atol=0.0)


def test_four_columns_have_no_positions(tmp_path):
    d = _mesons()[:, :4]
    np.savetxt(tmp_path / "m.dat", d)
    ml = read_meson_list(tmp_path / "m.dat")
    assert not ml.has_positions
    assert np.all(ml.data[:, 4:] == 0.0)


@pytest.mark.parametrize(
    "content, fragment",
    [("1 2 3\n", "3 columns"), ("0 0 5 1\n", "E < |p|"), ("a b c d\n", "not a table"), ("", "empty")],
)
def test_bad_lists_are_card_errors(tmp_path, content, fragment):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(CardError, match=fragment.replace("|", r"\|")):
        read_meson_list(path)


def test_missing_file_is_caught_by_the_card(tmp_path):
    with pytest.raises(CardError, match="production.meson_list.file"):
        bdgen.load_card(None, [f'production.meson_list={{file="{tmp_path / "nope.txt"}"}}', "run.events=10"])


def test_unknown_key_in_meson_list(tmp_path):
    np.savetxt(tmp_path / "m.txt", _mesons()[:, :4])
    with pytest.raises(CardError, match="production.meson_list.speed"):
        bdgen.load_card(None, [f'production.meson_list={{file="{tmp_path / "m.txt"}", speed=1}}'])


def test_run_uses_listed_mesons_and_positions(tmp_path):
    d = _mesons(2000)
    np.savetxt(tmp_path / "m.txt", d)
    cfg = bdgen.load_card(None, [
        f'production.meson_list={{file="{tmp_path / "m.txt"}", meson="pi0", per_pot=0.45}}',
        'production.channels=["pi0"]', "run.events=200", "model.m_v=0.05", "model.m_chi=0.01",
    ])
    r = bdgen.generate(cfg, seed=5)
    ev = r.events
    assert len(r) == 200
    # every parent is one of the listed mesons (momentum), with the production point and time
    listed = {tuple(np.round(row[:3], 12)) for row in d}
    got = np.c_[ev["parent_px"], ev["parent_py"], ev["parent_pz"]]
    assert all(tuple(np.round(row, 12)) in listed for row in got)
    by_mom = {tuple(np.round(row[:3], 12)): row for row in d}
    rows = np.array([by_mom[tuple(np.round(g, 12))] for g in got])
    np.testing.assert_allclose(ev["prod_z"], rows[:, 6], rtol=0, atol=1e-15)
    # time = listed time + flight time from the listed production point
    dist = np.sqrt((ev["x"] - ev["prod_x"]) ** 2 + (ev["y"] - ev["prod_y"]) ** 2 + (ev["z"] - ev["prod_z"]) ** 2)
    beta = np.sqrt(ev["chi_px"] ** 2 + ev["chi_py"] ** 2 + ev["chi_pz"] ** 2) / ev["chi_E"]
    np.testing.assert_allclose(ev["t"], rows[:, 7] + dist / (beta * C.C_M_PER_NS), rtol=1e-12, atol=0.0)
    ch = r.summary["channels"][0]
    assert ch["parents_per_pot"] == approx(0.45, rel=1e-15)
    assert ch["spectrum_model"].startswith("list ")


def test_list_from_the_spectrum_reproduces_the_spectrum_run(tmp_path):
    """A list sampled from the BNB pi0 spectrum gives the same signal as the spectrum itself
    (within the two runs' combined statistical error, 4 sigma)."""
    from bdgen.beams import load_beam

    sp = load_beam("bnb").mesons["pi0"].generic()
    p, th, viol = sp.sample(400_000, np.random.default_rng(9))
    assert viol == 0
    ph = np.random.default_rng(10).uniform(0, 2 * np.pi, p.size)
    e = np.sqrt(p**2 + C.M_PI0**2)
    np.savetxt(tmp_path / "pi0.txt", np.c_[p * np.sin(th) * np.cos(ph), p * np.sin(th) * np.sin(ph), p * np.cos(th), e])
    common = ['production.channels=["pi0"]', "run.precision=0.04"]
    a = bdgen.generate(bdgen.load_card(None, common), seed=1).summary
    b = bdgen.generate(bdgen.load_card(None, common + [f'production.meson_list={{file="{tmp_path / "pi0.txt"}"}}']),
                       seed=2).summary
    sigma = np.hypot(a["signal_events_error"], b["signal_events_error"])
    assert abs(a["signal_events"] - b["signal_events"]) < 4 * sigma


def test_list_of_another_meson_is_refused(tmp_path):
    """A pi0 list (invariant mass 0.135 GeV) declared as the eta's is refused before any work,
    naming the file, the mass found and the meson's; declared as pi0 it is accepted."""
    np.savetxt(tmp_path / "pi0.txt", _mesons(), header="px py pz E x y z t")
    card = [f'production.meson_list={{file="{tmp_path / "pi0.txt"}", meson="eta"}}', "run.events=10"]
    with pytest.raises(CardError, match=r"invariant mass is 0\.135 GeV .*meson = \"eta\" has 0\.5479 GeV"):
        bdgen.pipeline.prepare(bdgen.load_card(None, card))
    ok = [f'production.meson_list={{file="{tmp_path / "pi0.txt"}", meson="pi0"}}', "run.events=10"]
    bdgen.pipeline.prepare(bdgen.load_card(None, ok))
