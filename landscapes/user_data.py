"""Your own data: a pasted or uploaded CSV, checked, and the data landscapes built from it.

    >>> from landscapes.user_data import parse_csv, sample_csv, landscape_from_data, DataError
    >>> data = parse_csv(sample_csv("regression"), "regression")        # (x, t) rows
    >>> fit = landscape_from_data("linear_regression", data)            # slope and intercept
    >>> net = landscape_from_data("two_layer_tanh", data, l2=0.01)

Two kinds of data:

- ``"regression"``: two numeric columns (x, t), for the linear regression (w, b) and the two-layer
  linear and tanh networks (w, v);
- ``"classification"``: three columns (x1, x2, label) with labels 0 or 1, for logistic regression.

**Checks** (each problem is reported with its row, the line number in the file counting from 1, and
its column; up to :data:`MAX_REPORTED_PROBLEMS` problems in one :class:`DataError`): size ≤ 1 MB
(1,000,000 bytes, checked first) and ≤ 10,000 data rows; UTF-8 text, not a binary file (NUL bytes, a
zip or Excel file are recognised); comma-, semicolon- or tab-separated (from the first row); an
optional header row (a first row that is not all numbers); every other row exactly 2 (or 3) values,
each a plain decimal number (``1.5``, ``-2e-3``; no NaN, no inf, |value| ≤ 10⁶ so that the losses stay
finite); labels 0 or 1; at least 2 rows. Blank lines and lines starting with ``#`` are skipped.

**Sessions.** Nothing here writes to disk or keeps data in a module-level cache: the data lives in
the returned objects only. Keep them in the session (``st.session_state``), not in ``st.cache_data``
or ``st.cache_resource``, which every session of the server shares.

The landscapes reuse the built-in per-sample losses (``regression.linear_regression_sample_loss``,
``networks.two_layer_tanh_sample_loss``...), so a user dataset compiles no new loss function, only
programs for a new number of rows. As for the built-in datasets, rows are stored sorted (by x, or by
label) so that the engine's "sorted" sampling walks through them in that order.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from landscapes import networks, regression
from landscapes.base import CriticalPoint, Landscape
from landscapes.critical_points import classify_eigenvalues, complete_critical_points

MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
MIN_ROWS = 2
MAX_ABS_VALUE = 1e6
MAX_REPORTED_PROBLEMS = 10

KINDS = {
    "regression": ("x", "t"),
    "classification": ("x1", "x2", "label"),
}

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAN = {"nan", "+nan", "-nan", "na", "n/a", "null", "none", "#n/a"}
_INF = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


class Problem(NamedTuple):
    """One problem in the CSV: ``row`` is the line number in the file (1-based) or None for the
    whole file, ``column`` the 1-based column or None for the whole row."""

    row: int | None
    column: int | None
    message: str
    column_name: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}" + (f" ({self.column_name})" if self.column_name else ""))
        return (", ".join(where) + ": " if where else "") + self.message


class DataError(ValueError):
    """Why a CSV was not accepted; ``problems`` lists each one with its row and column."""

    def __init__(self, problems: list[Problem], more: int = 0):
        self.problems = list(problems)
        self.more = more
        if len(self.problems) == 1 and not more:
            message = str(self.problems[0])
        else:
            count = len(self.problems) + more
            message = f"{count} problems in the CSV: " + "; ".join(map(str, self.problems))
            if more:
                message += f"; and {more} more"
        super().__init__(message)
        self.message = message

    @property
    def row(self) -> int | None:
        return self.problems[0].row if self.problems else None

    @property
    def column(self) -> int | None:
        return self.problems[0].column if self.problems else None


@dataclass(frozen=True, eq=False)
class UserData:
    """Validated rows: ``values`` is an (N, 2) array of (x, t) or an (N, 3) array of (x1, x2, label),
    in the file's order; ``header`` the column names if the file had a header row."""

    kind: str
    values: np.ndarray
    header: tuple[str, ...] | None

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def fingerprint(self) -> str:
        """A short hash of the values: a cache key inside one session, and a label."""
        return hashlib.sha256(np.ascontiguousarray(self.values).tobytes()).hexdigest()[:12]


def _fail(row, column, message):
    raise DataError([Problem(row, column, message)])


def _decode(content) -> str:
    if isinstance(content, (bytes, bytearray, memoryview)):
        raw = bytes(content)
        if len(raw) > MAX_BYTES:
            _fail(None, None, f"the file is too large: {len(raw):,} bytes > {MAX_BYTES:,} (1 MB)")
        if raw.startswith(b"PK\x03\x04"):
            _fail(None, None, "this is a zip or Excel (.xlsx) file, not CSV text: save it as CSV (comma-separated)")
        if b"\x00" in raw:
            position = raw.index(b"\x00")
            line = raw.count(b"\n", 0, position) + 1
            _fail(line, None, "this looks like a binary file (it contains NUL bytes), not CSV text")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            _fail(line, None, f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x} at position {error.start}): "
                              "save it as CSV UTF-8")
    if not isinstance(content, str):
        _fail(None, None, f"expected CSV text or bytes, got {type(content).__name__}")
    if len(content) > MAX_BYTES or len(content.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        _fail(None, None, f"the text is too large: more than {MAX_BYTES:,} bytes (1 MB)")
    if "\x00" in content:
        line = content.count("\n", 0, content.index("\x00")) + 1
        _fail(line, None, "this looks like binary data (it contains NUL characters), not CSV text")
    return content[1:] if content.startswith("\ufeff") else content


def _delimiter(line: str) -> str:
    """';' if the first row has one (spreadsheets that write decimal commas use it), else a tab, else ','."""
    for candidate in (";", "\t"):
        if candidate in line:
            return candidate
    return ","


def _number(field: str) -> tuple[float | None, str | None]:
    """(value, None) for a plain decimal number, else (None, why not)."""
    text = field.strip()
    if not text:
        return None, "empty value"
    lowered = text.lower()
    if lowered in _NAN:
        return None, f"missing value ({text!r}): NaN is not allowed"
    if lowered in _INF:
        return None, f"{text!r}: infinite values are not allowed"
    if not text.isascii() or not _NUMBER.fullmatch(text):
        shown = text if len(text) <= 20 else text[:20] + "…"
        hint = " (use a point as the decimal separator)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
        return None, f"{shown!r} is not a number{hint}"
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        return None, f"{text} is too large: values must be at most {MAX_ABS_VALUE:g} in size (rescale the column)"
    return value, None


def parse_csv(content, kind: str = "regression") -> UserData:
    """Check a CSV (str or bytes) of (x, t) rows (``kind="regression"``) or (x1, x2, label) rows
    (``kind="classification"``) and return it as :class:`UserData`; raise :class:`DataError`
    listing the problems (row = line number in the file, column from 1) otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {sorted(KINDS)}")
    names = KINDS[kind]
    width = len(names)
    text = _decode(content)
    if text.count("\n") > 2 * MAX_ROWS + 100:  # cheap early stop before splitting a huge paste
        _fail(None, None, f"too many rows: more than {MAX_ROWS:,}")
    lines = re.split(r"\r\n|\n|\r", text)
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        _fail(None, None, f"no data: the CSV is empty (expected rows of {', '.join(names)})")
    delimiter = _delimiter(numbered[0][1])

    problems: list[Problem] = []
    more = 0

    def report(row, column, message, column_name=""):
        nonlocal more
        if len(problems) < MAX_REPORTED_PROBLEMS:
            problems.append(Problem(row, column, message, column_name))
        else:
            more += 1

    parsed_rows = []
    for number, line in numbered:
        try:
            parsed_rows.append((number, next(csv.reader([line], delimiter=delimiter, strict=True), [])))
        except csv.Error as error:
            report(number, None, f"the line could not be split into values: {error}")

    header = None
    if parsed_rows:
        first_number, first_fields = parsed_rows[0]
        cells = [f.strip() for f in first_fields]
        if any(cells) and not any(_NUMBER.fullmatch(c) or c.lower() in _NAN | _INF for c in cells if c):
            header = tuple(cells)
            while header and not header[-1]:
                header = header[:-1]
            if len(header) != width:
                report(first_number, None, f"the header has {len(header)} names, expected {width} ({', '.join(names)})")
            parsed_rows = parsed_rows[1:]
    column_names = header if header is not None and len(header) == width else names
    column_names = tuple(name if len(name) <= 30 else name[:30] + "…" for name in column_names)

    if len(parsed_rows) > MAX_ROWS:
        _fail(None, None, f"too many rows: {len(parsed_rows):,} > {MAX_ROWS:,}")

    values = np.zeros((len(parsed_rows), width))
    for index, (number, fields) in enumerate(parsed_rows):
        while len(fields) > width and not fields[-1].strip():
            fields = fields[:-1]  # a trailing separator
        if len(fields) != width:
            count = f"{len(fields)} value" + ("" if len(fields) == 1 else "s")
            report(number, None, f"{count}, expected {width} ({', '.join(names)}) separated by {delimiter!r}")
            continue
        for column, field in enumerate(fields):
            value, why = _number(field)
            if why is not None:
                report(number, column + 1, why, column_names[column])
                continue
            if kind == "classification" and column == 2 and value not in (0.0, 1.0):
                hint = " (for labels -1/+1 write 0 for -1)" if value == -1.0 else ""
                report(number, column + 1, f"the label must be 0 or 1, got {field.strip()}{hint}", column_names[column])
                continue
            values[index, column] = value
    if problems:
        raise DataError(problems, more)
    if len(parsed_rows) < MIN_ROWS:
        _fail(None, None, f"too few rows: {len(parsed_rows)} < {MIN_ROWS} (a surface needs at least {MIN_ROWS} data points)")
    return UserData(kind, values, header)


def validate_csv(content, kind: str = "regression") -> str | None:
    """None if the CSV is acceptable, else the message saying what is wrong (for the page)."""
    try:
        parse_csv(content, kind)
    except DataError as error:
        return error.message
    return None


# ---- sample files ------------------------------------------------------------------------------

def sample_csv(kind: str = "regression", n_rows: int = 64, seed: int = 0, target: str = "line") -> str:
    """A CSV text to download and edit: (x, t) rows from the built-in line fit (``target="line"``) or
    a two-layer-network target (``"tanh"``, ``"sine"``, ``"step"``, ``"linear"``), or (x1, x2, label)
    rows from the built-in two-class data (``kind="classification"``), with a header row."""
    if kind == "regression":
        if target == "line":
            rows = regression.linear_dataset(n_rows, 0.5, seed)
        elif target in networks.TANH_TARGETS:
            rows = networks.tanh_dataset(n_rows, 0.1, target, seed)
        else:
            raise ValueError(f"unknown target {target!r}; choose 'line' or one of {sorted(networks.TANH_TARGETS)}")
        lines = ["x,t"] + [f"{x:.6g},{t:.6g}" for x, t in rows]
    elif kind == "classification":
        rows = regression.logistic_dataset(n_rows, 1.0, seed)
        lines = ["x1,x2,label"] + [f"{a:.6g},{b:.6g},{int(label)}" for a, b, label in rows]
    else:
        raise ValueError(f"unknown kind {kind!r}; choose one of {sorted(KINDS)}")
    return "\n".join(lines) + "\n"


# ---- landscapes from user data -----------------------------------------------------------------

#: Which kind of data each data landscape takes.
DATA_LANDSCAPES = {
    "linear_regression": "regression",
    "two_layer_linear": "regression",
    "two_layer_tanh": "regression",
    "logistic_regression": "classification",
}


def _require(data: UserData, key: str) -> np.ndarray:
    if not isinstance(data, UserData):
        raise TypeError(f"expected UserData from parse_csv, got {type(data).__name__}")
    if data.kind != DATA_LANDSCAPES[key]:
        raise ValueError(f"{key} needs {DATA_LANDSCAPES[key]} data ({', '.join(KINDS[DATA_LANDSCAPES[key]])}), "
                         f"got {data.kind} data")
    column = 0 if data.kind == "regression" else 2
    order = np.argsort(data.values[:, column], kind="stable")
    return data.values[order]


def _box(center, half_widths):
    return tuple((float(c - h), float(c + h)) for c, h in zip(center, half_widths))


def _settings(data: UserData, **extra) -> dict:
    return {"data": "user", "n_samples": data.n_rows, "fingerprint": data.fingerprint, **extra}


def linear_regression_from_data(data: UserData) -> Landscape:
    """Least squares line fit l_n(w, b) = 1/2 (w x_n + b - t_n)^2 over the user's (x, t) rows; the
    minimum from the normal equations (listed as degenerate when all x are equal)."""
    rows = _require(data, "linear_regression")
    x, t = rows[:, 0], rows[:, 1]
    design = np.stack([x, np.ones_like(x)], axis=1)
    w, b = np.linalg.lstsq(design, t, rcond=None)[0]
    residual = design @ np.array([w, b]) - t
    hessian = design.T @ design / len(x)
    kind = classify_eigenvalues(np.linalg.eigvalsh(hessian))
    minimum = CriticalPoint(float(w), float(b), kind, float(0.5 * np.mean(residual**2)), "least-squares fit")
    half = (max(3.0, abs(w)), max(3.0, abs(b)))
    domain = _box((w, b), half)
    return Landscape(
        key="linear_regression",
        title="Linear regression (your data)",
        description=(f"Fit a line y = w·x + b to your {len(x)} points by mean squared error; "
                     f"the least-squares line is w = {w:.3g}, b = {b:.3g}."),
        sample_loss=regression.linear_regression_sample_loss,
        samples=jnp.asarray(rows),
        params={},
        domain=domain,
        default_start=(float(w - 0.83 * half[0]), float(b + 0.83 * half[1])),
        critical_points=(minimum,),
        axis_labels=("w (slope)", "b (intercept)"),
        log_contours=True,
        settings=_settings(data),
    )


def logistic_regression_from_data(data: UserData, l2: float = 0.05) -> Landscape:
    """Log-loss plus (l2/2)|w|^2 of a line through the origin over the user's (x1, x2, label) rows;
    the single minimum by Newton's method, refined and checked numerically."""
    rows = _require(data, "logistic_regression")
    l2 = float(l2)
    if not (math.isfinite(l2) and l2 > 0):
        raise ValueError(f"l2 must be a finite number > 0 (it keeps the minimum finite), got {l2:g}")
    w = regression.logistic_minimum(rows, l2)
    if not np.all(np.isfinite(w)):
        w = np.zeros(2)
    half = (max(4.0, 1.5 * abs(w[0])), max(4.0, 1.5 * abs(w[1])))
    landscape = Landscape(
        key="logistic_regression",
        title="Logistic regression (your data)",
        description=(f"Separate your two classes ({int(rows[:, 2].sum())} labelled 1, {int(len(rows) - rows[:, 2].sum())} "
                     f"labelled 0) with a line through the origin, by log-loss plus a weight penalty ({l2:g})."),
        sample_loss=regression.logistic_regression_sample_loss,
        samples=jnp.asarray(rows),
        params={"l2": jnp.asarray(l2)},
        domain=_box(w, half),
        default_start=(float(w[0] - 0.7 * half[0]), float(w[1] + 0.7 * half[1])),
        critical_points=(CriticalPoint(float(w[0]), float(w[1]), "minimum", None, "minimum"),),
        axis_labels=("w₁", "w₂"),
        log_contours=True,
        settings=_settings(data, l2=l2),
    )
    return complete_critical_points(landscape)


def _product_scale(x, t, l2) -> float:
    """|w v| at the best fit of y = (w v) x: the scale of the two-layer linear network's minima."""
    return abs(float(np.dot(x, t) / max(np.dot(x, x), 1e-300)))


def two_layer_linear_from_data(data: UserData, l2: float = 0.1) -> Landscape:
    """Mean of (v w x_n - t_n)^2 + l2 (v^2 + w^2) over the user's (x, t) rows; critical points
    (the saddle at zero and the sign-flipped minima) found numerically."""
    rows = _require(data, "two_layer_linear")
    l2 = _penalty(l2)
    r = math.sqrt(_product_scale(rows[:, 0], rows[:, 1], l2))
    half = max(2.0, 1.5 * r)
    landscape = Landscape(
        key="two_layer_linear",
        title="Two-layer linear network (your data)",
        description=(f"Mean error of y = v·w·x over your {len(rows)} points with weight decay {l2:g}: only the product "
                     "v·w matters, the sign flip (w, v) → (−w, −v) gives a twin minimum, and zero is a saddle."),
        sample_loss=networks.two_layer_linear_sample_loss,
        samples=jnp.asarray(rows),
        params={"l2": jnp.asarray(l2)},
        domain=((-half, half), (-half, half)),
        default_start=(-0.75 * half, 0.1 * half),
        critical_points=(CriticalPoint(0.0, 0.0, "saddle", None, "saddle at zero"),),
        axis_labels=("w (first layer)", "v (second layer)"),
        log_contours=False,
        settings=_settings(data, l2=l2),
    )
    return complete_critical_points(landscape)


def two_layer_tanh_from_data(data: UserData, l2: float = 0.01) -> Landscape:
    """Mean of (v tanh(w x_n) - t_n)^2 + l2 (v^2 + w^2) over the user's (x, t) rows; the domain is
    scaled to the data (w to the inputs' size, v to the targets'), critical points found numerically."""
    rows = _require(data, "two_layer_tanh")
    l2 = _penalty(l2)
    x_size = max(float(np.max(np.abs(rows[:, 0]))), 1e-12)
    t_size = float(np.max(np.abs(rows[:, 1])))
    half_w = min(max(8.0 / x_size, 1e-3), 1e3)
    half_v = max(3.0, 1.5 * t_size)
    landscape = Landscape(
        key="two_layer_tanh",
        title="Two-layer tanh network (your data)",
        description=(f"Mean error of y = v·tanh(w·x) over your {len(rows)} points with weight decay {l2:g}: plateaus "
                     "where the tanh saturates, a saddle at zero and mirror-image minima."),
        sample_loss=networks.two_layer_tanh_sample_loss,
        samples=jnp.asarray(rows),
        params={"l2": jnp.asarray(l2)},
        domain=((-half_w, half_w), (-half_v, half_v)),
        default_start=(-0.875 * half_w, -0.1 * half_v),
        critical_points=(),
        axis_labels=("w (first layer)", "v (second layer)"),
        log_contours=False,
        settings=_settings(data, l2=l2),
    )
    return complete_critical_points(landscape)


def _penalty(l2) -> float:
    l2 = float(l2)
    if not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number ≥ 0, got {l2:g}")
    return l2


_BUILDERS = {
    "linear_regression": linear_regression_from_data,
    "logistic_regression": logistic_regression_from_data,
    "two_layer_linear": two_layer_linear_from_data,
    "two_layer_tanh": two_layer_tanh_from_data,
}


def landscape_from_data(key: str, data: UserData, **settings) -> Landscape:
    """The data landscape ``key`` (one of :data:`DATA_LANDSCAPES`) built from validated user data.
    Not cached here (the data belongs to one session): keep the result in the session."""
    if key not in _BUILDERS:
        raise KeyError(f"no user-data version of {key!r}; choose one of {sorted(_BUILDERS)}")
    return _BUILDERS[key](data, **settings)


__all__ = [
    "DataError",
    "Problem",
    "UserData",
    "parse_csv",
    "validate_csv",
    "sample_csv",
    "landscape_from_data",
    "linear_regression_from_data",
    "logistic_regression_from_data",
    "two_layer_linear_from_data",
    "two_layer_tanh_from_data",
    "DATA_LANDSCAPES",
    "KINDS",
    "MAX_BYTES",
    "MAX_ROWS",
]
