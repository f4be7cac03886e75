"""Optimizer playground: race optimizers across a landscape and read the curvature along the way."""

import numpy as np
import streamlit as st

from analysis.summary import trajectories_frame
from optimizers import OPTIMIZERS
from ui import charts
from ui.charts import animation_html
from ui.race.race_gif import race_gif
from ui.scrubber import scrubber, step_from_link
from ui.theme import chart_config, presentation_on
from ui.compute import is_private, landscape_from, map_layers, optimizer_source, race_animation, race_views
from ui.controls import clickable_chart, landscape_picker, optimizer_picker, run_settings_controls, start_controls
from ui.race.playground_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import share_box, write_to_link
from ui.navigation import end_page

st.title("Optimizer playground")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("Landscape")
    landscape_key, landscape_settings = landscape_picker()
    landscape = landscape_from(landscape_key, landscape_settings)
    start = start_controls(landscape_key, landscape.default_start, landscape.domain)
    st.header("Optimizers")
    chosen = optimizer_picker()
    run, notes = run_settings_controls(landscape.n_samples, default_lr=0.07)

st.markdown(f"**{landscape.title}.** {landscape.description}")
for note in notes:
    st.warning(note, icon=":material/warning:")
if not chosen:
    st.info("Choose at least one optimizer in the sidebar to start the race.", icon=":material/info:")
    end_page()
if not np.isfinite(float(landscape.loss(start))):
    st.error(f"The loss is not finite at the start ({start[0]:g}, {start[1]:g}) (for example the log of a negative "
             "number): choose another start in the sidebar.", icon=":material/error:")
    end_page()

present = presentation_on()
with st.spinner("Running the race..."):
    views = race_views(landscape_key, landscape_settings, tuple(chosen), run, start, present)
layers = map_layers(landscape_key, landscape_settings, present)
names, trajectories, curvatures, paths = views["names"], views["trajectories"], views["curvatures"], views["paths"]
grid = layers["grid"]

if challenge is not None:
    solved, message = challenge.check(trajectories, {"landscape": landscape_key, "settings": dict(landscape_settings), "run": run})
    show_challenge_result(challenge, solved, message)

for key, explanation in views["explanations"].items():
    if explanation:
        st.error(f"**{names[key]}** — {explanation}", icon=":material/error:")

# ---- the step scrubber: in the browser (ui/scrubber.py); the server draws the link's step -------------
longest = views["longest"]
new_length = st.session_state.get("_step_run_length", longest) != longest
st.session_state["_step_run_length"] = longest
# A run of another length resets the scrubber to its end (and the link forgets the old step).
step = step_from_link(longest, reset=new_length)
if new_length:
    write_to_link("step", None)

# ---- maps: cached layers plus this run's paths at the step -------------------------------------------
order = list(chosen)
contour = layers["contour"]
n_static = len(contour["data"])
data = list(contour["data"])
for key in order:
    data.extend(charts.path_traces(key, names[key], paths[key], step))
bars = {}
for key in order:
    i = min(step, len(paths[key]) - 1)
    bars[key] = charts.eigen_bars(landscape, paths[key][i], curvatures[key].eigenvalues[i], curvatures[key].eigenvectors[i])
    data.extend(charts.eigenvector_traces(bars[key], 0))
contour_fig = {"data": data, "layout": contour["layout"]}
surface = layers["surface"]
surface_fig = {"data": list(surface["data"]) + [
    charts.surface_path_trace(key, names[key], *views["surface_paths"][key], step) for key in order], "layout": surface["layout"]}

scrubber(
    key="step_scrubber", label="Step (moves every view)", help="Scrub through the run: the maps, markers and readouts follow.",
    step=step, run=views["scrubber"],
    charts={"contour": "contour", "surface": "surface", "lines": ["loss", "grad_norm", "stability"]},
    contour={"path": [n_static + 2 * k for k in range(len(order))], "head": [n_static + 2 * k + 1 for k in range(len(order))],
             "up": [n_static + 2 * len(order) + 2 * k for k in range(len(order))],
             "down": [n_static + 2 * len(order) + 2 * k + 1 for k in range(len(order))]},
    surface={"path": [len(surface["data"]) + k for k in range(len(order))]},
)

def start_here(x: float, y: float) -> None:
    """A click on the map starts the race at that point (of the landscape it was made on)."""
    st.session_state[f"start_x_{landscape_key}"], st.session_state[f"start_y_{landscape_key}"] = round(x, 3), round(y, 3)


left, right = st.columns([1.1, 1])
with left:
    clickable_chart(contour_fig, "contour", start_here, config=chart_config())
    st.caption("Click anywhere on the map to start the race there. Eigenvector bars: solid = curving up, dashed = curving down.")
with right:
    st.plotly_chart(surface_fig, key="surface", config=chart_config())


def at_step(figure: dict) -> dict:
    """A cached line chart with its dotted line at the server's step (the browser moves it from there)."""
    return {"data": figure["data"], "layout": {**figure["layout"], "shapes": [charts.step_line(step)]}}


c1, c2, c3 = st.columns(3)
with c1:
    st.plotly_chart(at_step(views["loss"]), key="loss", config=chart_config())
with c2:
    st.plotly_chart(at_step(views["grad_norm"]), key="grad_norm", config=chart_config())
with c3:
    st.plotly_chart(at_step(views["stability"]), key="stability", config=chart_config())
    st.caption("Gradient descent on the local quadratic is stable while λ_max < 2/η.")

# ---- table, export, animation, code ----------------------------------------------------------
st.subheader("Results")
st.dataframe(views["table"], hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.3e") for c in
                            ("final loss", "distance to nearest minimum", "final |grad|")})
race_key = (landscape_key, landscape_settings, tuple(chosen), run, start, present)


def animation_file() -> bytes:
    """Runs on Streamlit's download thread: a user's own data has only session-scoped caches, which that
    thread cannot read, so its animation is built from this run's objects instead."""
    if is_private(landscape_settings):
        return animation_html(charts.encode_arrays(charts.animation_figure(landscape, grid, paths, names, as_dict=True)))
    return animation_html(race_animation(*race_key))


e1, e2, e3, e4 = st.columns(4)
with e1:
    st.download_button("Trajectories and curvature (CSV)",
                       lambda: trajectories_frame(trajectories, names, landscape).to_csv(index=False).encode(), file_name=f"race_{landscape_key}.csv", mime="text/csv",
                       key="download_csv", on_click="ignore", icon=":material/download:", width="stretch")
with e2:  # the animation is built when the file is asked for, not on every rerun
    st.download_button("Animated race (HTML for slides)", animation_file, file_name=f"race_{landscape_key}.html",
                       mime="text/html", key="download_html", on_click="ignore", icon=":material/movie:", width="stretch")
with e3:
    st.download_button("Animated race (GIF)", lambda: race_gif(landscape, grid, paths, names), file_name=f"race_{landscape_key}.gif",
                       mime="image/gif", key="download_gif", on_click="ignore", icon=":material/gif_box:", width="stretch",
                       help="A looping 960×720 animation of the contour map and the paths, drawn when you click.")
with e4:
    share_box()
st.caption("The camera icon on each chart saves it as an image (format: sidebar → Chart image format).")


@st.fragment
def animation_section(race_key: tuple) -> None:
    """The animated race, built and sent only while its toggle is on; the toggle reruns this fragment only."""
    st.subheader("Animation: watch the race")
    if st.toggle("Show the animated race", key="show_animation", bind="query-params",
                 help="A Plotly animation of the paths on the contour map, with its own play button."):
        st.plotly_chart(race_animation(*race_key), key="animation", config=chart_config())


animation_section(race_key)

st.subheader("Update rules")
for key in chosen:
    optimizer = OPTIMIZERS[key]
    with st.expander(f"{optimizer.name}: formula and code"):
        st.latex(optimizer.latex)
        st.code(optimizer_source(key), language="python")
