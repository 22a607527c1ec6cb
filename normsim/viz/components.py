"""The browser page's Solara components: the views of the model (network, chart, text
panel), the controls (``ParamInputs``) and the page itself (``NormsimViz``).

The page is Mesa's SolaraViz layout, rebuilt from Mesa's own pieces
(``ModelController``, ``ShowSteps``) so that sliders can show their values and the
tab can have a name (SolaraViz labels its tabs ``Page 0``, ``Page 1``, ... and draws
its sliders without values).
"""

from __future__ import annotations

import html
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController, ShowSteps
from mesa.visualization.utils import update_counter

from normsim.viz.controls import slider_label
from normsim.viz.model import VizModel
from normsim.viz.render import (
    chart_png,
    info_markdown,
    network_note,
    network_png,
    page_title,
    view_title,
)


def markdown_html(text: str) -> str:
    """Markdown (the page's own text: bold, italics, line breaks) as HTML, escaped."""
    import markdown

    out = markdown.markdown(html.escape(text, quote=False))
    return out.replace("<strong>", '<strong style="font-weight: 600">')


@solara.component
def Text(text: str):
    """Markdown text shown as HTML. Not ``solara.Markdown``: that loads KaTeX and
    mermaid from the CDN each time one is mounted, which offline fails (404s in
    the console) and makes the server try to reach the internet."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text))


@solara.component
def NetworkView(model: VizModel):
    update_counter.get()
    note = network_note(model)
    with solara.Column():
        solara.Image(network_png(model), format="png")
        if note:
            Text(f"*{note}*")


@solara.component
def ChartView(model: VizModel):
    update_counter.get()
    solara.Image(chart_png(model), format="png")


@solara.component
def InfoPanel(model: VizModel):
    update_counter.get()
    Text(info_markdown(model))


@solara.component
def ParamInputs(user_params: dict, model_parameters: solara.Reactive[dict]):
    """The model's controls (Mesa's ``ModelCreator``, with each slider showing its value
    in its label and a heading before each ``section``).

    Fixed (non-dict) entries are passed to the model as they are. A ``Select`` with
    ``labels`` (a mapping of its values to what the menu shows) passes the value of
    the label chosen; an ``InputFloat`` is a number field. A control with
    ``shown_when: (other, value)`` is shown only while control ``other`` has that
    value (its value is passed to the model either way)."""
    adjustable = {k: v for k, v in user_params.items() if isinstance(v, dict)}
    fixed = {k: v for k, v in user_params.items() if not isinstance(v, dict)}
    start = {**fixed, **{k: v["value"] for k, v in adjustable.items()}}
    solara.use_effect(lambda: model_parameters.set(dict(start)), [])
    current = {**start, **model_parameters.value}

    for name, opt in adjustable.items():

        def on_value(value: Any, name: str = name) -> None:
            model_parameters.value = {**model_parameters.value, name: value}

        if "shown_when" in opt:  # a control that matters for one value of another only
            other, wanted = opt["shown_when"]
            if current[other] != wanted:
                continue

        if "section" in opt:
            Text(f"**{opt['section']}**")
        kind, value = opt["type"], current[name]
        if kind in ("SliderInt", "SliderFloat"):
            cls = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            cls(
                slider_label(opt["label"], value, opt["step"]),
                value=value,
                on_value=on_value,
                min=opt["min"],
                max=opt["max"],
                step=opt["step"],
            )
        elif kind == "Select" and "labels" in opt:  # shown by label, passed by value
            shown = opt["labels"]

            def on_label(label: str, on_value=on_value, shown=shown) -> None:
                on_value(next(v for v, text in shown.items() if text == label))

            solara.Select(
                opt["label"],
                value=shown[value],
                values=[shown[v] for v in opt["values"]],
                on_value=on_label,
            )
        elif kind == "Select":
            solara.Select(opt["label"], value=value, values=opt["values"], on_value=on_value)
        elif kind == "InputFloat":  # any finite number (a matrix entry)
            solara.InputFloat(opt["label"], value=value, on_value=on_value, continuous_update=True)
        elif kind == "Checkbox":
            solara.Checkbox(label=opt["label"], value=value, on_value=on_value)
        else:
            raise ValueError(f"{kind} is not a supported input type")


@solara.component
def MainView(model: VizModel):
    """The one named tab: network, chart and state side by side."""
    with solara.v.Tabs(v_model=0):
        solara.v.Tab(children=[view_title(model)])
    with solara.v.Window(v_model=0):
        with solara.v.WindowItem():
            with solara.Columns([1, 1]):
                NetworkView(model)
                with solara.Column():
                    ChartView(model)
                    InfoPanel(model)


#: a slider's label (with its value) on a line of its own above the slider, so long
#: labels do not squeeze the slider (Vuetify 2 puts them side by side)
SLIDER_CSS = """
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label { flex: 0 0 100%; max-width: 100%; }
"""


@solara.component
def NormsimViz(
    model: VizModel | solara.Reactive,
    user_params: dict,
    play_interval: int = 150,
    render_interval: int = 1,
):
    """The page: SolaraViz's layout (controls in the sidebar, views in the main
    area) with Mesa's model controller, sliders that show their values, and a
    title and tab named for what the page shows."""
    if not isinstance(model, solara.Reactive):
        model = solara.use_reactive(model)  # noqa: SH102
    parameters: solara.Reactive[dict[str, Any]] = solara.use_reactive({})
    play = solara.use_reactive(play_interval)
    render = solara.use_reactive(render_interval)
    threads = solara.use_reactive(False)
    title = page_title(model.value)
    solara.Title(title)
    solara.Style(SLIDER_CSS)
    with solara.AppBar():
        solara.AppBarTitle(title)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            solara.SliderInt(
                f"Play interval (ms): {play.value}", value=play, min=50, max=1000, step=10
            )
            solara.SliderInt(
                f"Render interval (steps): {render.value}", value=render, min=1, max=100, step=1
            )
            ModelController(
                model,
                model_parameters=parameters,
                play_interval=play,
                render_interval=render,
                use_threads=threads,
            )
        with solara.Card("Model parameters"):
            ParamInputs(user_params, parameters)
        with solara.Card("Information"):
            ShowSteps(model.value)
    MainView(model.value)
