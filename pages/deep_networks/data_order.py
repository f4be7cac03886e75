"""Order of the data: curriculum learning (easy examples first), online learning from a drifting stream,
and a replay buffer that draws from all past experience."""

import numpy as np
import streamlit as st

from ui.controls import LEARNING_RATES, fmt, log_slider
from ui.deep_networks import data_order_charts as oc
from ui.deep_networks.data_order_compute import (
    BUFFER_SIZES,
    CHECKPOINTS,
    CURRICULUM_BATCH,
    CURRICULUM_SEEDS,
    CURRICULUM_STEPS,
    DRIFTS,
    STREAM_BATCH,
    STREAM_NEW,
    STREAM_SEEDS,
    STREAM_STEPS,
    WIDTHS,
    curriculum_study,
    stream_study,
)
from ui.deep_networks.data_order_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

FLIPS = [0.0, 0.1, 0.2, 0.3]
START_SHARES = [0.1, 0.2, 0.4, 0.6, 1.0]
RAMPS = [0.25, 0.5, 0.75]
BUDGETS = [int(s) for s in np.arange(1, CHECKPOINTS + 1) * (CURRICULUM_STEPS // CHECKPOINTS)]
LABELS.update({"order_drift": DRIFTS.get, "order_flip": fmt, "order_start": fmt, "order_ramp": fmt})


def curriculum_section() -> dict:
    st.header("Curriculum: easy examples first")
    st.markdown(
        f"{CURRICULUM_SEEDS} pairs of networks ({len(WIDTHS)} tanh layers of {WIDTHS[0]}, SGD, batches of "
        f"{CURRICULUM_BATCH}) learn XOR, each pair from the same start. One of each pair sees the data in random order. "
        "The other follows a curriculum: the difficulty of a point is how close it lies to XOR's true boundary (the "
        "two axes; a point whose label is flipped lies on the wrong side and counts as hardest), and each step draws "
        "its batch from the easiest share of the data only, a share that grows until it is all of it. Some training "
        "labels can be flipped; the test labels stay clean."
    )
    c = st.columns(5)
    flip = c[0].select_slider("Share of training labels flipped", FLIPS, 0.2, key="order_flip", bind="query-params",
                              format_func=fmt)
    start = c[1].select_slider("Curriculum starts with the easiest (share)", START_SHARES, 0.2, key="order_start",
                               bind="query-params", format_func=fmt,
                               help="1: no curriculum (every step draws from all the data).")
    ramp = c[2].select_slider("It reaches all the data after (share of the steps)", RAMPS, 0.5, key="order_ramp",
                              bind="query-params", format_func=fmt)
    with c[3]:
        lr = log_slider("Learning rate η", "order_lr", LEARNING_RATES, 0.1)
    budget = c[4].select_slider("Budget (steps)", BUDGETS, 64, key="order_budget", bind="query-params",
                                help=f"Where to read the comparison; every run trains {CURRICULUM_STEPS} steps.")
    with st.spinner(f"Training {2 * CURRICULUM_SEEDS} networks..."):
        study = curriculum_study(float(flip), float(start), float(ramp), float(lr))
    if not np.all(study["finite"]):
        st.error("Some runs diverged at this learning rate (their parameters became non-finite and were held at the "
                 "last good step): lower η.", icon=":material/error:")
    figures = oc.page_curriculum_figures(float(flip), float(start), float(ramp), float(lr), int(budget), presentation_on())
    left, right = st.columns([1.5, 1])
    with left:
        st.plotly_chart(figures["accuracy"], key="order_curriculum")
    with right:
        st.plotly_chart(figures["points"], key="order_curriculum_points")
    i = list(study["steps"]).index(budget)
    random_at, curriculum_at = float(np.median(study["random"][:, i])), float(np.median(study["curriculum"][:, i]))
    m = st.columns(3)
    m[0].metric(f"Test accuracy after {budget} steps: random order", f"{random_at:.1%}")
    m[1].metric(f"Curriculum after {budget} steps", f"{curriculum_at:.1%}", f"{(curriculum_at - random_at) * 100:+.1f} points")
    m[2].metric(f"After all {CURRICULUM_STEPS} steps: random / curriculum",
                f"{np.median(study['random'][:, -1]):.1%} / {np.median(study['curriculum'][:, -1]):.1%}")
    st.caption("Medians over the seeds, with the range of all of them as a band. The dashed line is the share of the "
               "ranked data the curriculum draws from at each step. A curriculum is a *continuation method* for the "
               "data: solve an easier problem first, then move towards the real one, as the non-convex lab's "
               "continuation page does with a smoothed loss.")
    st.page_link("pages/nonconvex/continuation.py", label="Continuation: from a smoothed loss to the real one",
                 icon=":material/blur_on:")
    return {"study": study, "budget": int(budget), "random_at_budget": random_at, "curriculum_at_budget": curriculum_at}


def stream_section() -> dict:
    st.header("Online learning: a stream that drifts, and replay")
    st.markdown(
        f"A robot does not see its data shuffled: it meets them in the order the world offers. Here the two moons "
        f"arrive {STREAM_NEW} points per step. {STREAM_SEEDS} learners take each step on the latest {STREAM_BATCH} "
        f"points only; {STREAM_SEEDS} others (the same starts) take the {STREAM_NEW} newest plus "
        f"{STREAM_BATCH - STREAM_NEW} drawn uniformly from a **replay buffer** of past points, as AlphaGo drew from all "
        "its past games. A bounded buffer is filled by reservoir sampling, so it always holds a uniform sample of "
        "everything seen so far. Both learners spend the same number of gradient evaluations."
    )
    c = st.columns(3)
    drift = c[0].selectbox("The stream arrives", list(DRIFTS), index=list(DRIFTS).index("class"), key="order_drift",
                           format_func=DRIFTS.get, bind="query-params")
    buffer_size = c[1].select_slider("Replay buffer size", BUFFER_SIZES, 64, key="order_buffer", bind="query-params",
                                     help=f"{BUFFER_SIZES[-1]}: every past point is kept.")
    with c[2]:
        lr = log_slider("Learning rate η (stream)", "order_stream_lr", LEARNING_RATES, 0.3)
    with st.spinner(f"Training {2 * STREAM_SEEDS} learners on the stream..."):
        study = stream_study(drift, int(buffer_size), float(lr))
    if not np.all(study["finite"]):
        st.error("Some learners diverged at this learning rate (their parameters became non-finite and were held at the "
                 "last good step): lower η.", icon=":material/error:")
    figures = oc.page_stream_figures(drift, int(buffer_size), float(lr), presentation_on())
    left, right = st.columns([1.5, 1])
    with left:
        st.plotly_chart(figures["seen"], key="order_stream")
    with right:
        st.plotly_chart(figures["points"], key="order_stream_points")
    left, right = st.columns([1.5, 1])
    with left:
        st.plotly_chart(figures["first"], key="order_stream_first")
    with right:
        seen_w, seen_r = np.median(study["seen_window"][:, -1]), np.median(study["seen_replay"][:, -1])
        old_w, old_r = np.median(study["first_window"][:, -1]), np.median(study["first_replay"][:, -1])
        st.metric(f"All data seen, after {STREAM_STEPS} steps: latest only / replay", f"{seen_w:.1%} / {seen_r:.1%}")
        st.metric("Oldest quarter of the stream at the end: latest only / replay", f"{old_w:.1%} / {old_r:.1%}")
        st.caption("Medians over the learners. Without replay, what the network learned from the first points is "
                   "overwritten by the latest ones: forgetting. With a shuffled stream nothing drifts, and the latest "
                   "points are already a fair sample.")
    return {"study": study, "seen_window": study["seen_window"], "seen_replay": study["seen_replay"],
            "buffer_size": int(buffer_size), "drift": drift}


st.title("Order of the data")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown("Stochastic gradient descent assumes each minibatch is a fair sample of the data. Two cases where the "
            "order is chosen, or imposed: a curriculum that starts easy, and a learner fed by a stream that drifts.")
verdict = st.container()
results = {"curriculum": curriculum_section(), "stream": stream_section()}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {}))
