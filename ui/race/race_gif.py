"""The race as an animated GIF for slides, drawn with Pillow (no browser, no Plotly).

The picture follows the Playground's contour map: the loss in 30 Viridis bands (log scale where the
map uses one), the known critical points, and each optimizer's path in its own colour with a marker of
its own shape at its head (colour is never the only cue). One frame per sampled step; the last frame
is held so a looping slide pauses on the result.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from landscapes import Landscape
from ui.charts import contour_values
from ui.theme import optimizer_color

VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"]
BANDS = 30
HEAD_SHAPES = ["circle", "square", "triangle", "diamond"]
CRITICAL_MARKS = {"minimum": "star", "saddle": "x", "maximum": "triangle", "degenerate": "diamond"}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _colour_bands(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, band index) of a value grid: ``BANDS`` equal bands from its finite min to max."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scaled = np.clip((np.nan_to_num(values, nan=high, posinf=high, neginf=low) - low) / max(high - low, 1e-300), 0, 1)
    band = np.minimum((scaled * BANDS).astype(int), BANDS - 1)
    stops = np.array([_rgb(c) for c in VIRIDIS], dtype=float)
    position = (band + 0.5) / BANDS * (len(VIRIDIS) - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, len(VIRIDIS) - 1)
    frac = (position - lower)[..., None]
    rgb = stops[lower] * (1 - frac) + stops[upper] * frac
    rgb = 0.85 * rgb + 0.15 * 255.0  # the map's opacity over white
    return rgb.astype(np.uint8), band


def _marker(draw: ImageDraw.ImageDraw, shape: str, x: float, y: float, r: float, fill, outline=(0, 0, 0), width: int = 2) -> None:
    if shape == "circle":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=outline, width=width)
    elif shape == "square":
        draw.rectangle([x - r, y - r, x + r, y + r], fill=fill, outline=outline, width=width)
    elif shape == "triangle":
        draw.polygon([(x, y - r * 1.2), (x - r * 1.1, y + r * 0.8), (x + r * 1.1, y + r * 0.8)], fill=fill, outline=outline, width=width)
    elif shape == "diamond":
        draw.polygon([(x, y - r * 1.3), (x + r, y), (x, y + r * 1.3), (x - r, y)], fill=fill, outline=outline, width=width)
    elif shape == "star":
        angles = np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r * 1.3, r * 0.55)
        draw.polygon([(x + q * np.cos(a), y - q * np.sin(a)) for a, q in zip(angles, radii)], fill=fill, outline=outline, width=width)
    elif shape == "x":
        for dx in (-r, r):
            draw.line([(x - dx, y - r), (x + dx, y + r)], fill=outline, width=width + 3)
            draw.line([(x - dx, y - r), (x + dx, y + r)], fill=fill, width=width)


class _Canvas:
    """Maps parameter coordinates to pixels of the plot area."""

    def __init__(self, landscape: Landscape, size: tuple[int, int]):
        self.width, self.height = size
        self.left, self.right, self.top, self.bottom = 90, self.width - 30, 70, self.height - 150
        (self.x0, self.x1), (self.y0, self.y1) = landscape.domain

    def pixel(self, x, y):
        px = self.left + (np.asarray(x, dtype=float) - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
        py = self.bottom - (np.asarray(y, dtype=float) - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)
        return px, py


def _background(landscape: Landscape, grid, canvas: _Canvas, names: dict, title: str) -> Image.Image:
    xs, ys, Z = grid
    values, label = contour_values(landscape, np.asarray(Z))
    label = label.replace("₁₀", "10").replace("−", "-")  # the built-in font has no such glyphs
    area = (canvas.right - canvas.left, canvas.bottom - canvas.top)
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    values = np.nan_to_num(values, nan=finite.max() if finite.size else 0.0, posinf=finite.max() if finite.size else 0.0,
                           neginf=finite.min() if finite.size else 0.0)
    # Interpolate the values (not the colours) up to the picture's size, so band edges are smooth curves.
    values = np.asarray(Image.fromarray(values[::-1].astype(np.float32), "F").resize(area, Image.Resampling.BILINEAR), dtype=float)
    rgb, band = _colour_bands(values)
    edge = np.zeros(band.shape, dtype=bool)  # band boundaries are the contour lines
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb = rgb.copy()
    rgb[edge] = (0.65 * rgb[edge] + 0.35 * 255).astype(np.uint8)
    field = Image.fromarray(rgb, "RGB")

    image = Image.new("RGB", (canvas.width, canvas.height), "white")
    image.paste(field, (canvas.left, canvas.top))
    draw = ImageDraw.Draw(image)
    draw.rectangle([canvas.left, canvas.top, canvas.right, canvas.bottom], outline=(60, 60, 60), width=2)
    tick_font, label_font = _font(18), _font(22)
    for value in np.linspace(canvas.x0, canvas.x1, 5):
        px, _ = canvas.pixel(value, canvas.y0)
        draw.line([(px, canvas.bottom), (px, canvas.bottom + 8)], fill="black", width=2)
        draw.text((px, canvas.bottom + 12), f"{value:.3g}", fill="black", font=tick_font, anchor="mt")
    for value in np.linspace(canvas.y0, canvas.y1, 5):
        _, py = canvas.pixel(canvas.x0, value)
        draw.line([(canvas.left - 8, py), (canvas.left, py)], fill="black", width=2)
        draw.text((canvas.left - 12, py), f"{value:.3g}", fill="black", font=tick_font, anchor="rm")
    draw.text(((canvas.left + canvas.right) / 2, canvas.bottom + 40), landscape.axis_labels[0], fill="black", font=label_font, anchor="mt")
    draw.text((12, canvas.top - 12), landscape.axis_labels[1], fill="black", font=label_font, anchor="ls")
    draw.text((canvas.left, 14), title, fill="black", font=_font(26), anchor="lt")
    draw.text((canvas.right, canvas.top - 12), f"colour: {label}, dark = low", fill=(60, 60, 60), font=tick_font, anchor="rs")

    for point in landscape.critical_points:
        px, py = canvas.pixel(point.x, point.y)
        if canvas.left <= px <= canvas.right and canvas.top <= py <= canvas.bottom:
            _marker(draw, CRITICAL_MARKS.get(point.kind, "diamond"), float(px), float(py), 9, fill="white")

    legend_y = canvas.bottom + 78
    x = canvas.left
    for i, (key, name) in enumerate(names.items()):
        colour = _rgb(optimizer_color(key))
        draw.line([(x, legend_y + 12), (x + 34, legend_y + 12)], fill=colour, width=5)
        _marker(draw, HEAD_SHAPES[i % len(HEAD_SHAPES)], x + 17, legend_y + 12, 7, fill=colour)
        draw.text((x + 44, legend_y + 12), name, fill="black", font=label_font, anchor="lm")
        x += 60 + int(draw.textlength(name, font=label_font))
        if x > canvas.right - 150 and i < len(names) - 1:
            x, legend_y = canvas.left, legend_y + 32
    return image


def _visible_prefix(path: np.ndarray) -> np.ndarray:
    """The path up to its first non-finite point (a diverged run stops being drawn there)."""
    bad = np.flatnonzero(~np.all(np.isfinite(path), axis=1))
    return path[: bad[0]] if bad.size else path


def race_gif(landscape: Landscape, grid, paths: dict, names: dict, title: str | None = None, n_frames: int = 60,
             size: tuple[int, int] = (960, 720), frame_ms: int = 80, hold_ms: int = 2000) -> bytes:
    """The race as an animated GIF: ``paths`` {optimizer key: (T+1, 2) array}, drawn step by step."""
    canvas = _Canvas(landscape, size)
    base = _background(landscape, grid, canvas, names, title or f"Race on {landscape.title}")
    longest = max(len(p) for p in paths.values())
    steps = np.unique(np.linspace(0, longest - 1, max(1, min(n_frames, longest))).astype(int))
    pixels = {k: np.stack(canvas.pixel(p[:, 0], p[:, 1]), axis=1) for k, p in ((k, _visible_prefix(np.asarray(p, float))) for k, p in paths.items())}
    # Pixels far outside the picture (a run thrown off the map) are clipped so Pillow draws the exit.
    pixels = {k: np.clip(p, -canvas.width, 2 * canvas.width) for k, p in pixels.items()}

    frames = []
    step_font = _font(22)
    for t in steps:
        frame = base.copy()
        draw = ImageDraw.Draw(frame)
        for i, (key, p) in enumerate(pixels.items()):
            shown = p[: min(t + 1, len(p))]
            colour = _rgb(optimizer_color(key))
            if len(shown) > 1:
                draw.line([tuple(q) for q in shown], fill=(255, 255, 255), width=8, joint="curve")
                draw.line([tuple(q) for q in shown], fill=colour, width=4, joint="curve")
            if len(shown):
                hx, hy = shown[-1]
                if canvas.left <= hx <= canvas.right and canvas.top <= hy <= canvas.bottom:
                    _marker(draw, HEAD_SHAPES[i % len(HEAD_SHAPES)], float(hx), float(hy), 8, fill=colour)
        # Paths may leave the plot area; repaint the margins so only the map shows them.
        frame.paste(base.crop((0, 0, canvas.width, canvas.top)), (0, 0))
        frame.paste(base.crop((0, canvas.bottom + 1, canvas.width, canvas.height)), (0, canvas.bottom + 1))
        frame.paste(base.crop((0, 0, canvas.left, canvas.height)), (0, 0))
        frame.paste(base.crop((canvas.right + 1, 0, canvas.width, canvas.height)), (canvas.right + 1, 0))
        draw.rectangle([canvas.left, canvas.top, canvas.right, canvas.bottom], outline=(60, 60, 60), width=2)
        draw.text((canvas.right, 14), f"step {int(t)} / {longest - 1}", fill="black", font=step_font, anchor="rt")
        frames.append(frame)

    palette = frames[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    indexed = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    durations = [frame_ms] * (len(indexed) - 1) + [hold_ms]
    out = io.BytesIO()
    indexed[0].save(out, format="GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0, optimize=False)
    return out.getvalue()
