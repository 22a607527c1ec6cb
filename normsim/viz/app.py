"""The Mesa browser visualization of norm change (a Solara page).

Serve it with ``normsim viz [SCENARIO.yaml]`` (or ``solara run
normsim/viz/app.py``). The page shows the network with agents coloured by norm
(a grid as a lattice; other graphs on a seeded layout computed once per
reset; on a large graph a density image or a sample, as the page says;
committed agents in a darker shade, and group boundaries when the model has
groups), a live chart of the norm shares with the shocks marked (with groups,
the share of B in each group), the need for coordination in play when events
change it, and the well-mixed replicator prediction overlaid (without
mechanisms; and the exploration-rate shares when rates evolve), and a text
panel with the generation, the shares, the norm currently favoured and each
group's c and share. Controls set the game (a menu: the (a, b, c) game, a matrix
preset such as the stag hunt, or a matrix game with R, S, T, P inputs), c, the
exploration rate, beta, a, b, the
network kind and size, the update mode, the revision protocol (the choices of
:func:`~normsim.viz.params.protocol_choices`, from :data:`normsim.protocols.PROTOCOLS`), the shock
schedule, the seed, the committed minority (fraction, placement, norm),
conformity, a threat (c raised for a span of generations) and groups (none,
the lattice's left and right halves with a c each, or the scenario's groups
with a c slider for each of the first :data:`~normsim.viz.params.MAX_GROUP_SLIDERS`) and,
for a scenario with ``population.initial``, whether to start from its initial
configuration; Reset, Step
and Play drive the model. Every slider shows its value; the page's title and
tab say what it shows.

The page is Mesa's SolaraViz layout, rebuilt from Mesa's own pieces
(``ModelController``, ``ShowSteps``) so that sliders can show their values
and the tab can have a name (SolaraViz labels its tabs ``Page 0``, ``Page
1``, ... and draws its sliders without values).

Figures are PNG images drawn with PIL (network) and matplotlib (chart), so
the page works offline with only the locally served front-end files.

This module is the page Solara serves (``page``, for the scenario in the
environment variable ``NORMSIM_VIZ_SCENARIO``, if any). Its parts live in
:mod:`normsim.viz.params` (the page's parameters and what they mean to the
model), :mod:`normsim.viz.model` (:class:`~normsim.viz.model.VizModel`),
:mod:`normsim.viz.controls` (the controls), :mod:`normsim.viz.render` (the
figures and the text) and :mod:`normsim.viz.components` (the Solara components);
their public names are importable from here too.
"""

from __future__ import annotations

import os

# the page's parts: their public names are importable from this module too
from normsim.viz.components import (  # noqa: F401
    SLIDER_CSS,
    ChartView,
    InfoPanel,
    MainView,
    NetworkView,
    NormsimViz,
    ParamInputs,
    Text,
    markdown_html,
)
from normsim.viz.controls import ABC_GAME, model_params, slider_label  # noqa: F401
from normsim.viz.model import VizModel, agent_groups  # noqa: F401
from normsim.viz.params import (  # noqa: F401
    DATA_ROOTS_ENV,
    GAMES,
    GROUP_SPLITS,
    HORIZON,
    KINDS,
    MATRIX_GAME,
    MAX_GROUP_SLIDERS,
    PAGE_DEFAULTS,
    PAGE_PLACEMENTS,
    RATES,
    SCENARIO_GROUPS,
    SCENARIO_NODES,
    defaults_from_scenario,
    game_choices,
    network_spec,
    page_committed,
    page_events,
    page_groups,
    page_initial,
    page_matrix,
    protocol_choices,
    scenario_group_count,
)
from normsim.viz.render import (  # noqa: F401
    BOUNDARY_COLOR,
    COLORS,
    COMMITTED_COLORS,
    GROUP_LINE_COLORS,
    MAX_DRAWN_NODES,
    MAX_GROUP_LINES,
    chart_png,
    game_text,
    graph_png,
    group_markdown,
    info_markdown,
    lattice_block,
    lattice_png,
    network_label,
    network_note,
    network_png,
    page_title,
    view_title,
)

_defaults = defaults_from_scenario(
    os.environ.get("NORMSIM_VIZ_SCENARIO"),
    [r for r in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if r],
)
model = VizModel(**_defaults)
page = NormsimViz(model, model_params(_defaults), play_interval=150)
