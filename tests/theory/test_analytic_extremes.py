"""Stiff or extreme inputs of the replicator-mutator equation are answered (against an
independent stiff solver); it is solved in scaled time; settling early agrees with
integrating to the end; the step budget is a clear error."""

import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from normsim.errors import NormsimError
from normsim.theory import analytic

from support.clirun import normsim_process


def radau(a, b, c, mu, p0, t_max):
    """An independent solution: scipy's implicit Radau method on the unscaled equation."""
    sol = solve_ivp(
        lambda t, y: [analytic.rhs(y[0], a, b, c, mu)],
        (0.0, t_max),
        [p0],
        method="Radau",
        rtol=1e-10,
        atol=1e-13,
    )
    assert sol.success
    return float(sol.y[0, -1])


@pytest.mark.parametrize(
    "args, p_end",
    [
        (["--a", "60000", "--b", "40000", "--c", "0.3"], None),
        (["--a", "1e6", "--b", "1e-6", "--c", "0.3"], None),
        (["--a", "0.6", "--b", "0.4", "--c", "0.3", "--t-max", "1e9"], None),
        (["--a", "0.4", "--b", "0.6", "--c", "0.3", "--mu", "0.01", "--t-max", "1e12"], None),
        (["--a", "1e308", "--b", "1e308", "--c", "0.3"], 0.0),
        (["--a", "1e308", "--b", "1e-308", "--c", "0.3", "--t-max", "1e308"], 0.0),
        (["--a", "0.6", "--b", "0.4", "--c", "0.3", "--t-max", "5e-324"], 0.05),
        (["--a", "0.5", "--b", "0.5", "--c", "0", "--t-max", "1e300"], 0.05),
    ],
)
@pytest.mark.slow
def test_extreme_analytic_inputs_are_answered(args, p_end):
    r = normsim_process("analytic", *args, "--json", timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    out = json.loads(r.stdout)
    if p_end is None:  # the stiff oracle on the equation as given (shortened where it
        t = min(out["t_max"], 1e4 / max(out["a"], out["b"]))  # has long settled)
        p_end = radau(out["a"], out["b"], out["c"], out["mu"], out["p0"], t)
    assert out["final_p"] == pytest.approx(p_end, abs=1e-8)


@pytest.mark.parametrize("k", [1e-3, 1e3, 2.0**600, 2.0**-600])
def test_replicator_is_solved_in_scaled_time(k):
    """Scaling a and b by k scales time by 1/k: same trajectory, crossing times / k."""
    a, b, c, mu = 0.4, 0.6, 0.3, 0.01
    ref = analytic.solve(a, b, c, mu, p0=0.05, t_max=100, t_eval=np.linspace(0, 100, 101))
    sc = analytic.solve(
        a * k, b * k, c, mu, p0=0.05, t_max=100 / k, t_eval=np.linspace(0, 100, 101) / k
    )
    assert np.max(np.abs(ref.p - sc.p)) < 1e-9
    for lv, t in ref.crossing.items():
        assert (t is None) == (sc.crossing[lv] is None)
        if t is not None:
            assert sc.crossing[lv] * k == pytest.approx(t, rel=1e-9)


@pytest.mark.parametrize(
    "a, b, c, mu, p0",
    [
        (0.6, 0.4, 0.3, 0.0, 0.05),
        (0.4, 0.6, 0.3, 0.0, 0.05),
        (0.4, 0.6, 0.8, 0.05, 0.02),
        (0.4, 0.6, 0.3, 0.1, 0.9),
    ],
)
def test_settling_early_agrees_with_integrating_to_the_end(a, b, c, mu, p0):
    t = np.linspace(0, 3000, 301)
    ours = analytic.solve(a, b, c, mu, p0=p0, t_max=3000, t_eval=t).p
    plain = solve_ivp(
        lambda _, y: [analytic.rhs(y[0], a, b, c, mu)],
        (0, 3000),
        [p0],
        method="Radau",
        rtol=1e-11,
        atol=1e-14,
        t_eval=t,
    ).y[0]
    assert np.max(np.abs(ours - plain)) < 1e-8


def test_step_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(analytic, "MAX_RHS_CALLS", 50)
    with pytest.raises(NormsimError, match=r"needs more than 50 steps to reach t = 100"):
        analytic.solve(0.4, 0.6, 0.3, 0.0, p0=0.05, t_max=100)
