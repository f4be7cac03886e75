"""Shared Streamlit controls. Every widget has a stable key and is bound to the URL's query string,
so a copied link reproduces the view."""

from __future__ import annotations

import math

import streamlit as st

from landscapes import LANDSCAPES, get_landscape
from landscapes.networks import TANH_TARGETS
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.engine import MAX_STEPS, SAMPLING, RunSettings
from ui.urlstate import LABELS, forget_params, write_to_link


def log_values(low_exp: int, high_exp: int, mantissas=(1, 1.5, 2, 3, 5, 7)) -> list[float]:
    """1e-4, 1.5e-4, 2e-4, ... : slider stops evenly spread on a log scale."""
    values = [float(f"{m}e{e}") for e in range(low_exp, high_exp + 1) for m in mantissas]
    return [v for v in values if v <= 10.0 ** high_exp]


LEARNING_RATES = log_values(-5, 1)
EPSILONS = [1e-12, 1e-10, 1e-8, 1e-7, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1]
BETA2S = [0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999]
CURVATURES = log_values(-2, 3, (1, 2, 5))
SAMPLING_LABELS = {"shuffle": "shuffled epochs (without replacement)", "replacement": "with replacement",
                   "sorted": "sorted order (no shuffle)"}


def carry_within(key: str, limit_key: str, default: int) -> None:
    """``on_change`` of a control that sets another slider's maximum (a dataset size N and its batch
    size B). Streamlit gives a slider whose range changed a new identity, and a new widget starts from
    its default (or from the link the session was opened with), not from the value it showed. Setting
    the value here carries it over, capped at the new limit, and keeps the URL in step with the view."""
    st.session_state[key] = min(int(st.session_state.get(key, default)), int(st.session_state[limit_key]))
    forget_params([key])  # else Streamlit seeds the new widget from the URL's old value
    st.session_state.setdefault(_CARRIED, set()).add(key)


_CARRIED = "_carried_over_keys"


def batch_slider(label: str, key: str, n_samples: int, default: int, help: str | None = None) -> int:
    """A batch size from 1 to N, bound to the URL; the control that sets N must call ``carry_within``
    for this key. After a carry-over the link is corrected when Streamlit's own URL sync, which only
    follows a widget it has seen before, missed the new value."""
    default = min(default, n_samples)
    batch = st.slider(label, 1, n_samples, default, key=key, bind="query-params", help=help)
    if key in st.session_state.get(_CARRIED, set()):
        st.session_state[_CARRIED].discard(key)
        write_to_link(key, str(batch) if batch != default else None)
    return int(batch)


def fmt(value: float) -> str:
    return f"{value:g}"


def nearest(options: list[float], value: float) -> float:
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)) if o > 0 and value > 0 else abs(o - value))


def log_slider(label: str, key: str, options: list[float], default: float, help: str | None = None) -> float:
    LABELS[key] = fmt  # the URL holds the formatted option ("100", not "100.0")
    return st.select_slider(label, options=options, value=nearest(options, default), format_func=fmt, key=key,
                            help=help, bind="query-params")


#: The picker's entry for a typed formula (not in LANDSCAPES: it has no fixed surface).
FORMULA = "formula"
FORMULA_TITLE = "Your own formula f(x, y)"
DEFAULT_FORMULA = "log(1 + x^2 + 5*y^2)"


def landscape_title(key: str) -> str:
    return FORMULA_TITLE if key == FORMULA else LANDSCAPES[key][0]


_MARKDOWN_SPECIALS = "\\`*_{}[]<>()#+-.!|~$:"


def literal(text: str) -> str:
    """User text shown inside an st.error/st.warning message exactly as typed: Streamlit renders those as
    Markdown (``__import__`` would show as a bold "import", ``$x$`` as LaTeX), so every Markdown character
    is escaped."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in str(text))


def formula_controls(key: str) -> dict:
    """A typed formula and its domain, checked before anything runs (never ``eval``: see
    landscapes/formula.py). A rejected formula shows why, and the default formula is used instead."""
    from landscapes.formula import FormulaError, formula_landscape, nonfinite_warning

    text = st.text_input("f(x, y) =", DEFAULT_FORMULA, max_chars=300, key=f"{key}_formula", bind="query-params",
                         help="Numbers, x, y, + − * / ** (or ^), parentheses and sin cos tan exp log sqrt abs tanh "
                              "sigmoid relu softplus min max, pi, e. Exponents of x or y: constant, |p| ≤ 10.")
    c1, c2 = st.columns(2)
    with c1:
        x_range = st.slider("x range", -20.0, 20.0, (-3.0, 3.0), 0.5, key=f"{key}_xrange", bind="query-params")
    with c2:
        y_range = st.slider("y range", -20.0, 20.0, (-3.0, 3.0), 0.5, key=f"{key}_yrange", bind="query-params")
    settings = {"formula": text, "x_range": tuple(map(float, x_range)), "y_range": tuple(map(float, y_range))}
    try:
        landscape = formula_landscape(**settings)
    except FormulaError as error:
        where = {"formula": "The formula", "x_range": "The x range", "y_range": "The y range"}.get(error.field, "The formula")
        st.error(f"{where} was not used: {literal(error.message)}. Showing f(x, y) = {literal(DEFAULT_FORMULA)} instead.",
                 icon=":material/error:")
        settings = {"formula": DEFAULT_FORMULA, "x_range": (-3.0, 3.0), "y_range": (-3.0, 3.0)}
        landscape = formula_landscape(**settings)
    warning = nonfinite_warning(landscape)
    if warning:
        st.warning(warning, icon=":material/warning:")
    st.caption("`^` means power here (as on paper), not Python's bitwise xor.")
    return settings


DATA_CHOICES = ("two_layer_linear", "two_layer_tanh", "linear_regression", "logistic_regression")  # have a CSV option
DATA_SOURCES = {"built_in": "Built-in data", "own": "Your own CSV"}
DATA_COLUMNS = {"regression": "two numbers per row: x, t (the input and its target)",
                "classification": "three numbers per row: x1, x2, label (label 0 or 1)"}


@st.cache_data(scope="session", max_entries=4, show_spinner=False)
def _parsed(content: bytes, kind: str):
    """A CSV checked once per content in this session (session scope: the rows never reach a shared cache)."""
    from landscapes.user_data import parse_csv

    return parse_csv(content, kind)


def csv_rows(key: str, kind: str):
    """The user's own CSV of one kind ("regression": x, t; "classification": x1, x2, label), uploaded or
    pasted, checked by ``landscapes.user_data`` (with a sample to download): the UserData, or None (with
    a message saying why) while there is none or it was refused."""
    from landscapes.user_data import MAX_BYTES, MAX_ROWS, DataError, sample_csv

    st.caption(f"A CSV with {DATA_COLUMNS[kind]}; an optional header row; at most {MAX_ROWS:,} rows and "
               f"{MAX_BYTES // 1_000_000} MB. It stays in your browser session: it is not saved on the server, not "
               "shared with anyone else, and not part of a copied link.")
    upload = st.file_uploader("Upload a CSV", type=["csv", "txt", "tsv"], key=f"{key}_upload",
                              max_upload_size=max(MAX_BYTES // 1_000_000, 1))  # the browser refuses a larger file
    pasted = st.text_area("…or paste the rows here", key=f"{key}_paste", height=110, max_chars=MAX_BYTES,
                          placeholder="x,t\n-1.0,0.3\n0.5,1.2\n..." if kind == "regression" else "x1,x2,label\n0.2,1.5,1\n...")
    st.download_button("Sample CSV", sample_csv(kind), file_name=f"sample_{kind}.csv", mime="text/csv",
                       key=f"{key}_sample_csv", on_click="ignore", icon=":material/download:")
    content = upload.getvalue() if upload is not None else pasted.encode()
    if not content.strip():
        st.info("Upload or paste a CSV to use it; until then the built-in data is shown.", icon=":material/upload_file:")
        return None
    try:
        data = _parsed(content, kind)
    except DataError as error:
        st.error(f"Your CSV was not used: {literal(error.message)}. The built-in data is shown instead.", icon=":material/error:")
        return None
    st.success(f"Your data: {data.n_rows:,} rows" + (f" ({literal(', '.join(data.header))})" if data.header else "")
               + ", used in this session only.", icon=":material/check_circle:")
    return data


def own_data_controls(key: str, choice: str) -> dict | None:
    """For a data landscape: built-in data or the user's own CSV (``csv_rows``). The rows stay in this
    session (``ui.compute.remember_user_data``); returns the settings that select them, or None for the
    built-in data."""
    from landscapes.user_data import DATA_LANDSCAPES
    from ui.compute import remember_user_data

    source = st.segmented_control("Data", list(DATA_SOURCES), default="built_in", format_func=DATA_SOURCES.get,
                                  key=f"{key}_data_source")
    if source != "own":
        return None
    data = csv_rows(key, DATA_LANDSCAPES[choice])
    return None if data is None else {"user_data": remember_user_data(data)}


def landscape_picker(key: str = "landscape", default: str = "quadratic") -> tuple[str, tuple]:
    """Choose a landscape and its settings; returns (landscape key, sorted settings items)."""
    options = list(LANDSCAPES) + [FORMULA]
    LABELS[key] = landscape_title
    choice = st.selectbox("Landscape", options, index=options.index(default),
                          format_func=landscape_title, key=key, bind="query-params")
    settings: dict = {}
    if choice == FORMULA:
        return choice, tuple(sorted(formula_controls(key).items()))
    if choice in DATA_CHOICES:
        own = own_data_controls(key, choice)
        if own is not None:
            return choice, tuple(sorted(own.items()))
    if choice == "quadratic":
        c1, c2 = st.columns(2)
        with c1:
            low = log_slider("λ small", f"{key}_lam1", CURVATURES, 1.0, "Curvature along the corridor.")
        with c2:
            high = log_slider("λ large", f"{key}_lam2", CURVATURES, 20.0, "Curvature across the corridor.")
        angle = st.slider("Rotation (degrees)", -90, 90, 30, 5, key=f"{key}_angle", bind="query-params")
        settings.update(eigenvalues=(low, high), angle=float(angle))
    elif choice == "two_layer_tanh":
        c1, c2 = st.columns(2)
        with c1:
            n = st.slider("Data points", 4, 200, 24, key=f"{key}_n", bind="query-params")
        with c2:
            noise = st.slider("Target noise", 0.0, 1.0, 0.1, 0.05, key=f"{key}_noise", bind="query-params")
        target = st.selectbox("Target function", list(TANH_TARGETS), key=f"{key}_target", bind="query-params")
        settings.update(n_samples=int(n), noise=float(noise), target=target)
    if choice not in DATA_CHOICES:
        default_noise = get_landscape(choice).settings.get("noise", 1.0)
        noise = st.slider("Per-sample gradient noise", 0.0, float(max(10.0, 4 * default_noise)), float(default_noise),
                          float(default_noise) / 10 or 0.1, key=f"{key}_{choice}_noise", bind="query-params",
                          help="Each sample tilts the surface by a_n·θ with Σ a_n = 0: the mean is exact, minibatches are noisy.")
        settings["noise"] = float(noise)
    return choice, tuple(sorted(settings.items()))


def optimizer_picker(key: str = "optimizers", default=("sgd", "momentum", "adam", "newton")) -> list[str]:
    LABELS[key] = lambda k: OPTIMIZERS[k].name
    chosen = st.multiselect("Optimizers to race", list(OPTIMIZERS), default=list(default),
                            format_func=lambda k: OPTIMIZERS[k].name, key=key, bind="query-params")
    return list(chosen)


def run_settings_controls(n_samples: int, prefix: str = "", default_lr: float = 0.05) -> tuple[RunSettings, list[str]]:
    """Hyperparameter, schedule, clipping, minibatch and run-length controls. Returns the settings
    and any messages about values that had to be limited."""
    notes: list[str] = []
    k = prefix
    lr = log_slider("Learning rate η", f"{k}lr", LEARNING_RATES, default_lr, "Step size of the first-order methods.")
    momentum = st.slider("Momentum β", 0.0, 0.99, 0.9, 0.01, key=f"{k}momentum", bind="query-params")
    with st.expander("Adam, RMSProp, AdamW, Newton settings"):
        beta1 = st.slider("β₁ (Adam first moment)", 0.0, 0.99, 0.9, 0.01, key=f"{k}beta1", bind="query-params")
        beta2 = st.select_slider("β₂ / ρ (second moment)", BETA2S, 0.999, key=f"{k}beta2", bind="query-params")
        eps = st.select_slider("ε", EPSILONS, 1e-8, format_func=fmt, key=f"{k}eps", bind="query-params")
        weight_decay = st.slider("Weight decay (AdamW)", 0.0, 0.5, 0.0, 0.01, key=f"{k}wd", bind="query-params")
        newton_lr = st.slider("Newton-family step size", 0.05, 1.5, 1.0, 0.05, key=f"{k}newton_lr", bind="query-params")
        damping = log_slider("Damping μ", f"{k}damping", log_values(-4, 1, (1, 3)), 0.1)
    with st.expander("Schedule and clipping"):
        schedule = st.selectbox("Learning-rate schedule", SCHEDULES, key=f"{k}schedule", bind="query-params")
        gamma = st.slider("Decay factor γ", 0.05, 1.0, 0.5, 0.05, key=f"{k}gamma", bind="query-params")
        step_size = st.slider("Decay every (steps)", 1, 1000, 100, key=f"{k}step_size", bind="query-params")
        period = st.slider("Cycle length (steps)", 2, 1000, 100, key=f"{k}period", bind="query-params")
        min_ratio = st.slider("Smallest lr / η", 0.0, 1.0, 0.01, 0.01, key=f"{k}min_ratio", bind="query-params")
        warmup = st.slider("Warm-up steps", 0, 500, 0, key=f"{k}warmup", bind="query-params")
        clip_on = st.toggle("Clip gradient norm", False, key=f"{k}clip", bind="query-params")
        clip_norm = log_slider("Max gradient norm", f"{k}clip_norm", log_values(-2, 3, (1, 2, 5)), 1.0)
    with st.expander("Minibatches and run"):
        if n_samples > 1:
            if st.session_state.get(f"{k}batch", 0) > n_samples:  # a landscape with fewer samples was chosen
                st.session_state[f"{k}batch"] = int(n_samples)
            batch = st.slider("Batch size B", 1, int(n_samples), int(n_samples), key=f"{k}batch", bind="query-params",
                              help=f"B = {n_samples} is the full batch (plain gradient descent).")
        else:
            batch = 1
            st.caption("This landscape has a single sample: every batch is the full batch.")
        LABELS[f"{k}sampling"] = SAMPLING_LABELS.get
        sampling = st.selectbox("Sampling", SAMPLING, key=f"{k}sampling", bind="query-params", format_func=SAMPLING_LABELS.get)
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key=f"{k}seed", bind="query-params")
        steps = st.number_input("Steps", 1, 1_000_000, 200, 50, key=f"{k}steps", bind="query-params",
                                help=f"At most {MAX_STEPS} steps run.")
    if steps > MAX_STEPS:
        notes.append(f"{steps:,} steps asked for; runs are limited to {MAX_STEPS:,} steps to keep the server responsive, so {MAX_STEPS:,} run.")
        steps = MAX_STEPS
    settings = RunSettings(
        lr=float(lr), momentum=float(momentum), beta1=float(beta1), beta2=float(beta2), eps=float(eps),
        weight_decay=float(weight_decay), damping=float(damping), newton_lr=float(newton_lr),
        schedule=schedule, gamma=float(gamma), step_size=int(step_size), period=int(period),
        min_ratio=float(min_ratio), warmup_steps=int(warmup),
        clip_norm=float(clip_norm) if clip_on else math.inf,
        batch_size=int(batch), sampling=sampling, seed=int(seed), n_steps=int(steps),
    )
    return settings, notes


def start_controls(landscape_key: str, default_start, domain) -> tuple[float, float]:
    """Start point inputs, one pair per landscape (so each keeps its own default)."""
    (x0, x1), (y0, y1) = domain
    c1, c2 = st.columns(2)
    span = 10 * max(x1 - x0, y1 - y0)
    with c1:
        x = st.number_input("Start x", -span, span, float(default_start[0]), 0.1, format="%.3f",
                            key=f"start_x_{landscape_key}", bind="query-params")
    with c2:
        y = st.number_input("Start y", -span, span, float(default_start[1]), 0.1, format="%.3f",
                            key=f"start_y_{landscape_key}", bind="query-params")
    return float(x), float(y)



def clicked_point(chart_key: str) -> tuple[float, float] | None:
    """The (x, y) of the point the user clicked on the chart ``chart_key``, read inside its callback."""
    state = st.session_state.get(chart_key) or {}
    points = (state.get("selection") or {}).get("points") or []
    if not points or "x" not in points[0] or "y" not in points[0]:
        return None
    return float(points[0]["x"]), float(points[0]["y"])


def clickable_chart(figure, key: str, on_point, **kwargs):
    """A Plotly chart whose click calls ``on_point(x, y)`` before the page reruns.

    The one way a click on a map sets controls here: the callback runs before the script, so it may
    write the values of widgets the page draws later (a start point, a cell's settings), and it runs
    once per new click (a selection that stays on the chart does not fire it again). Clicks land on
    scatter markers (contour and heatmap traces return no points: see ``ui.charts`` click grids)."""
    def picked() -> None:
        point = clicked_point(key)
        if point is not None:
            on_point(*point)

    return st.plotly_chart(figure, key=key, on_select=picked, selection_mode="points", **kwargs)
