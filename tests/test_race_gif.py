"""The race as an animated GIF: frames, timing, and each optimizer's head drawn where its path is."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from landscapes import get_landscape
from optimizers.engine import RunSettings, run_trajectories
from ui.race.race_gif import HEAD_SHAPES, _Canvas, _rgb, race_gif
from ui.theme import optimizer_color

NAMES = {"sgd": "GD / SGD", "momentum": "Momentum", "adam": "Adam"}


@pytest.fixture(scope="module")
def race():
    land = get_landscape("quadratic")
    paths = {k: run_trajectories(land, k, [land.default_start], RunSettings(lr=0.05, n_steps=120)).path(0) for k in NAMES}
    return land, land.grid(120), paths


def frames_of(data: bytes):
    image = Image.open(io.BytesIO(data))
    out = []
    for i in range(image.n_frames):
        image.seek(i)
        out.append((np.asarray(image.convert("RGB")), image.info.get("duration")))
    return image, out


def colour_near(frame: np.ndarray, x: float, y: float, colour, radius: int = 3) -> bool:
    """Some pixel within ``radius`` of (x, y) has ``colour`` (up to palette rounding)."""
    xi, yi = int(round(x)), int(round(y))
    patch = frame[yi - radius: yi + radius + 1, xi - radius: xi + radius + 1].reshape(-1, 3).astype(int)
    return bool(np.any(np.abs(patch - np.array(colour)).max(axis=1) <= 12))


def test_the_gif_has_one_frame_per_sampled_step_and_holds_the_last(race):
    land, grid, paths = race
    image, frames = frames_of(race_gif(land, grid, paths, NAMES, n_frames=40, frame_ms=70, hold_ms=1500))
    assert image.format == "GIF" and image.size == (960, 720)
    assert len(frames) == 40
    assert [d for _, d in frames[:-1]] == [70] * 39 and frames[-1][1] == 1500
    assert image.info.get("loop") == 0
    assert not np.array_equal(frames[0][0], frames[-1][0])  # the paths grow


def test_each_head_is_drawn_at_its_paths_position_in_its_colour():
    """Three straight paths from separate starts to separate ends: in the first frame each head is at
    its start and not yet at its end; in the last frame it is at its end."""
    land = get_landscape("quadratic")
    (x0, x1), (y0, y1) = land.domain
    canvas = _Canvas(land, (960, 720))
    t = np.linspace(0, 1, 31)[:, None]
    ends = {"sgd": ((0.2, 0.2), (0.8, 0.3)), "momentum": ((0.2, 0.5), (0.8, 0.6)), "adam": ((0.2, 0.8), (0.8, 0.9))}
    paths = {k: np.array([x0, y0]) + (np.array(a) + t * (np.array(b) - np.array(a))) * np.array([x1 - x0, y1 - y0])
             for k, (a, b) in ends.items()}
    _, frames = frames_of(race_gif(land, land.grid(60), paths, NAMES, n_frames=31))
    first, last = frames[0][0], frames[-1][0]
    for key, path in paths.items():
        colour = _rgb(optimizer_color(key))
        start, end = canvas.pixel(*path[0]), canvas.pixel(*path[-1])
        assert colour_near(first, *start, colour), f"{key}: no head at its start in the first frame"
        assert not colour_near(first, *end, colour), f"{key}: drawn at its end before it got there"
        assert colour_near(last, *end, colour), f"{key}: no head at its end in the last frame"
    assert len(HEAD_SHAPES) >= 4


def test_a_diverged_run_and_an_infinite_map_still_give_a_gif():
    land = get_landscape("quadratic")
    grid = land.grid(60)
    xs, ys, Z = grid
    Z = Z.copy()
    Z[0, 0] = np.inf
    Z[1, 1] = np.nan
    blown = run_trajectories(land, "sgd", [land.default_start], RunSettings(lr=5.0, n_steps=200)).path(0)
    (x0, x1), _ = land.domain
    assert not np.all(np.isfinite(blown)) or np.abs(blown).max() > 10 * max(abs(x0), abs(x1))  # thrown off the map
    image, frames = frames_of(race_gif(land, (xs, ys, Z), {"sgd": blown}, {"sgd": "GD / SGD"}))
    assert len(frames) >= 2 and image.size == (960, 720)
