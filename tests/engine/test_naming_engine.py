"""The naming game: the compiled engine, the Mesa model and the slow reference model give
the same series; committed agents never change; the minimal game reaches consensus; the
binary game follows its mean field (normsim.theory.naming) on a large well-mixed
population, and tips to A above the critical committed fraction only."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from normsim.draws import replicate_seeds
from normsim.engine.naming import simulate_naming
from normsim.errors import NormsimError
from normsim.naming import NamingParams, well_mixed
from normsim.naming_model import NamingGameModel
from normsim.theory.naming import critical_committed_fraction, naming_rhs

from support.clirun import normsim
from support.naming_slow import slow_naming

CASES = {
    "binary-well-mixed": NamingParams(
        variant="binary", network=well_mixed(40), committed=0.15, generations=60
    ),
    "binary-grid": NamingParams(
        variant="binary",
        network={"kind": "grid", "rows": 5, "cols": 6},
        committed_count=4,
        generations=80,
    ),
    "binary-no-committed-ring": NamingParams(
        variant="binary",
        network={"kind": "watts_strogatz", "n": 20, "k": 2, "p": 0.0},
        generations=5,
    ),
    "minimal-well-mixed": NamingParams(variant="minimal", network=well_mixed(30), generations=150),
    "minimal-small-world": NamingParams(
        variant="minimal",
        network={"kind": "watts_strogatz", "n": 30, "k": 4, "p": 0.2},
        generations=150,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [5, 11])
def test_engine_mesa_and_slow_model_give_identical_series(name, seed):
    params = CASES[name]
    engine = simulate_naming(params, [seed])
    mesa = NamingGameModel(params, seed=seed)
    mesa.run_model()
    slow = slow_naming(params, seed)
    got = engine.series()
    assert set(got) <= set(mesa.series())
    for key, series in got.items():
        np.testing.assert_array_equal(series[0], mesa.series()[key], err_msg=key)
        np.testing.assert_array_equal(series[0], slow["series"][key], err_msg=key)
    assert engine.consensus_time[0] == mesa.consensus_time == slow["consensus_time"]
    if params.binary:  # the Mesa model reports the shares in both variants: NaN here
        assert engine.n_a is not None
    else:
        assert np.isnan(mesa.series()["n_a"]).all()


def test_the_cases_above_reach_consensus_and_stop_early():
    """The identity above covers the engine's early stop only if some case reaches
    consensus before its last generation (the slow model never stops)."""
    stopped = [
        name
        for name, p in CASES.items()
        if 0 < simulate_naming(p, [5]).consensus_time[0] < p.generations
    ]
    assert len(stopped) >= 3, stopped


@pytest.mark.parametrize("variant", ["minimal", "binary"])
def test_well_mixed_is_a_complete_graph(variant):
    p = NamingParams(variant=variant, network=well_mixed(25), committed=0.0, generations=40)
    a = simulate_naming(p, [3, 4])
    b = simulate_naming(p, [3, 4], network={"kind": "complete", "n": 25})
    for key, series in a.series().items():
        np.testing.assert_array_equal(series, b.series()[key], err_msg=key)


def test_committed_agents_never_change_their_inventory():
    p = NamingParams(
        variant="binary",
        network={"kind": "watts_strogatz", "n": 40, "k": 4, "p": 0.3},
        committed=0.3,
        generations=30,
    )
    m = NamingGameModel(p, seed=9)
    fixed = [a for a in m.by_node if a.committed]
    assert len(fixed) == 12
    heard_b = 0
    while m.running:
        m.step()
        assert all(a.inventory == [0] for a in fixed)
        heard_b += sum(1 for a in m.by_node if not a.committed and 1 in a.inventory)
    assert heard_b > 0  # B was still around for the committed agents to hear it
    # in the engine: the uncommitted agents' shares always add up to 1 - k/N
    s = simulate_naming(p, [9, 10, 11])
    assert s.n_a is not None and s.n_b is not None and s.n_ab is not None
    np.testing.assert_allclose(s.n_a + s.n_b + s.n_ab, 1 - 12 / 40, rtol=0, atol=1e-12)
    assert s.committed_count == 12


def test_minimal_game_always_reaches_consensus_on_a_small_complete_graph():
    p = NamingParams(variant="minimal", network={"kind": "complete", "n": 12}, generations=3000)
    s = simulate_naming(p, replicate_seeds(2024, 40))
    assert (s.consensus_time > 0).all()
    assert (s.distinct_names[:, -1] == 1).all()
    assert (s.mean_inventory[:, -1] == 1.0).all() and (s.top_share[:, -1] == 1.0).all()
    for r, t in enumerate(s.consensus_time):
        assert (s.success_rate[r, t + 1 :] == 1.0).all()
        assert s.distinct_names[r, t - 1] > 1 or s.mean_inventory[r, t - 1] > 1.0


def test_binary_densities_follow_the_mean_field_on_a_large_well_mixed_population():
    """Eight replicates of 50,000 agents against the ODE integrated by scipy, at several
    times; the tolerance is five standard errors of the replicate mean (plus 2/N for the
    finite population's O(1/N) corrections)."""
    n, times = 50_000, (1, 2, 5, 10, 20)
    seeds = replicate_seeds(7, 8)
    for p in (0.05, 0.15):
        s = simulate_naming(
            NamingParams(variant="binary", network=well_mixed(n), committed=p, generations=20),
            seeds,
        )
        assert s.n_a is not None and s.n_b is not None and s.n_ab is not None
        ode = solve_ivp(
            naming_rhs, (0, 20), [0.0, 1 - p, 0.0], args=(p,), t_eval=times, rtol=1e-10, atol=1e-12
        )
        for i, t in enumerate(times):
            sim = np.array([s.n_a[:, t], s.n_b[:, t], s.n_ab[:, t]])
            err = np.abs(sim.mean(axis=1) - ode.y[:, i])
            tol = 5 * sim.std(axis=1, ddof=1) / np.sqrt(len(seeds)) + 2 / n
            assert (err <= tol).all(), (p, t, err, tol)


@pytest.mark.parametrize("factor", [0.8, 1.5])
def test_committed_fraction_above_critical_tips_to_a_below_keeps_b(factor):
    pc = critical_committed_fraction()
    p = NamingParams(
        variant="binary", network=well_mixed(2000), committed=factor * pc, generations=300
    )
    s = simulate_naming(p, replicate_seeds(11, 4))
    assert s.n_a is not None and s.n_b is not None
    k = s.committed_count
    if factor > 1:  # the mean field reaches 99 % A by t = 25
        assert (s.consensus_time > 0).all()
        assert (s.n_a[:, -1] == 1 - k / 2000).all()
    else:  # the stable mixed state has n_B = 0.80 at p = 0.078
        assert (s.consensus_time == -1).all()
        assert (s.n_b[:, 100:] > 0.7).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "weighted"}, "variant: 'weighted' is not one of minimal, binary"),
        ({"committed": 1.0}, "committed: 1 is outside [0, 1)"),
        ({"committed": -0.1}, "committed: -0.1 is outside [0, 1]"),
        ({"variant": "minimal", "committed": 0.1}, "only the binary variant"),
        ({"committed_count": -1}, "committed_count: -1 must be an integer >= 0"),
        ({"committed": 0.1, "committed_count": 3}, "not both"),
        ({"generations": 0}, "generations: 0 must be an integer >= 1"),
        ({"network": {"kind": "well_mixed", "n": 1}}, "network.n: 1 must be an integer >= 2"),
        ({"network": {"kind": "well_mixed", "n": 5, "k": 2}}, "network.k: not a parameter"),
    ],
)
def test_bad_parameters_are_one_line_errors(kwargs, message):
    with pytest.raises(NormsimError) as e:
        NamingParams(**kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_committed_count_that_leaves_nobody_uncommitted_is_refused():
    p = NamingParams(variant="binary", network=well_mixed(10), committed_count=10)
    with pytest.raises(NormsimError, match="leaves nobody uncommitted"):
        simulate_naming(p, [1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "weighted"], "--variant: 'weighted' is not one of minimal, binary"),
        (["--committed", "1"], "--committed: 1 is outside [0, 1)"),
        (["--committed", "-0.5"], "--committed: -0.5 is outside [0, 1]"),
        (["--variant", "minimal", "--committed", "0.1"], "only the binary variant"),
        (["--n", "1"], "--n: 1"),
        (["--network", "kind: grid"], "network.rows: required for grid"),
        (["--seeds", "1,x"], "--seeds: 'x' is not a number"),
        (["--generations", "2.5"], "--generations: '2.5' is not a whole number"),
    ],
)
def test_cli_bad_input_is_one_line_exit_1_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "series.csv"
    res = normsim("naming", *args, "--out", out)
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert not out.exists()


def test_cli_prints_a_summary_and_writes_the_series(tmp_path):
    import csv
    import json

    out = tmp_path / "series.csv"
    res = normsim(
        "naming", "--variant", "binary", "--n", "300", "--committed", "0.2",
        "--generations", "80", "--seeds", "1,2", "--out", out,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "consensus" in res.stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 * 81
    engine = simulate_naming(
        NamingParams(variant="binary", network=well_mixed(300), committed=0.2, generations=80),
        [1, 2],
    )
    assert engine.n_a is not None
    assert [float(r["n_a"]) for r in rows if r["seed"] == "2"] == list(engine.n_a[1])
    js = tmp_path / "series.json"
    res = normsim(
        "naming", "--variant", "minimal", "--network", "{kind: grid, rows: 4, cols: 5}",
        "--generations", "30", "--seeds", "3", "--json", "--out", js,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout)
    stored = json.loads(js.read_text())
    assert printed["replicates"][0]["consensus_time"] == stored["replicates"][0]["consensus_time"]
    assert len(stored["replicates"][0]["series"]["distinct_names"]) == 31
