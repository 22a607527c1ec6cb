"""One home for defaults: every entry point reads normsim.params.DEFAULTS."""

import dataclasses
import inspect
from pathlib import Path

from normsim.model import NormChangeModel
from normsim.params import DEFAULTS, ModelParams
from normsim.scenario import Condition, EvolvingRates, Scenario, condition_hash, loads
from normsim.viz.app import PAGE_DEFAULTS, VizModel, defaults_from_scenario, network_spec

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_model_params_field_defaults():
    for f in dataclasses.fields(ModelParams):
        want = f.default_factory() if f.default is dataclasses.MISSING else f.default
        assert getattr(DEFAULTS, f.name) == want, f.name


def test_scenario_schema_defaults_equal_the_source():
    sc = Scenario(name="x")
    assert (sc.game.a, sc.game.b, sc.game.c) == (DEFAULTS.a, DEFAULTS.b, DEFAULTS.c)
    assert sc.population.network.as_dict() == DEFAULTS.network
    assert sc.population.initial_b == DEFAULTS.initial_b
    assert sc.dynamics.update == DEFAULTS.update
    assert sc.dynamics.selection_strength == DEFAULTS.beta
    assert sc.dynamics.exploration == DEFAULTS.exploration
    assert EvolvingRates(rates=[0.1]).rate_mutation == DEFAULTS.rate_mutation
    assert sc.schedule.generations == DEFAULTS.generations
    assert sc.schedule.shock_list() == DEFAULTS.shocks
    # a minimal scenario file resolves to exactly the default model
    loaded = loads("name: x\n")
    cond = Condition(
        "x",
        {},
        loaded.scenario,
        condition_hash(loaded.scenario, loaded.base_dir),
        str(loaded.base_dir),
    )
    assert cond.model_params() == DEFAULTS


def test_mesa_model_keyword_defaults_equal_the_source():
    sig = inspect.signature(NormChangeModel.__init__).parameters
    for name in (
        "a",
        "b",
        "c",
        "initial_b",
        "update",
        "beta",
        "exploration",
        "rates",
        "rate_mutation",
        "generations",
        "shocks",
    ):
        assert sig[name].default == getattr(DEFAULTS, name), name
    m = NormChangeModel(network=None, generations=1, seed=1)
    assert m.params.network == DEFAULTS.network


def test_browser_page_initial_values_equal_the_source():
    d = defaults_from_scenario(None)
    assert d == PAGE_DEFAULTS
    for page, model in (
        ("c", "c"),
        ("a", "a"),
        ("b", "b"),
        ("beta", "beta"),
        ("exploration", "exploration"),
        ("update", "update"),
        ("initial_b", "initial_b"),
        ("conformity", "conformity"),
    ):
        assert d[page] == getattr(DEFAULTS, model), page
    assert network_spec(d["network_kind"], d["side"], d["nodes"]) == DEFAULTS.network
    assert DEFAULTS.committed is None and d["committed"] == 0.0  # no committed agents
    assert DEFAULTS.events == () and d["threat_length"] == 0  # no threat
    sig = inspect.signature(VizModel.__init__).parameters
    for name, value in PAGE_DEFAULTS.items():
        assert sig[name].default == value, name


def test_theory_selection_strength_defaults_to_the_model_default():
    from normsim.cli import build_parser
    from normsim.theory import analytic, finite, mechanics_ode, pairapprox

    found = []
    for mod in (analytic, finite, mechanics_ode, pairapprox):
        for name, obj in vars(mod).items():
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            fn = obj.__init__ if inspect.isclass(obj) else obj if inspect.isfunction(obj) else None
            beta = inspect.signature(fn).parameters.get("beta") if fn is not None else None
            if beta is not None and beta.default is not inspect.Parameter.empty:
                found.append(f"{mod.__name__}.{name}")
                assert beta.default == DEFAULTS.beta, found[-1]
    assert len(found) >= 12, found
    analytic_parser = build_parser()._subparsers._group_actions[0].choices["analytic"]
    help_beta = next(a.help for a in analytic_parser._actions if "--beta" in a.option_strings)
    assert f"default {DEFAULTS.beta:g};" in help_beta


def test_every_model_parameter_is_declared_once_and_read_from_the_declaration():
    """normsim.parameters declares each parameter: ModelParams' fields are exactly its
    entries, the schema's fields at their paths take its default and documentation, the
    page's sliders its range and label, and the content hash leaves out those marked
    "unless default" while they keep it."""
    from normsim.parameters import PARAMETERS, UNLESS_DEFAULT
    from normsim.scenario.condition import _content
    from normsim.viz.app import model_params as page_controls

    assert [f.name for f in dataclasses.fields(ModelParams)] == list(PARAMETERS)
    sc = Scenario(name="x")
    for name, par in PARAMETERS.items():
        assert getattr(DEFAULTS, name) == (
            dict(par.default) if isinstance(par.default, dict) else par.default
        )
        section, key, *rest = par.path.split(".")
        model = type(getattr(sc, section))
        if rest or key not in model.model_fields:  # a nested or structural field
            continue
        field = model.model_fields[key]
        if par.allowed:
            assert field.description == par.description, par.path
    controls = page_controls(defaults_from_scenario(None))
    for name, par in PARAMETERS.items():
        if par.page is not None:
            lo, hi, step = par.page
            ctl = controls[name]
            assert (ctl["min"], ctl["max"], ctl["step"], ctl["label"]) == (lo, hi, step, par.label)
            par.check(lo)
            par.check(hi)  # the page's range lies within the allowed one
    hashed = _content(sc, ROOT)
    for par in UNLESS_DEFAULT:
        section, key = par.path.split(".")
        assert key not in hashed[section], par.path
