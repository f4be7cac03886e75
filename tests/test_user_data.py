"""Your own data: CSV checks with row and column, sample files, the data landscapes built from user
rows (same per-sample losses as the built-ins), and fuzzing of malformed, huge and binary input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscapes import get_landscape, networks, regression
from landscapes.user_data import (
    DATA_LANDSCAPES, MAX_BYTES, MAX_ROWS, DataError, UserData, landscape_from_data, parse_csv, sample_csv,
    validate_csv,
)

FUZZ = dict(deadline=1000, database=None, derandomize=True, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])


# ---- accepted files ---------------------------------------------------------------------------------

def test_a_plain_csv_with_a_header():
    data = parse_csv("x,t\n1,2\n-3.5,4e-3\n", "regression")
    assert data.kind == "regression" and data.header == ("x", "t") and data.n_rows == 2
    np.testing.assert_array_equal(data.values, [[1.0, 2.0], [-3.5, 0.004]])


@pytest.mark.parametrize("content", [
    "1,2\n3,4\n",                         # no header
    b"x,t\r\n1,2\r\n3,4\r\n",             # bytes, Windows line ends
    "\ufeffx,t\n1,2\n3,4",                # a byte-order mark, no final newline
    b"\xef\xbb\xbfx,t\n1,2\n3,4\n",       # the same as UTF-8 bytes
    "x;t\n1;2\n3;4\n",                    # semicolons
    "x\tt\n1\t2\n3\t4\n",                 # tabs
    '"x","t"\n"1","2"\n"3","4"\n',        # quoted
    "# my data\n\nx,t\n 1 , 2 \n\n3,4,\n",  # a comment, blank lines, spaces, a trailing separator
    "1\r2\r".replace("\r", ",0\r") + "3,4\r",  # old Mac line ends
])
def test_common_spellings_of_the_same_data_are_accepted(content):
    data = parse_csv(content, "regression")
    assert data.n_rows >= 2 and np.all(np.isfinite(data.values))


def test_classification_rows_with_labels():
    data = parse_csv("x1,x2,label\n0.5,1,1\n-1,2,0\n3,0,1.0\n", "classification")
    np.testing.assert_array_equal(data.values[:, 2], [1, 0, 1])


def test_sample_files_round_trip_and_match_the_built_in_data():
    for kind, target in (("regression", "line"), ("regression", "tanh"), ("regression", "sine"), ("classification", "line")):
        text = sample_csv(kind, n_rows=40, target=target)
        data = parse_csv(text, kind)
        assert data.n_rows == 40 and data.header == (("x", "t") if kind == "regression" else ("x1", "x2", "label"))
        assert validate_csv(text, kind) is None
    line = parse_csv(sample_csv("regression", n_rows=64), "regression")
    np.testing.assert_allclose(line.values, regression.linear_dataset(64, 0.5, 0), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        sample_csv("images")


# ---- every problem with its row and column ---------------------------------------------------------

@pytest.mark.parametrize("content, kind, expected", [
    ("x,t\n1,2\n3,abc\n", "regression", "row 3, column 2 (t): 'abc' is not a number"),
    ("x,t\n1,2\n3\n", "regression", "row 3: 1 value, expected 2 (x, t)"),
    ("x,t\n1,2\n3,4,5\n", "regression", "row 3: 3 values, expected 2"),
    ("x,t\n1,nan\n3,4\n", "regression", "row 2, column 2 (t): missing value ('nan'): NaN is not allowed"),
    ("x,t\n1,2\n-inf,4\n", "regression", "row 3, column 1 (x): '-inf': infinite values are not allowed"),
    ("x,t\n1,2\n,4\n", "regression", "row 3, column 1 (x): empty value"),
    ("x,t\n1,2\n1e999,4\n", "regression", "row 3, column 1 (x): 1e999 is too large"),
    ("x,t\n1,2\n2e6,4\n", "regression", "values must be at most 1e+06"),
    ("x;t\n1,5;2\n3;4\n", "regression", "'1,5' is not a number (use a point as the decimal separator)"),
    ("a,b,c\n1,2\n3,4\n", "regression", "row 1: the header has 3 names, expected 2 (x, t)"),
    ("x1,x2,label\n1,2,0\n3,4,2\n", "classification", "row 3, column 3 (label): the label must be 0 or 1, got 2"),
    ("x1,x2,label\n1,2,0\n3,4,-1\n", "classification", "got -1 (for labels -1/+1 write 0 for -1)"),
    ("x,t\n1,2\n", "regression", "too few rows: 1 < 2"),
    ("", "regression", "no data: the CSV is empty"),
    ("# only a comment\n\n", "regression", "no data"),
    ('x,t\n"1"x,2\n3,4\n', "regression", "row 2: the line could not be split into values"),
    ("x,t\n١,2\n3,4\n", "regression", "row 2, column 1 (x): '١' is not a number"),
    ("x,t\n1_000,2\n3,4\n", "regression", "'1_000' is not a number"),
    ("w,target\n1,2\n3,x\n", "regression", "row 3, column 2 (target)"),
    (b"x,t\n1,2\n\x00\x01\x02", "regression", "row 3: this looks like a binary file (it contains NUL bytes)"),
    (b"PK\x03\x04\x14\x00", "regression", "zip or Excel (.xlsx) file"),
    (b"x,t\n1,2\n\xff\xfe3,4\n", "regression", "row 3: the file is not UTF-8 text (byte 0xff at position 8)"),
    ("x,t\n1,\x002\n", "regression", "row 2: this looks like binary data"),
    (12, "regression", "expected CSV text or bytes, got int"),
])
def test_each_problem_is_reported_with_its_row_and_column(content, kind, expected):
    with pytest.raises(DataError) as caught:
        parse_csv(content, kind)
    assert expected in str(caught.value)
    assert validate_csv(content, kind) == str(caught.value)


def test_several_problems_are_reported_together_with_a_count():
    rows = "\n".join(["x,t"] + [f"{i},bad" for i in range(30)])
    with pytest.raises(DataError) as caught:
        parse_csv(rows, "regression")
    error = caught.value
    assert len(error.problems) == 10 and error.more == 20
    assert str(error).startswith("30 problems in the CSV: row 2, column 2 (t): 'bad' is not a number; row 3")
    assert str(error).endswith("; and 20 more")
    assert (error.row, error.column) == (2, 2)


def test_size_limits():
    big = "1,2\n" * (MAX_ROWS + 1)
    with pytest.raises(DataError, match="too many rows: 10,001 > 10,000"):
        parse_csv(big, "regression")
    assert parse_csv("1,2\n" * MAX_ROWS, "regression").n_rows == MAX_ROWS
    with pytest.raises(DataError, match=r"too large: 1,000,001 bytes > 1,000,000 \(1 MB\)"):
        parse_csv(b"1" * (MAX_BYTES + 1), "regression")
    with pytest.raises(DataError, match="more than 1,000,000 bytes"):
        parse_csv("é" * (MAX_BYTES // 2 + 1), "regression")  # counted in UTF-8 bytes, not characters
    with pytest.raises(DataError, match="too many rows: more than 10,000"):
        parse_csv("\n" * 200_000 + "1,2\n3,4\n", "regression")  # stops before splitting
    with pytest.raises(ValueError, match="unknown kind"):
        parse_csv("1,2\n3,4\n", "images")


# ---- landscapes from user data ---------------------------------------------------------------------

def test_linear_regression_from_user_data_is_the_least_squares_fit():
    rows = np.array([[0.0, 1.0], [1.0, 3.1], [2.0, 4.9], [3.0, 7.2], [-1.0, -1.1]])
    data = parse_csv("x,t\n" + "\n".join(f"{float(x)!r},{float(t)!r}" for x, t in rows), "regression")
    landscape = landscape_from_data("linear_regression", data)
    (fit,) = landscape.minima()
    w, b = np.polyfit(rows[:, 0], rows[:, 1], 1)
    assert (fit.x, fit.y) == pytest.approx((w, b), rel=1e-12)
    assert landscape.sample_loss is regression.linear_regression_sample_loss  # no new loss function to compile
    assert landscape.n_samples == 5 and np.all(np.diff(np.asarray(landscape.samples)[:, 0]) >= 0)  # sorted by x
    np.testing.assert_allclose(landscape.gradient([fit.x, fit.y]), 0.0, atol=1e-12)
    x = rows[:, 0]
    np.testing.assert_allclose(landscape.hessian([0.0, 0.0]), [[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]], rtol=1e-12)
    (x0, x1), (y0, y1) = landscape.domain
    assert x0 < fit.x < x1 and y0 < fit.y < y1
    assert x0 <= landscape.default_start[0] <= x1 and y0 <= landscape.default_start[1] <= y1
    assert landscape.settings["data"] == "user" and landscape.settings["fingerprint"] == data.fingerprint


def test_the_same_data_as_the_built_in_gives_the_same_surfaces():
    tanh_rows = networks.tanh_dataset(24, 0.1, "tanh", 0)
    data = parse_csv("\n".join(f"{float(x)!r},{float(t)!r}" for x, t in tanh_rows), "regression")
    built_in = get_landscape("two_layer_tanh")
    mine = landscape_from_data("two_layer_tanh", data, l2=0.01)
    points = np.random.default_rng(0).uniform(-3, 3, (10, 2))
    np.testing.assert_allclose(mine.loss(points), built_in.loss(points), rtol=1e-13)
    assert sorted(p.kind for p in mine.critical_points) == sorted(p.kind for p in built_in.critical_points)
    assert mine.domain == built_in.domain

    classes = regression.logistic_dataset(64, 1.0, 0)
    data = parse_csv("\n".join(f"{float(a)!r},{float(b)!r},{int(c)}" for a, b, c in classes), "classification")
    mine = landscape_from_data("logistic_regression", data, l2=0.05)
    built_in = get_landscape("logistic_regression")
    assert (mine.minima()[0].x, mine.minima()[0].y) == pytest.approx((built_in.minima()[0].x, built_in.minima()[0].y), abs=1e-8)


def test_two_layer_linear_from_user_data_has_the_saddle_and_twin_minima():
    data = parse_csv("x,t\n1,1\n2,2.2\n-1,-0.9\n", "regression")
    landscape = landscape_from_data("two_layer_linear", data, l2=0.1)
    kinds = sorted(p.kind for p in landscape.critical_points)
    assert kinds == ["minimum", "minimum", "saddle"]
    a, b = landscape.minima()
    assert (a.x, a.y) == pytest.approx((-b.x, -b.y), abs=1e-8)


def test_data_of_the_wrong_kind_or_an_unknown_landscape_is_refused():
    regression_data = parse_csv("1,2\n3,4\n", "regression")
    with pytest.raises(ValueError, match="logistic_regression needs classification data"):
        landscape_from_data("logistic_regression", regression_data)
    with pytest.raises(KeyError, match="no user-data version"):
        landscape_from_data("rosenbrock", regression_data)
    with pytest.raises(TypeError):
        landscape_from_data("linear_regression", np.zeros((3, 2)))
    assert set(DATA_LANDSCAPES) == {"linear_regression", "two_layer_linear", "two_layer_tanh", "logistic_regression"}


def test_equal_inputs_give_a_degenerate_least_squares_valley_not_a_crash():
    landscape = landscape_from_data("linear_regression", parse_csv("2,1\n2,3\n2,5\n", "regression"))
    assert landscape.critical_points[0].kind == "degenerate"


# ---- fuzzing ----------------------------------------------------------------------------------------

def _check(content, kind):
    """parse_csv either returns consistent data or raises DataError with located problems; nothing else."""
    try:
        data = parse_csv(content, kind)
    except DataError as error:
        assert error.problems and str(error)
        for problem in error.problems:
            assert problem.row is None or problem.row >= 1
            assert problem.column is None or 1 <= problem.column <= (2 if kind == "regression" else 3)
        return "rejected"
    assert isinstance(data, UserData)
    width = 2 if kind == "regression" else 3
    assert data.values.shape[1] == width and 2 <= data.n_rows <= MAX_ROWS
    assert np.all(np.isfinite(data.values)) and np.all(np.abs(data.values) <= 1e6)
    if kind == "classification":
        assert set(np.unique(data.values[:, 2])) <= {0.0, 1.0}
    return "accepted"


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**8, 10**8).map(str),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-Infinity", "1e999", "abc", "1,5", "0", "1", "2", "-1", "0.0", "1.0",
                     '"3"', '"', "''", "\x00", "١", "1_0", "0x10", "1e", ".", "-", "+1", "1e-400", "\t", "é"]),
    st.text(max_size=6),
)

@st.composite
def csv_like(draw):
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", " "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = draw(st.lists(st.lists(CELLS, max_size=4), max_size=30))
    header = draw(st.sampled_from([[], ["x,t"], ["x1,x2,label"], ["#comment"], ["a,b,c,d"]]))
    return newline.join(header + [delimiter.join(row) for row in rows])


@st.composite
def mostly_valid(draw):
    """Rows of 2 or 3 good numbers (labels 0/1 in a third column), sometimes with one thing broken."""
    width = draw(st.sampled_from([2, 3]))
    number = st.one_of(st.integers(-1000, 1000).map(str),
                       st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr))
    rows = draw(st.lists(st.lists(number, min_size=width, max_size=width), min_size=2, max_size=25))
    if width == 3:
        rows = [row[:2] + [draw(st.sampled_from(["0", "1"]))] for row in rows]
    if draw(st.booleans()):
        row = draw(st.integers(0, len(rows) - 1))
        mutation = draw(st.sampled_from(["cell", "drop", "extra", "nul", "quote", "blank"]))
        if mutation == "cell":
            rows[row][draw(st.integers(0, width - 1))] = draw(CELLS)
        elif mutation == "drop":
            rows[row] = rows[row][:-1]
        elif mutation == "extra":
            rows[row] = rows[row] + [draw(CELLS)]
        elif mutation == "nul":
            rows[row][0] += "\x00"
        elif mutation == "quote":
            rows[row][0] = '"' + rows[row][0]
        else:
            rows[row] = [""] * width
    header = draw(st.sampled_from([[], [",".join(["x", "t", "label"][:width])]]))
    return "\n".join(header + [",".join(row) for row in rows])


def test_fuzz_csv_text_bytes_and_binary_never_raise_anything_else():
    counts = {"accepted": 0, "rejected": 0}

    @settings(max_examples=2000, **FUZZ)
    @given(st.one_of(csv_like(), mostly_valid(), mostly_valid().map(str.encode), st.text(max_size=300),
                     st.binary(max_size=300),
                     csv_like().map(lambda s: s.encode("utf-8", "surrogatepass")),
                     csv_like().map(lambda s: s.encode("utf-16"))),
           st.sampled_from(["regression", "classification"]))
    def run(content, kind):
        counts[_check(content, kind)] += 1

    run()
    assert counts["accepted"] > 100 and counts["rejected"] > 1000


def test_fuzz_valid_rows_round_trip_exactly():
    finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)

    @settings(max_examples=400, **FUZZ)
    @given(st.lists(st.tuples(finite, finite, st.sampled_from([0, 1])), min_size=2, max_size=50),
           st.booleans(), st.sampled_from([",", ";", "\t"]))
    def run(rows, with_header, delimiter):
        lines = ([delimiter.join(["x1", "x2", "label"])] if with_header else [])
        lines += [delimiter.join([repr(a), repr(b), str(c)]) for a, b, c in rows]
        data = parse_csv("\n".join(lines), "classification")
        np.testing.assert_array_equal(data.values, np.array(rows, dtype=float))
        assert data.header == (("x1", "x2", "label") if with_header else None)

    run()


@pytest.mark.parametrize("content", [
    b"\x00" * MAX_BYTES,
    b"\xff" * MAX_BYTES,
    "1," * (MAX_BYTES // 2 - 1) + "1",          # one line with 500,000 values
    "x" * (MAX_BYTES - 1),                     # one 1 MB field (larger than csv's field limit)
    ("1.5," * 2 + "\n") * 9_000,               # a trailing separator on 9,000 rows
    "\n".join(["1,2"] * 9_999 + ["3,x"]),      # the last of 10,000 rows is bad
    "\u2028".join(["1,2"] * 100),              # a unicode line separator is not a line end
])
def test_huge_and_binary_input_is_handled(content):
    assert _check(content, "regression") in ("accepted", "rejected")
