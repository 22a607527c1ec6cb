"""Payoffs the simulation cannot hold are refused in one line (the well-mixed ODE takes
any scale), and within the accepted range the engine is exact under a common
power-of-two scale of the payoffs."""

import numpy as np
import pytest

from normsim.errors import NormsimError

from support.clirun import normsim
from support.hostile_helpers import TINY, one_line_error


@pytest.mark.slow
def test_simulation_refuses_payoffs_that_overflow(tmp_path):
    from normsim.params import ModelParams

    with pytest.raises(NormsimError, match=r"game\.a: 1e\+308 is too large for the simulation"):
        ModelParams(a=1e308, b=0.4)
    with pytest.raises(NormsimError, match=r"game\.b: 1e-300 is too small"):
        ModelParams(a=1e-301, b=1e-300)
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY.replace("a: 0.6", "a: 1e308"))
    one_line_error(
        normsim("validate", sc),
        r"s\.yaml:2: game\.a: 1e\+308 is too large for the "
        r"simulation: .*divide a and b by the same factor",
    )
    # the well-mixed ODE takes any scale
    sc.write_text(
        "name: wm\ngame: {a: 1e308, b: 2e307}\npopulation: {well_mixed: true}\n"
        "schedule: {generations: 50}\n"
    )
    assert normsim("validate", sc).returncode == 0


def test_engine_is_invariant_to_scaling_payoffs_by_a_power_of_two():
    """Within the accepted range the simulation is exact under a common scale (2**600 is
    exact in floating point): the same shares, the payoffs scaled."""
    from normsim.engine import simulate
    from normsim.params import ModelParams

    kw = dict(
        c=0.3, network={"kind": "grid", "rows": 10, "cols": 10}, generations=200, shocks=(100,)
    )
    ref = simulate(ModelParams(a=0.6, b=0.4, **kw), [11, 12])
    big = simulate(ModelParams(a=0.6 * 2.0**600, b=0.4 * 2.0**600, **kw), [11, 12])
    assert np.array_equal(ref.share_b, big.share_b)
    assert np.allclose(big.mean_payoff[:, 1:] / 2.0**600, ref.mean_payoff[:, 1:], rtol=1e-15)
    assert ref.share_b[:, 100].mean() < 0.2  # A favoured before the shock
