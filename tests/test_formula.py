"""A typed formula f(x, y): the whitelist parser, its messages and bounds, the landscape it makes,
the one-function-per-formula cache, and fuzzing (hypothesis) for escapes, crashes and agreement
with an independent NumPy evaluation."""

from __future__ import annotations

import builtins
import math
import os
import subprocess
from contextlib import ExitStack
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscapes import analytic
from landscapes.formula import (
    FORMULA_CACHE_SIZE, MAX_LENGTH, FormulaError, clear_formula_cache, compile_formula, formula_cache_info,
    formula_landscape, nonfinite_fraction, nonfinite_mask, nonfinite_warning, parse_formula, validate_domain,
    validate_formula, validate_start,
)

FUZZ = dict(deadline=1000, database=None, derandomize=True, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])


def value(text, x, y):
    return float(parse_formula(text)(x, y))


# ---- what is accepted, and what it means ----------------------------------------------------------

@pytest.mark.parametrize("text, x, y, expected", [
    ("x**2 + 10*sin(y)", 0.5, 0.3, 0.25 + 10 * math.sin(0.3)),
    ("(1-x)^2 + 100*(y-x^2)^2", 0.5, 0.3, 0.25 + 100 * 0.05**2),
    ("log(1 + x^2 + 5*y^2)", 0.5, 0.3, math.log(1 + 0.25 + 0.45)),
    ("f(x, y) = x^2 + y^2", 0.5, 0.3, 0.34),
    ("sigmoid(x) + relu(y - 1) + softplus(x) + min(x, y) * max(x, 1) + tanh(y) + abs(-x) + sqrt(x) + exp(y) + tan(x) + cos(y)",
     0.5, 0.3, 1 / (1 + math.exp(-0.5)) + 0 + math.log1p(math.exp(0.5)) + 0.3 * 1 + math.tanh(0.3) + 0.5 + math.sqrt(0.5)
     + math.exp(0.3) + math.tan(0.5) + math.cos(0.3)),
    ("pi * e * x", 2.0, 0.0, 2 * math.pi * math.e),
    ("+x - -y", 1.0, 2.0, 3.0),
    ("x ** (1/2) + y ** -2", 4.0, 2.0, 2.25),
    ("2^10 * x", 1.0, 0.0, 1024.0),
    ("1e-3 * x + 1_000 * y + 0.5", 1.0, 1.0, 1000.501),
])
def test_accepted_formulas_mean_what_they_say(text, x, y, expected):
    assert value(text, x, y) == pytest.approx(expected, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("text, expected", [
    ("-x^2", -4.0),            # -(x^2), as on a slide
    ("2^3^2", 512.0),          # right-associative: 2^(3^2)
    ("x^2 + 1", 5.0),          # ^ binds tighter than + (Python's own ^ would not)
    ("x - y - 1", 0.0),        # left-associative: (x - y) - 1
    ("x / y / 2", 1.0),
    ("x^-1", 0.5),
])
def test_caret_is_power_with_the_usual_precedence(text, expected):
    assert value(text, 2.0, 1.0) == expected


def test_the_function_works_on_arrays_and_under_jit_grad_and_vmap():
    parsed = parse_formula("(1-x)^2 + 100*(y-x^2)^2")
    xs, ys = np.linspace(-2, 2, 7), np.linspace(-1, 3, 7)
    np.testing.assert_allclose(parsed(xs, ys), (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2, rtol=1e-14)
    assert parsed(1.0, np.zeros(3)).shape == (3,)
    assert parse_formula("3")(np.zeros((2, 2)), 0.0).shape == (2, 2)
    f = lambda t: parsed.function(t[0], t[1])
    np.testing.assert_allclose(jax.jit(jax.grad(f))(jnp.array([0.0, 0.0])), [-2.0, 0.0], atol=1e-14)
    np.testing.assert_allclose(jax.hessian(f)(jnp.array([1.0, 1.0])), [[802.0, -400.0], [-400.0, 200.0]], rtol=1e-13)
    assert jax.vmap(f)(jnp.ones((5, 2))).shape == (5,)


def test_integer_exponents_are_exact_for_negative_bases_and_smooth_at_zero():
    parsed = parse_formula("x^3 + y^2.0")
    assert float(parsed(-2.0, -3.0)) == -8.0 + 9.0
    grad = jax.grad(lambda t: parsed.function(t[0], t[1]))(jnp.zeros(2))
    assert np.all(np.isfinite(grad))


def test_the_normalised_text_is_the_same_for_every_spelling():
    spellings = ["x^2+y^2", "x**2 + y**2", "f(x,y) = x ** 2 + y ** 2", "  x^2.0 +  y^2  ", "x**2.0+y**2e0"]
    assert {parse_formula(s).text for s in spellings} == {"x ** 2 + y ** 2"}
    assert parse_formula("1e3*x").text == parse_formula("1000*x").text


# ---- every rejection: one exception class, what and where -----------------------------------------

@pytest.mark.parametrize("text, message, column", [
    ("x+os", "unknown name 'os' at column 3", 3),
    ("2**x", "exponent must be a constant number", 4),
    ("x" * 412, "too long: 412 > 300 characters", None),
    ("x**11", "exponent 11 at column 4 is too large", 4),
    ("x**1e308", "too large", 4),
    ("(x+1)^-11", "exponent -11 at column 7 is too large", 7),
    ("1000001*x", "integer 1000001 at column 1 is too large", 1),
    ("1e7*x", "number 1e+07 at column 1 is too large", 1),
    ("9**9**9**9", "is too large", 4),
    ("x*9**9**9**9", "is too large", 6),
    ("(-8)**(1/3)", "negative number to a fractional power", None),
    ("0**-1", "0 to a negative power", None),
    ("x.real", "attribute access ('.real') at column 2", 3),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access ('.__class__') at column 3", 4),
    ("__import__('os').system('id')", "unknown name '__import__' at column 1", 1),
    ("lambda: 0", "'lambda' at column 1 is not allowed", 1),
    ("(x for x in y)", "'for' at column 4 is not allowed", 4),
    ("[x for x in y]", "'for' at column 4", 4),
    ("[x]", "character '[' at column 1", 1),
    ("f'{x}'", "a string (f'...) at column 1 is not allowed", 1),
    ("'x'", "character ''' at column 1", 1),
    ("x[0]", "character '[' at column 2", 2),
    ("(y := 2)", "character ':' at column 4", 4),
    ("x if y else 1", "'if' at column 3", 3),
    ("x, y", "a tuple", 1),
    ("x % 2", "the modulo operator is not allowed", 3),
    ("x == y", "character '=' at column 3", 3),
    ("2x", "multiplication needs '*': write 2*x", 1),
    ("2(x+1)", "multiplication needs '*'", 1),
    ("x(y)", "'x' at column 1 is not a function", 1),
    ("sin(x, y)", "sin() at column 1 takes 1 argument, got 2", 1),
    ("max(x)", "max() at column 1 takes 2 arguments, got 1", 1),
    ("sin + 1", "'sin' at column 1 is a function", 1),
    ("ln(x)", "unknown name 'ln' at column 1 (write log)", 1),
    ("x × y", "'×' (U+00D7 MULTIPLICATION SIGN) at column 3", 3),
    ("x − y", "did you mean -?", 3),
    ("x²", "did you mean ^2?", 2),
    ("\u0445 + y", "CYRILLIC SMALL LETTER HA", 1),
    ("x\x00", "NUL byte (U+0000) at column 2", 2),
    ("x\x07", "control character U+0007", 2),
    ("sin(x", "'(' at column 4 is never closed", 4),
    ("x)", "unmatched ')' at column 2", 2),
    ("x^^2", "syntax error at column 3", 3),
    ("", "the formula is empty", None),
    ("1j*x", "complex numbers", 1),
    ("...", "is not a number", 1),
    ("True", "'True' at column 1 is not allowed", 1),
    ("1e999", "too large", 1),
    ("(" * 21 + "x" + ")" * 21, "nested too deeply: more than 20 levels of parentheses at column 21", 21),
    ("-" * 21 + "x", "nested too deeply", None),
    ("+".join(["x"] * 101), "too complex: more than 200 parts", None),
])
def test_rejections_say_what_and_where(text, message, column):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)
    if column is not None:
        assert caught.value.column == column
    assert caught.value.field == "formula"
    assert validate_formula(text) == str(caught.value)


def test_non_text_input_is_a_formula_error():
    for thing in (None, b"x^2", 3, ["x"]):
        with pytest.raises(FormulaError, match="must be text"):
            parse_formula(thing)


def test_the_bounds_are_inclusive():
    assert parse_formula("x +" + " " * (MAX_LENGTH - 4) + "y").text == "x + y"  # exactly 300 characters
    with pytest.raises(FormulaError, match="too long: 301 > 300"):
        parse_formula("x +" + " " * (MAX_LENGTH - 3) + "y")
    assert parse_formula("x**10 + x**-10 + y**(-10)")
    assert parse_formula("1000000*x")
    assert parse_formula("(" * 20 + "x" + ")" * 20)
    assert parse_formula("-" * 19 + "x").nesting == 20
    assert parse_formula("+".join(["x"] * 100)).n_nodes == 199
    assert parse_formula("+".join(["x"] * 100)).nesting == 2  # a long sum is one chain, not 100 levels
    assert parse_formula("2^100 * x")  # a constant power may be large if it is finite


def test_a_huge_input_is_rejected_on_length_before_any_parsing():
    with mock.patch("ast.parse", side_effect=AssertionError("parsed")):
        for huge in ("x" * 10**5, "(" * 10**5, "9**" * 30000 + "9", "\x00" * 10**5):
            with pytest.raises(FormulaError, match=f"too long: {len(huge)} > 300"):
                parse_formula(huge)


# ---- the landscape --------------------------------------------------------------------------------

def test_rosenbrock_typed_is_the_built_in_rosenbrock():
    typed = formula_landscape("(1-x)^2 + 100*(y-x^2)^2", x_range=(-2, 2), y_range=(-1, 3), start=(-1.5, 2.0))
    points = np.random.default_rng(1).uniform(-1.5, 1.5, (20, 2))
    exact = np.array([float(analytic.rosenbrock_surface(jnp.asarray(p), {})) for p in points])
    np.testing.assert_allclose(typed.loss(points), exact, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(typed.hessian([1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]], rtol=1e-12)
    assert typed.default_start == (-1.5, 2.0) and typed.domain == ((-2.0, 2.0), (-1.0, 3.0))
    (minimum,) = typed.minima()
    assert (minimum.x, minimum.y) == pytest.approx((1.0, 1.0), abs=1e-8)
    assert typed.title == "f(x, y) = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2"
    assert typed.settings["formula"] == "(1 - x) ** 2 + 100 * (y - x ** 2) ** 2"


def test_the_mean_over_samples_is_the_formula_and_minibatches_are_noisy():
    landscape = formula_landscape("x^2 + 3*y^2 + sin(x*y)", noise=0.5, n_samples=32)
    theta = np.array([0.7, -0.4])
    per_sample = np.asarray(landscape.per_sample_losses(theta))
    assert per_sample.shape == (32,) and np.std(per_sample) > 0.05
    assert per_sample.mean() == pytest.approx(0.49 + 0.48 + math.sin(-0.28), abs=1e-12)
    full = landscape.gradient(theta)
    batch = np.asarray(landscape.minibatch_gradient(theta, np.arange(4)))
    assert np.linalg.norm(batch - full) > 0.05
    np.testing.assert_allclose(np.asarray(landscape.samples).mean(axis=0), 0.0, atol=1e-15)


def test_himmelblau_typed_has_its_nine_critical_points_classified():
    landscape = formula_landscape("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (-5, 5), (-5, 5), start=(-0.5, 0.5))
    kinds = sorted(p.kind for p in landscape.critical_points)
    assert kinds == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    assert any(abs(p.x - 3) < 1e-6 and abs(p.y - 2) < 1e-6 and p.kind == "minimum" for p in landscape.critical_points)


def test_a_saddle_formula_has_its_saddle():
    (point,) = formula_landscape("x^2 - y^2", (-2, 2), (-2, 2), start=(-1.8, 0.02)).critical_points
    assert point.kind == "saddle" and abs(point.x) < 1e-9 and abs(point.y) < 1e-9


def test_automatic_noise_and_contour_scale_follow_the_surface():
    steep = formula_landscape("(1-x)^2 + 100*(y-x^2)^2", (-2, 2), (-1, 3), start=(-1.5, 2.0))
    gentle = formula_landscape("0.01*(x^2 + y^2)", start=(2.0, 2.0))
    assert steep.settings["noise"] > 100 * gentle.settings["noise"] > 0
    assert steep.log_contours and not gentle.log_contours


def test_a_formula_that_is_not_finite_on_part_of_the_domain_is_reported():
    landscape = formula_landscape("log(x) + y^2", (-1, 2), (-1, 1), start=(1.0, 0.5))
    assert nonfinite_fraction(landscape) == pytest.approx(1 / 3, abs=0.01)
    mask = nonfinite_mask(landscape, 30)
    xs, _, _ = landscape.grid(30)
    assert mask.shape == (30, 30) and np.all(mask[:, xs <= 0]) and not np.any(mask[:, xs > 0])
    assert "not finite on 33 % of the domain" in nonfinite_warning(landscape)
    finite = formula_landscape("x^2 + y^2")
    assert nonfinite_fraction(finite) == 0.0 and nonfinite_warning(finite) is None


@pytest.mark.parametrize("text, kwargs, field, message", [
    ("log(-1 - x^2)", {}, "formula", "not finite anywhere in the domain"),
    ("1/0", {}, "formula", "not finite anywhere"),
    ("log(x)", {"x_range": (-1, 1), "start": (-0.5, 0.0)}, "start", "not finite at the start (-0.5, 0)"),
    ("x^2", {"x_range": (1, 0)}, "x_range", "x_min must be less than x_max (got 1 and 0)"),
    ("x^2", {"y_range": (0, float("nan"))}, "y_range", "must be finite numbers"),
    ("x^2", {"x_range": (0, float("inf"))}, "x_range", "must be finite numbers"),
    ("x^2", {"x_range": "ab"}, "x_range", "must be two numbers"),
    ("x^2", {"x_range": (1, 2, 3)}, "x_range", "must be two numbers, got 3"),
    ("x^2", {"y_range": (0, 1e-5)}, "y_range", "too narrow"),
    ("x^2", {"x_range": (-1e5, 1e5)}, "x_range", "within ±10000"),
    ("x^2", {"x_range": (1000, 1001), "y_range": (0, 1)}, "x_range", "too far from 0"),
    ("x^2", {"start": (9, 9)}, "start", "the start (9, 9) is outside the domain [-3, 3] × [-3, 3]"),
    ("x^2", {"start": (0, float("nan"))}, "start", "finite"),
    ("x^2", {"noise": -1}, "noise", "noise"),
    ("x^2", {"n_samples": 0}, "n_samples", "between 1 and 4096"),
    ("x + os", {}, "formula", "unknown name 'os' at column 5"),
])
def test_domain_start_and_settings_are_checked_with_clear_messages(text, kwargs, field, message):
    with pytest.raises(FormulaError) as caught:
        formula_landscape(text, **kwargs)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_validate_domain_and_start_return_floats():
    domain = validate_domain([-1, 2], (0, 3))
    assert domain == ((-1.0, 2.0), (0.0, 3.0))
    assert validate_start([2, 0], domain) == (2.0, 0.0)


# ---- one function object per formula (the engine compiles per sample_loss) ------------------------

def test_the_same_formula_returns_the_same_function_and_landscape():
    a = formula_landscape("x^2 + 4*y^2", (-2, 2), (-2, 2), start=(1.5, 1.5))
    b = formula_landscape("f(x, y) = x**2 + 4 * y**2", [-2, 2], [-2.0, 2.0], start=[1.5, 1.5])
    assert a is b
    other_domain = formula_landscape("x**2+4*y**2", (-3, 3), (-3, 3), start=(1.5, 1.5))
    other_noise = formula_landscape("x**2+4*y**2", (-2, 2), (-2, 2), start=(1.5, 1.5), noise=0.0)
    assert other_domain is not a and other_noise is not a
    assert other_domain.sample_loss is a.sample_loss is other_noise.sample_loss
    assert compile_formula("x^2+4*y^2").sample_loss is a.sample_loss
    assert formula_landscape("x^2 + 5*y^2", (-2, 2), (-2, 2), start=(1.5, 1.5)).sample_loss is not a.sample_loss
    assert a.sample_loss.__name__.startswith("formula_") and a.sample_loss.formula == "x ** 2 + 4 * y ** 2"


def test_the_formula_cache_is_a_bounded_lru():
    clear_formula_cache()
    first = compile_formula("x + 0")
    kept = compile_formula("y + 0")
    for i in range(1, FORMULA_CACHE_SIZE + 5):
        compile_formula(f"x + {i}")
        compile_formula("y + 0")  # used again and again: stays
        assert formula_cache_info()["size"] <= FORMULA_CACHE_SIZE
    info = formula_cache_info()
    assert info["size"] == FORMULA_CACHE_SIZE == 64
    assert "x + 0" not in info["formulas"] and compile_formula("x + 0") is not first
    assert compile_formula("y+0") is kept


def test_retyping_a_formula_compiles_nothing_new_in_the_engine_and_runs_stop_where_it_is_undefined():
    from optimizers import RunSettings, run_trajectories
    from optimizers.engine import TRACE_COUNTS

    text = "(x - 1)^2 + 2*(y + 0.5)^2 + log(x + 2.5)"  # undefined for x <= -2.5
    first = formula_landscape(text, noise=0.3, n_samples=16)
    runs = run_trajectories(first, "sgd", [[2.0, 2.0]], RunSettings(lr=0.01, n_steps=20, batch_size=8))
    assert not runs.diverged(0) and runs.losses(0)[-1] < runs.losses(0)[0]
    traces = sum(TRACE_COUNTS.values())
    again = formula_landscape("f(x,y) = (x-1)**2 + 2*(y+0.5)**2 + log(x+2.5)", noise=0.3, n_samples=16)
    assert again is first
    # from x = -2.4 the first step lands beyond x = -2.5: the run stops there, it does not walk on
    stopped = run_trajectories(again, "sgd", [[-2.4, 0.0]], RunSettings(lr=0.05, n_steps=20, batch_size=16))
    assert sum(TRACE_COUNTS.values()) == traces
    assert stopped.diverged(0) and stopped.valid_length(0) <= 2
    assert np.all(np.isnan(first.gradient([-2.6, 0.0]))) and np.all(np.isfinite(first.gradient([-2.4, 0.0])))


# ---- fuzzing -----------------------------------------------------------------------------------------

GRAMMAR_TOKENS = ["x", "y", "pi", "e", "(", ")", ",", "+", "-", "*", "/", "**", "^", " ", "0", "1", "2", "3", "0.5",
                  "10", "1e3", "1e6", "1000001", "1e308", "2.5e-3"] + [f"{name}(" for name in
                  ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "softplus", "min", "max")]
HOSTILE_TOKENS = ["__import__", "os", ".", "[", "]", "lambda", ":", "for", "in", "if", "else", "'", '"', "f'", "=", ":=",
                  "@", "%", "~", "<", "==", "j", "1j", "0x1f", "__class__", "__bases__", "__subclasses__", "system",
                  "eval", "exec", "open", "compile", "globals", "\x00", "×", "−", "²", "х", "π", "\n", "\t", "\\", "#",
                  ";", "{", "}", "...", "True", "None", "await", "yield", "not", "and", "9**9**9**9", "_", "sin", "X",
                  "\u200b", "\ufeff", "ｘ", "１", "print", "getattr", "()", "|", "&", "!", "$", "?", "`"]

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('id')",
    "__import__('os').system('touch {canary}')",
    "open('{canary}', 'w').write('x')",
    "exec(\"open('{canary}','w')\")",
    "eval('1+1')",
    "(lambda: __import__('os').system('id'))()",
    "lambda x: x",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "{{k: v for k, v in globals().items()}}",
    "(x for x in range(10**9))",
    "f'{{__import__(\"os\").system(\"id\")}}'",
    "x.__class__",
    "x[0]",
    "(y := 9**9)",
    "9**9**9**9",
    "x**1e308",
    "x**9**9**9**9",
    "2**2**2**2**2**2",
    "10**10**10",
    "1e308*1e308*x",
    "(" * 150 + "x" + ")" * 150,
    "(" * 300,
    "-" * 299 + "x",
    "x" * 10**5,
    "1+" * 50000 + "1",
    "\x00",
    "x\x00+y",
    "х + у",
    "ｘ＋ｙ",
    "x\u2212y",
    "sin\u200b(x)",
    "getattr(x, 'real')",
    "x if x else y",
    "not x or y",
    "x < y",
    "'a' * 10**9",
    "b'\\x00'",
    "...",
    "None",
    "print(1)",
    "sin(x)(y)",
    "sin.__globals__",
    "max(*[x, y])",
    "min(x, y=1)",
    "1_000_000_000_000",
    "0x" + "f" * 200,
    "9" * 299,
]


def _escapes(canary: str) -> list[str]:
    return [e.format(canary=canary) for e in ESCAPES]


class Canary:
    """Records any real compilation, execution, import, file opening or process start while active."""

    def __init__(self):
        self.calls: list[str] = []
        self.active = False

    def __enter__(self):
        self.stack = ExitStack()
        real_compile, real_import, real_open = builtins.compile, builtins.__import__, builtins.open

        def recorder(name, real):
            def record(*args, **kwargs):
                if self.active:
                    self.calls.append(f"{name}{args[:1]!r}")
                return real(*args, **kwargs)
            return record

        def compile_(source, filename, mode, flags=0, *args, **kwargs):
            if self.active and not flags & 0x400:  # ast.PyCF_ONLY_AST: a parse, not code
                self.calls.append(f"compile({source!r:.60})")
            return real_compile(source, filename, mode, flags, *args, **kwargs)

        for target, replacement in (
            ("builtins.compile", compile_), ("builtins.__import__", recorder("__import__", real_import)),
            ("builtins.open", recorder("open", real_open)), ("builtins.eval", recorder("eval", builtins.eval)),
            ("builtins.exec", recorder("exec", builtins.exec)), ("os.system", recorder("os.system", os.system)),
            ("subprocess.Popen", recorder("Popen", subprocess.Popen)), ("io.open", recorder("io.open", real_open)),
        ):
            self.stack.enter_context(mock.patch(target, replacement))
        return self

    def __exit__(self, *exc):
        self.stack.close()

    def parse(self, text):
        self.active = True
        try:
            return parse_formula(text)
        finally:
            self.active = False


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    parse_formula("sin(x) + 2*y^2")(0.5, 0.5)  # JAX's first dispatch imports lazily: not during the fuzz


def _soup(tokens, max_tokens):
    """Random token sequences, drawn from one seeded Random per example (cheap to generate)."""
    def make(random):
        return "".join(random.choice(tokens) for _ in range(random.randint(1, max_tokens)))
    return st.randoms(use_true_random=True).map(make)


def _random_formula(random, depth=0) -> str:
    """A random formula inside the grammar (spacing, ^ and ** vary), built with one seeded Random."""
    choice = random.random()
    if depth > 4 or choice < 0.3:
        return random.choice(["x", "y", "pi", "e", "0", "1", "2.5", "10", "1e-3", "1000000"])
    space = random.choice(["", " "])
    if choice < 0.55:
        return f"({_random_formula(random, depth + 1)}{space}{random.choice('+-*/')}{space}{_random_formula(random, depth + 1)})"
    if choice < 0.75:
        name = random.choice(["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "softplus"])
        return f"{name}({_random_formula(random, depth + 1)})"
    if choice < 0.85:
        return f"{random.choice(['min', 'max'])}({_random_formula(random, depth + 1)},{space}{_random_formula(random, depth + 1)})"
    if choice < 0.95:
        return f"({_random_formula(random, depth + 1)}){random.choice(['^', '**'])}{random.choice(['2', '-1', '0.5', '10', '3'])}"
    return f"-{_random_formula(random, depth + 1)}"


valid_formulas = st.randoms(use_true_random=True).map(_random_formula)
token_soup = _soup(GRAMMAR_TOKENS + HOSTILE_TOKENS, 60)
grammar_soup = _soup(GRAMMAR_TOKENS, 40)


def _check_one(canary: Canary, text: str, counts: dict, accepted: list | None = None):
    counts["examples"] += 1
    try:
        parsed = canary.parse(text)
    except FormulaError as error:
        assert str(error) and "Traceback" not in str(error)
        counts["rejected"] += 1
        return
    counts["accepted"] += 1
    if accepted is not None and len(accepted) < 250:
        accepted.append(parsed)


def test_fuzz_token_sequences_never_escape_the_parser(tmp_path):
    """Parse-only under the deadline; a few hundred accepted ones are then evaluated by JAX (outside
    the deadline: JAX compiles each new primitive on first use)."""
    canary_file = tmp_path / "canary"
    counts = dict(examples=0, rejected=0, accepted=0)
    accepted = []
    @settings(max_examples=5000, **FUZZ)
    @given(st.one_of(token_soup, grammar_soup, valid_formulas))
    def run(text):
        _check_one(canary, text, counts, accepted)

    with Canary() as canary:
        run()
    assert canary.calls == [] and not canary_file.exists()
    assert counts["examples"] >= 5000 and counts["rejected"] > 1000 and counts["accepted"] > 250
    with np.errstate(all="ignore"):
        for parsed in accepted:
            assert np.asarray(parsed(np.array([0.3, -1.7, 2.0]), np.array([-0.7, 0.4, 0.0]))).shape == (3,)
    assert len(accepted) == 250


def test_fuzz_arbitrary_unicode_text_never_escapes_the_parser():
    counts = dict(examples=0, rejected=0, accepted=0)

    @settings(max_examples=3000, **FUZZ)
    @given(st.one_of(st.text(max_size=400), st.text(alphabet=st.characters(max_codepoint=127), max_size=80)))
    def run(text):
        _check_one(canary, text, counts)

    with Canary() as canary:
        run()
    assert canary.calls == []
    assert counts["examples"] >= 3000 and counts["rejected"] > 2000


def test_fuzz_known_escapes_alone_and_spliced_into_valid_formulas(tmp_path):
    canary_file = tmp_path / "canary"
    escapes = _escapes(str(canary_file))
    counts = dict(examples=0, rejected=0, accepted=0)
    with Canary() as canary:
        for text in escapes:  # every one at least once, whatever hypothesis draws
            with pytest.raises(FormulaError):
                canary.parse(text)

        @settings(max_examples=2500, **FUZZ)
        @given(st.sampled_from(escapes), st.sampled_from(["x^2 + y^2", "(1-x)^2 + 100*(y-x^2)^2", "sin(x)*y", ""]),
               st.integers(0, 30), st.sampled_from(["", " ", "(", ")", "+", "*", ",", "**"]))
        def run(escape, formula, position, glue):
            position = min(position, len(formula))
            text = formula[:position] + glue + escape + glue + formula[position:]
            _check_one(canary, text, counts)
            assert not canary_file.exists()

        run()
    assert canary.calls == [] and not canary_file.exists()
    assert counts["examples"] >= 2500 and counts["accepted"] == 0


# ---- accepted formulas agree with an independent NumPy evaluation ----------------------------------

UNIT = 2.0**-53
TINY = np.finfo(float).tiny


def _sigmoid(a):
    return np.where(a >= 0, 1 / (1 + np.exp(-np.abs(a))), np.exp(-np.abs(a)) / (1 + np.exp(-np.abs(a))))


# name -> (numpy function, its derivative), for the value and a first-order rounding-error bound
NUMPY_FUNCTIONS = {
    "sin": (np.sin, np.cos), "cos": (np.cos, lambda a: -np.sin(a)), "tan": (np.tan, lambda a: 1 + np.tan(a) ** 2),
    "exp": (np.exp, np.exp), "log": (np.log, lambda a: 1 / a), "sqrt": (np.sqrt, lambda a: 0.5 / np.sqrt(a)),
    "abs": (np.abs, lambda a: np.ones_like(a)), "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "sigmoid": (_sigmoid, lambda a: _sigmoid(a) * (1 - _sigmoid(a))),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "softplus": (lambda a: np.logaddexp(a, 0.0), _sigmoid),
}


def numpy_evaluate(tree, x, y):
    """(value, error bound) of an expression tree in NumPy, written independently of the parser.

    The bound is a first-order estimate of how far two correct float64 evaluations may differ
    (a few ulps per operation, propagated through each operation's derivative); it is infinite where
    the comparison is meaningless (a singularity, a domain edge within rounding, subnormal numbers)."""
    kind = tree[0]
    if kind == "num":
        return np.full_like(x, tree[1]), np.zeros_like(x)
    if kind == "var":
        return (x if tree[1] == "x" else y).copy(), np.zeros_like(x)
    if kind == "const":
        return np.full_like(x, {"pi": np.pi, "e": np.e}[tree[1]]), np.zeros_like(x)
    if kind == "neg":
        v, b = numpy_evaluate(tree[1], x, y)
        return -v, b
    if kind == "pos":
        return numpy_evaluate(tree[1], x, y)
    if kind in "+-*/":
        a, ba = numpy_evaluate(tree[1], x, y)
        c, bc = numpy_evaluate(tree[2], x, y)
        if kind == "+":
            v, b = a + c, ba + bc
        elif kind == "-":
            v, b = a - c, ba + bc
        elif kind == "*":
            v, b = a * c, np.abs(a) * bc + np.abs(c) * ba
        else:
            v = a / c
            b = np.where(np.abs(c) <= bc, np.inf, (ba + np.abs(v) * bc) / np.abs(c))
        return v, _finish(v, b + UNIT * np.abs(v), np.maximum(ba, bc))
    if kind == "pow":
        a, ba = numpy_evaluate(tree[1], x, y)
        p = tree[2]
        v = a**p
        slope = np.abs(p * a ** (p - 1)) if p != 0 else np.zeros_like(a)
        b = slope * ba + (abs(p) + 4) * UNIT * np.abs(v)
        b = np.where((np.abs(a) <= ba) & (p < 1), np.inf, b)  # at a singularity or branch point within rounding
        return v, _finish(v, b, ba)
    if kind in ("min", "max"):
        a, ba = numpy_evaluate(tree[1], x, y)
        c, bc = numpy_evaluate(tree[2], x, y)
        return (np.minimum if kind == "min" else np.maximum)(a, c), np.maximum(ba, bc)
    function, derivative = NUMPY_FUNCTIONS[kind]
    a, ba = numpy_evaluate(tree[1], x, y)
    v = function(a)
    b = np.abs(derivative(a)) * ba + 4 * UNIT * np.abs(v)
    if kind in ("log", "sqrt"):
        b = np.where(np.abs(a) <= ba, np.inf, b)  # at the edge of the domain within rounding
    return v, _finish(v, b, ba)


def _finish(v, b, inputs):
    """A NaN result is compared as NaN when its inputs were well-determined; a subnormal or
    overflowing result, or an infinite bound, is not compared."""
    b = np.where(np.isnan(v), inputs, b)
    subnormal = (v != 0) & (np.abs(v) < TINY)
    return np.where(subnormal | ~(np.isfinite(b)) | (np.isinf(v) & (inputs > 0)), np.inf, b)


def render(tree, draw_space) -> str:
    """The tree as formula text: every operation parenthesised, with random spacing and ^ or **."""
    kind = tree[0]
    s = draw_space
    if kind == "num":
        return repr(tree[1]) if not float(tree[1]).is_integer() else str(int(tree[1]))
    if kind in ("var", "const"):
        return tree[1]
    if kind == "neg":
        return f"(-{s()}{render(tree[1], s)})"
    if kind == "pos":
        return f"(+{render(tree[1], s)})"
    if kind in "+-*/":
        return f"({render(tree[1], s)}{s()}{kind}{s()}{render(tree[2], s)})"
    if kind == "pow":
        p = tree[2]
        exponent = str(int(p)) if float(p).is_integer() else repr(p)
        caret = "^" if tree[3] else "**"
        return f"({render(tree[1], s)}{s()}{caret}{s()}{exponent})"
    if kind in ("min", "max"):
        return f"{kind}({render(tree[1], s)},{s()}{render(tree[2], s)})"
    return f"{kind}({s()}{render(tree[1], s)}{s()})"


leaves = st.one_of(
    st.tuples(st.just("var"), st.sampled_from(["x", "y"])),
    st.tuples(st.just("const"), st.sampled_from(["pi", "e"])),
    st.tuples(st.just("num"), st.one_of(st.integers(0, 1000).map(float),
                                        st.floats(0, 10, allow_nan=False).map(lambda v: float(f"{v:.6g}")))),
)


def _branches(children):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.tuples(st.sampled_from(["neg", "pos"]), children),
        st.tuples(st.sampled_from(list(NUMPY_FUNCTIONS)), children),
        st.tuples(st.sampled_from(["min", "max"]), children, children),
        st.tuples(st.just("pow"), children, st.sampled_from([0, 1, 2, 3, 4, -1, -2, 0.5, 1.5, 10, -10]), st.booleans()),
    )


expressions = st.recursive(leaves, _branches, max_leaves=10)
POINTS = np.random.default_rng(16).uniform(-2, 2, size=(2, 16))
BOUND_REASONS = ("nested too deeply", "too complex", "too long", "constant", "0 to a negative power",
                 "negative number to a fractional power")


def test_fuzz_accepted_formulas_agree_with_numpy_to_1e_12():
    counts = dict(examples=0, strict=0, relaxed=0, skipped=0, bounded=0)

    @settings(max_examples=300, **{**FUZZ, "deadline": None})  # JAX compiles new primitives here: not timed
    @given(expressions, st.randoms(use_true_random=False))
    def run(tree, random):
        text = render(tree, lambda: random.choice(["", "", " ", "  "]))
        if len(text) > MAX_LENGTH:
            return
        try:
            parsed = parse_formula(text)
        except FormulaError as error:  # bounds, or a constant power that is not a finite real number
            assert any(reason in str(error) for reason in BOUND_REASONS), (text, str(error))
            counts["bounded"] += 1
            return
        counts["examples"] += 1
        x, y = POINTS
        with np.errstate(all="ignore"):
            expected, bound = numpy_evaluate(tree, x, y)
            got = np.asarray(parsed(x, y))
        for g, e, b in zip(got, expected, bound):
            if not np.isfinite(b):
                counts["skipped"] += 1
                continue
            if not (np.isfinite(e) and np.isfinite(g)):
                assert (np.isnan(g) and np.isnan(e)) or g == e, (text, g, e)
                counts["strict"] += 1
                continue
            strict = 1e-12 * max(1.0, abs(e))
            assert abs(g - e) <= max(strict, 16 * b), (text, g, e, b)
            counts["strict" if 16 * b <= strict else "relaxed"] += 1

    run()
    compared = counts["strict"] + counts["relaxed"]
    assert counts["examples"] >= 250
    assert counts["strict"] > 0.8 * compared and compared > 0.8 * 16 * counts["examples"]
