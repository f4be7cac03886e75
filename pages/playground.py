"""Optimizer playground: race optimizers across a landscape and read the curvature along the way."""

import numpy as np
import streamlit as st

from analysis.summary import divergence_explanation, race_table, trajectories_frame
from optimizers import OPTIMIZERS
from ui import charts
from ui.charts import animation_html
from ui.race_gif import race_gif
from ui.theme import chart_config
from ui.compute import landscape_from, loss_grid, race
from ui.controls import landscape_picker, optimizer_picker, run_settings_controls, start_controls
from ui.playground_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import share_box, write_to_link

st.title("Optimizer playground")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")

# A click on the map (handled below) stores a new start; apply it before the start inputs exist.
pending = st.session_state.pop("pending_start", None)
if pending is not None:
    key, x, y = pending
    st.session_state[f"start_x_{key}"], st.session_state[f"start_y_{key}"] = x, y

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
    st.stop()

names = {k: OPTIMIZERS[k].name for k in chosen}
with st.spinner("Running the race..."):
    results = race(landscape_key, landscape_settings, tuple(chosen), run, start)
trajectories = {k: r[0] for k, r in results.items()}
curvatures = {k: r[1] for k, r in results.items()}
paths = {k: t.path(0) for k, t in trajectories.items()}
grid = loss_grid(landscape_key, landscape_settings)

if challenge is not None:
    solved, message = challenge.check(trajectories, {"landscape": landscape_key, "settings": dict(landscape_settings), "run": run})
    show_challenge_result(challenge, solved, message)

for key, traj in trajectories.items():
    explanation = divergence_explanation(landscape, traj)
    if explanation:
        st.error(f"**{names[key]}** — {explanation}", icon=":material/error:")

longest = max(len(p) for p in paths.values()) - 1
if st.session_state.get("_step_run_length", longest) != longest and "step" in st.session_state:
    # A new run length gives the scrubber a new range; Streamlit could restore a position beyond its end.
    del st.session_state["step"]
st.session_state["_step_run_length"] = longest
step = st.slider("Step (moves every view)", 0, max(longest, 1), max(longest, 1), key="step", bind="query-params",
                 help="Scrub through the run: the maps, markers and readouts follow.") if longest > 0 else 0
write_to_link("step", None if step == max(longest, 1) else str(step))  # the link shows what the view shows
step = min(step, longest)

# ---- readouts at the scrubber's step ----------------------------------------------------------
cols = st.columns(len(chosen))
for col, key in zip(cols, chosen):
    i = min(step, len(paths[key]) - 1)
    curv = curvatures[key]
    lam = curv.eigenvalues[i]
    kappa = curv.condition_number[i]
    with col:
        st.markdown(f"**{names[key]}** · step {i}")
        value = float(trajectories[key].losses(0)[i])
        st.metric("loss", "≈ 0" if abs(value) < 1e-14 else f"{value:.4g}", help="Rounding makes values below 1e-14 meaningless.")
        st.caption(
            f"λ = {lam[0]:.3g}, {lam[1]:.3g} · κ = {'∞' if not np.isfinite(kappa) else f'{kappa:.3g}'} · "
            f"{curv.kind_names()[i]} · |∇L| = {trajectories[key].grad_norms(0)[i]:.3g}"
        )

# ---- maps ------------------------------------------------------------------------------------
current = {k: p[min(step, len(p) - 1)] for k, p in paths.items()}
current_curv = {
    k: type(c)(*(np.asarray(field)[min(step, len(paths[k]) - 1)] for field in c)) for k, c in curvatures.items()
}
left, right = st.columns([1.1, 1])
with left:
    fig = charts.contour_map(landscape, grid, "Contour map: paths and Hessian eigenvectors", click_grid=True)
    charts.add_paths(fig, paths, names, step)
    charts.add_eigenvector_arrows(fig, landscape, current, current_curv)
    event = st.plotly_chart(fig, key="contour", on_select="rerun", selection_mode="points", config=chart_config())
    st.caption("Click anywhere on the map to start the race there. Eigenvector bars: solid = curving up, dashed = curving down.")
with right:
    st.plotly_chart(charts.surface_figure(landscape, grid, paths, names, step), key="surface", config=chart_config())

points = (event or {}).get("selection", {}).get("points", []) if event else []
if points:
    click = (round(float(points[0]["x"]), 3), round(float(points[0]["y"]), 3))
    if st.session_state.get("last_click") != click:
        st.session_state["last_click"] = click
        st.session_state["pending_start"] = (landscape_key, click[0], click[1])
        st.rerun()

c1, c2, c3 = st.columns(3)
with c1:
    best = min([m.loss for m in landscape.minima() if m.loss is not None] or [min(float(t.losses(0).min()) for t in trajectories.values())])
    gaps = {k: np.maximum(t.losses(0) - best, 1e-16) for k, t in trajectories.items()}
    st.plotly_chart(charts.series_figure(gaps, names, "Loss above the best minimum", "L − L* (log scale)", step=step),
                    key="loss", config=chart_config())
with c2:
    st.plotly_chart(charts.series_figure({k: t.grad_norms(0) for k, t in trajectories.items()}, names,
                                         "Gradient norm", "|∇L| (log scale)", step=step), key="grad_norm", config=chart_config())
with c3:
    first_order = [k for k in chosen if OPTIMIZERS[k].family == "first-order"]
    limits = {"2/η (first-order)": trajectories[first_order[0]].learning_rates(0)} if first_order else {}
    st.plotly_chart(charts.stability_figure({k: c.lambda_max for k, c in curvatures.items()}, limits, names, step),
                    key="stability", config=chart_config())
    st.caption("Gradient descent on the local quadratic is stable while λ_max < 2/η.")

# ---- table, export, animation, code ----------------------------------------------------------
st.subheader("Results")
table = race_table(landscape, trajectories, names)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.3e") for c in
                            ("final loss", "distance to nearest minimum", "final |grad|")})
animation = charts.animation_figure(landscape, grid, paths, names)
e1, e2, e3, e4 = st.columns(4)
with e1:
    st.download_button("Trajectories and curvature (CSV)",
                       lambda: trajectories_frame(trajectories, names, landscape).to_csv(index=False).encode(), file_name=f"race_{landscape_key}.csv", mime="text/csv",
                       key="download_csv", icon=":material/download:", width="stretch")
with e2:
    st.download_button("Animated race (HTML for slides)", lambda: animation_html(animation), file_name=f"race_{landscape_key}.html",
                       mime="text/html", key="download_html", icon=":material/movie:", width="stretch")
with e3:
    st.download_button("Animated race (GIF)", lambda: race_gif(landscape, grid, paths, names), file_name=f"race_{landscape_key}.gif",
                       mime="image/gif", key="download_gif", icon=":material/gif_box:", width="stretch",
                       help="A looping 960×720 animation of the contour map and the paths, drawn when you click.")
with e4:
    share_box()
st.caption("The camera icon on each chart saves it as an image (format: sidebar → Chart image format).")

with st.expander("Animation: watch the race", expanded=False):
    st.plotly_chart(animation, key="animation", config=chart_config())

st.subheader("Update rules")
for key in chosen:
    optimizer = OPTIMIZERS[key]
    with st.expander(f"{optimizer.name}: formula and code"):
        st.latex(optimizer.latex)
        st.code(optimizer.source(), language="python")
