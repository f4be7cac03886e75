"""A landscape from a typed formula f(x, y), parsed safely and compiled to ``jax.numpy``.

    >>> from landscapes.formula import formula_landscape, parse_formula, FormulaError
    >>> valley = formula_landscape("(1-x)^2 + 100*(y-x^2)^2", x_range=(-2, 2), y_range=(-1, 3))
    >>> valley.loss([1.0, 1.0]), [p.kind for p in valley.critical_points]

**What a formula may contain** (anything else is rejected with a :class:`FormulaError`):
numbers, ``x``, ``y``, ``+ - * / **`` and ``^`` (read as power, as on a slide: ``x^2`` is ``x**2``,
``-x^2`` is ``-(x^2)``, ``2^3^2`` is ``2^(3^2)``), unary minus and plus, parentheses, the functions
sin, cos, tan, exp, log (natural), sqrt, abs, tanh, sigmoid, relu, softplus (one argument each), min
and max (two arguments), and the constants pi and e.

**How it is read, never executed.** The text goes through these checks, in this order, each raising
``FormulaError`` with what was wrong and where (columns count from 1 in the text as typed):

1. length ≤ 300 characters (checked first, so a 10⁵-character paste costs nothing);
2. characters: ASCII only (unicode look-alikes such as ``×``, ``−``, ``²`` or a Cyrillic ``х`` are
   named and the ASCII character suggested), no NUL or other control characters;
3. names: every identifier is ``x``, ``y``, ``pi``, ``e`` or a listed function; keywords (``lambda``,
   ``for``, ``import``...), attribute access and unknown names are rejected before parsing; then no
   ASCII character that is not part of the grammar (quotes, brackets, ``=``, ``:``, ``%``...);
4. parentheses nested ≤ 20 deep;
5. ``ast.parse(..., mode="eval")`` (a parser only: it builds a tree and runs nothing), then a walk
   over the tree that accepts only the node types above, ≤ 200 nodes, nesting ≤ 20 levels (a chain
   of ``+``/``-`` or of ``*``/``/`` counts as one level, so a long sum is not "deep"), number
   literals ≤ 10⁶ in size, exponents that are constant expressions, with ``|p| ≤ 10`` when the base
   involves x or y. Constant exponents and constant powers are folded in Python floats with every
   operation guarded (``9**9**9**9`` is reported as too large; no big integer is ever computed).

The accepted tree is then turned into nested closures over ``jax.numpy`` functions (no source code
is generated, nothing is passed to ``eval``/``exec``/``compile``).

**One function object per formula.** The trajectory engine compiles one XLA program per
(``sample_loss`` function object, optimizer, step bucket), and a CPU process dies at about 230
compiled programs (issue 11). So :func:`compile_formula` keeps the compiled formula of each
*normalised* formula text (``ParsedFormula.text``: ``x^2``, ``x**2`` and ``x ** 2`` are one formula)
in a bounded LRU of :data:`FORMULA_CACHE_SIZE` = 64 entries: the same formula typed twice returns the
very same ``sample_loss`` (and, for the same domain and settings, the same :class:`Landscape`), so
nothing is compiled twice. Evicting an entry drops our references; the compiled programs that JAX's
own caches hold for it are governed by the engine's bound (issue 11), not by this module.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import keyword
import math
import operator
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import Landscape, zero_mean_perturbations
from landscapes.critical_points import complete_critical_points

MAX_LENGTH = 300
MAX_NODES = 200
MAX_NESTING = 20
MAX_EXPONENT = 10
MAX_NUMBER = 1_000_000
FORMULA_CACHE_SIZE = 64
LANDSCAPES_PER_FORMULA = 8

#: Domain checks: each bound within +-MAX_DOMAIN_BOUND, each width at least MIN_DOMAIN_WIDTH, and the
#: domain not so far from the origin that the engine's divergence box (|theta_i| < 1000 x the domain
#: size) would stop every run at once.
MAX_DOMAIN_BOUND = 1e4
MIN_DOMAIN_WIDTH = 1e-3
MAX_OFFSET_OVER_WIDTH = 100.0

DEFAULT_SAMPLES = 64
DEFAULT_RANGE = (-3.0, 3.0)

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}

#: name -> (number of arguments, jax.numpy function, the same in Python floats for constant exponents)
FUNCTIONS: dict[str, tuple[int, Callable, Callable]] = {
    "sin": (1, jnp.sin, math.sin),
    "cos": (1, jnp.cos, math.cos),
    "tan": (1, jnp.tan, math.tan),
    "exp": (1, jnp.exp, math.exp),
    "log": (1, jnp.log, math.log),
    "sqrt": (1, jnp.sqrt, math.sqrt),
    "abs": (1, jnp.abs, abs),
    "tanh": (1, jnp.tanh, math.tanh),
    "sigmoid": (1, jax.nn.sigmoid, lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))),
    "relu": (1, jax.nn.relu, lambda z: max(z, 0.0)),
    "softplus": (1, jax.nn.softplus, lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z)))),
    "min": (2, jnp.minimum, min),
    "max": (2, jnp.maximum, max),
}

ALLOWED_SUMMARY = (
    "numbers, x, y, + - * / ** ^, parentheses, " + ", ".join(FUNCTIONS) + ", pi and e"
)

#: Names people type from other tools, with what to write here.
NAME_HINTS = {
    "ln": "log", "log10": "log(...)/log(10)", "log2": "log(...)/log(2)", "pow": "a ** b", "power": "a ** b",
    "arcsin": None, "asin": None, "acos": None, "atan": None, "sinh": "(exp(z) - exp(-z))/2",
    "cosh": "(exp(z) + exp(-z))/2", "sign": None, "exp2": "2 ** z (constant exponents only)",
    "PI": "pi", "Pi": "pi", "E": "e", "X": "x", "Y": "y", "ReLU": "relu", "Sigmoid": "sigmoid",
    "sqr": "z ** 2", "square": "z ** 2", "maximum": "max", "minimum": "min", "fabs": "abs",
}

#: Characters that are not part of the grammar, with a short reason.
CHARACTER_HINTS = {
    "'": "text in quotes is not part of a formula", '"': "text in quotes is not part of a formula",
    "[": "use parentheses ( ) for grouping", "]": "use parentheses ( ) for grouping",
    "{": "use parentheses ( ) for grouping", "}": "use parentheses ( ) for grouping",
    "=": "write only the right-hand side of f(x, y) = ...", ":": "not part of a formula",
    ";": "a formula is one expression", "%": "the modulo operator is not allowed",
    "@": "the matrix product is not allowed", "&": "bitwise operators are not allowed",
    "|": "bitwise operators are not allowed; use abs(...) for |z|", "~": "bitwise operators are not allowed",
    "<": "comparisons are not allowed", ">": "comparisons are not allowed", "!": "not part of a formula",
    "#": "comments are not allowed", "\\": "not part of a formula", "$": "not part of a formula",
    "?": "not part of a formula", "`": "not part of a formula",
}

#: Unicode characters that look like ASCII formula characters.
LOOKALIKES = {
    "×": "*", "·": "*", "⋅": "*", "∙": "*", "∗": "*", "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-",
    "÷": "/", "∕": "/", "²": "^2", "³": "^3", "¹": "^1", "⁴": "^4", "π": "pi", "√": "sqrt(...)",
    "х": "x", "Х": "x", "у": "y", "У": "y", "е": "e", "с": "c", "о": "o", "а": "a", "ѕ": "s", "і": "i",
    "\u00a0": "a plain space", "\u2009": "a plain space", "\u200b": "nothing (a zero-width space)",
    "\ufeff": "nothing (a byte-order mark)", "‘": "nothing", "’": "nothing", "“": "nothing", "”": "nothing",
}

ALLOWED_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ +-*/^().,")

_NUMBER = re.compile(r"0[xXoObB][0-9a-fA-F_]*|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_PREFIXES = {"f", "b", "r", "u", "rb", "br", "fr", "rf"}
_PREFIX = re.compile(r"\s*f\s*\(\s*x\s*,\s*y\s*\)\s*=(?!=)")
_IMPLICIT_PRODUCT = re.compile(r"(?<![A-Za-z_\d.])\d+(?:\.\d*)?(?=[A-Za-z_(])(?![eE][+-]?\d)")

#: Node types of an accepted tree. Anything else is named in the message.
_NODE_DESCRIPTIONS = {
    "Attribute": "attribute access (a.b)", "Subscript": "indexing with [ ]", "Lambda": "lambda",
    "ListComp": "a list comprehension", "SetComp": "a set comprehension", "DictComp": "a dict comprehension",
    "GeneratorExp": "a generator expression (for ... in ...)", "IfExp": "a conditional (if ... else ...)",
    "Compare": "a comparison", "BoolOp": "and/or", "NamedExpr": "assignment (:=)", "Await": "await",
    "Yield": "yield", "YieldFrom": "yield from", "JoinedStr": "an f-string", "FormattedValue": "an f-string",
    "Tuple": "a tuple (a comma outside a function call)", "List": "a list", "Set": "a set", "Dict": "a dict",
    "Starred": "unpacking with *", "Slice": "a slice",
}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
#: The same operations in jax.numpy: they never raise (1/0 is inf) whatever their operands' types.
_JNP_BINARY = {ast.Add: jnp.add, ast.Sub: jnp.subtract, ast.Mult: jnp.multiply, ast.Div: jnp.divide}
_BINARY_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CHAIN_GROUP = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}


class FormulaError(ValueError):
    """Why a formula, a domain or a start was not accepted.

    ``column`` is the 1-based column in the text as typed (None when the problem has no place),
    ``field`` says which input it is about: "formula", "x_range", "y_range" or "start".
    """

    def __init__(self, message: str, column: int | None = None, field: str = "formula"):
        super().__init__(message)
        self.message = message
        self.column = column
        self.field = field


@dataclass(frozen=True, eq=False)
class ParsedFormula:
    """An accepted formula: its normalised text and f(x, y) as a ``jax.numpy`` function.

    ``text`` is the canonical spelling (``**`` for powers, Python's spacing and minimal parentheses):
    the cache key, and what to put in a link. ``function(x, y)`` works elementwise on arrays and
    scalars and can be traced, differentiated and vmapped by JAX.
    """

    text: str
    original: str
    function: Callable
    n_nodes: int
    nesting: int

    def __call__(self, x, y):
        x = jnp.asarray(x, dtype=jnp.float64)
        y = jnp.asarray(y, dtype=jnp.float64)
        value = jnp.asarray(self.function(x, y), dtype=jnp.float64)
        return jnp.broadcast_to(value, jnp.broadcast_shapes(x.shape, y.shape))


# ---- step 1-4: the text -------------------------------------------------------------------------

def _describe_character(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    return f"{code} {name}".strip()


def _check_characters(text: str, columns: list[int], printable_ascii: bool) -> None:
    """First pass (``printable_ascii=False``): NUL, control characters and anything not ASCII.
    Second pass (after the names): printable ASCII characters that are not part of the grammar."""
    for i, ch in enumerate(text):
        if ch in ALLOWED_CHARACTERS:
            continue
        column = columns[i]
        if not printable_ascii:
            if ch == "\x00":
                raise FormulaError(f"NUL byte (U+0000) at column {column} is not allowed", column)
            if ord(ch) > 127:
                suggestion = LOOKALIKES.get(ch)
                if suggestion is None:
                    folded = unicodedata.normalize("NFKC", ch)
                    suggestion = folded if folded.isascii() and folded.isprintable() and folded else None
                hint = f"; did you mean {suggestion}?" if suggestion else ""
                raise FormulaError(
                    f"character '{ch}' ({_describe_character(ch)}) at column {column} is not allowed: "
                    f"formulas use plain ASCII{hint}", column)
            if not ch.isprintable():
                raise FormulaError(f"control character {_describe_character(ch)} at column {column} is not allowed", column)
        else:
            reason = CHARACTER_HINTS.get(ch, "not part of a formula")
            raise FormulaError(f"character '{ch}' at column {column} is not allowed: {reason}", column)


def _check_names(text: str, columns: list[int]) -> None:
    """Every identifier must be x, y, pi, e or a listed function (checked before parsing)."""
    i = 0
    while i < len(text):
        number = _NUMBER.match(text, i) if text[i].isdigit() or (text[i] == "." and text[i + 1 : i + 2].isdigit()) else None
        if number:
            i = number.end()
            continue
        name = _NAME.match(text, i)
        if not name:
            i += 1
            continue
        word, column = name.group(), columns[i]
        previous = text[:i].rstrip()[-1:] if text[:i].rstrip() else ""
        i = name.end()
        if text[i : i + 1] in ("'", '"') and word.lower() in _STRING_PREFIXES:
            raise FormulaError(f"a string ({word}{text[i]}...) at column {column} is not allowed: text in quotes is not "
                               "part of a formula", column)
        if previous == ".":
            raise FormulaError(f"attribute access ('.{word}') at column {columns[text.rindex('.', 0, name.start())]} is not allowed", column)
        if word in VARIABLES or word in CONSTANTS or word in FUNCTIONS:
            continue
        if keyword.iskeyword(word) or keyword.issoftkeyword(word) or word in ("True", "False", "None"):
            raise FormulaError(f"'{word}' at column {column} is not allowed: a formula uses only {ALLOWED_SUMMARY}", column)
        hint = NAME_HINTS.get(word, "")
        if word in NAME_HINTS and hint is None:
            hint_text = " (that function is not available)"
        elif hint:
            hint_text = f" (write {hint})"
        else:
            close = difflib.get_close_matches(word, [*VARIABLES, *CONSTANTS, *FUNCTIONS], n=1, cutoff=0.75)
            hint_text = f" (did you mean {close[0]}?)" if close else ""
        raise FormulaError(f"unknown name '{word}' at column {column}{hint_text}; allowed: {ALLOWED_SUMMARY}", column)


def _check_parentheses(text: str, columns: list[int]) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise FormulaError(
                    f"nested too deeply: more than {MAX_NESTING} levels of parentheses at column {columns[i]}", columns[i])
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise FormulaError(f"unmatched ')' at column {columns[i]}", columns[i])
    if depth > 0:
        opening = [i for i, ch in enumerate(text) if ch == "("]
        # the last '(' that is never closed
        balance, unclosed = 0, opening[-1]
        for i in reversed(range(len(text))):
            if text[i] == ")":
                balance += 1
            elif text[i] == "(":
                if balance == 0:
                    unclosed = i
                    break
                balance -= 1
        raise FormulaError(f"'(' at column {columns[unclosed]} is never closed", columns[unclosed])


def _prepare(original: str) -> tuple[str, list[int]]:
    """The text to parse and, for each of its characters, the 1-based column in ``original``:
    whitespace trimmed, an optional leading ``f(x, y) =`` dropped, ``^`` spelled ``**``."""
    if not isinstance(original, str):
        raise FormulaError(f"the formula must be text, got {type(original).__name__}")
    if len(original) > MAX_LENGTH:
        raise FormulaError(f"too long: {len(original)} > {MAX_LENGTH} characters")
    start = 0
    prefix = _PREFIX.match(original)
    if prefix:
        start = prefix.end()
    text, columns = [], []
    for i in range(start, len(original)):
        ch = original[i]
        if ch in "\t\n\r":
            ch = " "  # a pasted line break or tab is a space
        if ch == "^":
            text += ["*", "*"]
            columns += [i + 1, i + 1]
        else:
            text.append(ch)
            columns.append(i + 1)
    # trim spaces at both ends
    while text and text[0] == " ":
        text.pop(0), columns.pop(0)
    while text and text[-1] == " ":
        text.pop(), columns.pop()
    if not text:
        raise FormulaError("the formula is empty: type an expression in x and y, e.g. x^2 + 10*y^2")
    return "".join(text), columns


# ---- step 5: the tree --------------------------------------------------------------------------

def _column(node, columns: list[int]) -> int:
    offset = getattr(node, "col_offset", 0) or 0
    return columns[min(max(offset, 0), len(columns) - 1)]


def _walk(node):
    """Every node under ``node`` (iteratively; ast.walk would do the same but imports on each call)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _uses_variables(node) -> bool:
    return any(isinstance(n, ast.Name) and n.id in VARIABLES for n in _walk(node))


def _format_number(value: float) -> str:
    return f"({value:.6g})" if value < 0 else f"{value:.6g}"


def _check_tree(tree: ast.Expression, columns: list[int]) -> tuple[int, int]:
    """Accept only the grammar's node types; return (number of nodes, nesting depth)."""
    n_nodes = 0
    deepest = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        n_nodes += 1
        if n_nodes > MAX_NODES:
            raise FormulaError(f"too complex: more than {MAX_NODES} parts (numbers, names and operations)")
        if depth > MAX_NESTING:
            raise FormulaError(
                f"nested too deeply: more than {MAX_NESTING} levels at column {_column(node, columns)}", _column(node, columns))
        deepest = max(deepest, depth)
        column = _column(node, columns)
        kind = type(node).__name__
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
                raise FormulaError(f"{value!r} at column {column} is not a number", column)
            if isinstance(value, complex):
                raise FormulaError(f"complex numbers ('j') are not allowed (column {column})", column)
            if isinstance(value, float) and not math.isfinite(value):
                raise FormulaError(f"the number at column {column} is too large (it overflows to infinity)", column)
            if abs(value) > MAX_NUMBER:
                what = "integer" if isinstance(value, int) else "number"
                shown = str(value) if isinstance(value, int) and value < 10**20 else _format_number(float(value))
                raise FormulaError(f"{what} {shown} at column {column} is too large: the limit is {MAX_NUMBER}", column)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise FormulaError(f"'{node.id}' at column {column} is a function: write {node.id}(...)", column)
            if node.id not in VARIABLES and node.id not in CONSTANTS:
                raise FormulaError(f"unknown name '{node.id}' at column {column}; allowed: {ALLOWED_SUMMARY}", column)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), type(node.op).__name__)
                raise FormulaError(f"'{symbol}' at column {column} is not allowed", column)
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _BINARY and op is not ast.Pow:
                raise FormulaError(f"operator at column {column} is not allowed; use + - * / ** or ^", column)
            group = _CHAIN_GROUP.get(op)
            left = node.left
            # a chain a + b - c + ... (or a * b / c ...) is one level: its left operand continues it
            continues = group is not None and isinstance(left, ast.BinOp) and _CHAIN_GROUP.get(type(left.op)) == group
            stack.append((left, depth if continues else depth + 1))
            stack.append((node.right, depth + 1))
            if op is ast.Pow:
                _check_exponent(node, columns)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Constant):
                raise FormulaError(f"multiplication needs '*': write {ast.unparse(node.func)}*(...) (column {column})", column)
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                if isinstance(node.func, ast.Name) and node.func.id in VARIABLES + tuple(CONSTANTS):
                    raise FormulaError(
                        f"'{node.func.id}' at column {column} is not a function: write {node.func.id}*(...) to multiply", column)
                raise FormulaError(f"only the listed functions can be called (column {column}): {', '.join(FUNCTIONS)}", column)
            name = node.func.id
            arity = FUNCTIONS[name][0]
            if node.keywords:
                raise FormulaError(f"{name}() at column {column} takes no named arguments", column)
            for argument in node.args:
                if isinstance(argument, ast.Starred):
                    raise FormulaError(f"unpacking with * is not allowed (column {_column(argument, columns)})",
                                       _column(argument, columns))
            if len(node.args) != arity:
                plural = "argument" if arity == 1 else "arguments"
                raise FormulaError(f"{name}() at column {column} takes {arity} {plural}, got {len(node.args)}", column)
            for argument in node.args:
                stack.append((argument, depth + 1))
        else:
            description = _NODE_DESCRIPTIONS.get(kind, kind)
            raise FormulaError(f"{description} at column {column} is not allowed; a formula uses only {ALLOWED_SUMMARY}", column)
    return n_nodes, deepest


def _check_exponent(node: ast.BinOp, columns: list[int]) -> None:
    column = _column(node.right, columns)
    if _uses_variables(node.right):
        raise FormulaError(
            f"exponent must be a constant number (the exponent at column {column} contains x or y; "
            "for a^x write exp(x*log(a)))", column)
    exponent = _fold(node.right, columns)
    if _uses_variables(node.left) and abs(exponent) > MAX_EXPONENT:
        raise FormulaError(
            f"exponent {exponent:.6g} at column {column} is too large: powers of x or y "
            f"must have |p| <= {MAX_EXPONENT}", column)
    if not _uses_variables(node.left):
        _fold(node, columns)  # a constant power must itself be a finite number


def _fold(node, columns: list[int]) -> float:
    """The value of a constant subexpression, computed in Python floats with every step guarded:
    no big integers, no overflow to infinity, no NaN."""
    column = _column(node, columns)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        value = float(node.value) if abs(node.value) <= MAX_NUMBER else math.inf
        if not math.isfinite(value):
            raise FormulaError(f"the number at column {column} is too large: the limit is {MAX_NUMBER}", column)
        return value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold(node.operand, columns)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and (type(node.op) in _BINARY or isinstance(node.op, ast.Pow)):
        left, right = _fold(node.left, columns), _fold(node.right, columns)
        symbol = _BINARY_SYMBOL[type(node.op)]
        try:
            if isinstance(node.op, ast.Pow):
                if left == 0 and right < 0:
                    raise FormulaError(f"0 to a negative power at column {column}", column)
                if left < 0 and not float(right).is_integer():
                    raise FormulaError(
                        f"a negative number to a fractional power at column {column} is not a real number", column)
                if abs(left) > 1 and abs(right) * math.log10(abs(left)) > 300:
                    raise FormulaError(
                        f"the constant {_format_number(left)} ** {_format_number(right)} at column {column} is too large", column)
                value = math.pow(left, right)
            elif isinstance(node.op, ast.Div):
                if right == 0:
                    raise FormulaError(f"division by zero in a constant at column {column}", column)
                value = left / right
            else:
                value = _BINARY[type(node.op)](left, right)
        except FormulaError:
            raise
        except (OverflowError, ValueError, ZeroDivisionError):
            raise FormulaError(
                f"the constant {_format_number(left)} {symbol} {_format_number(right)} at column {column} "
                "is not a finite number", column) from None
        if not math.isfinite(value):
            raise FormulaError(f"the constant at column {column} is too large (it overflows)", column)
        return value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        name = node.func.id
        arity, _, exact = FUNCTIONS[name]
        arguments = [_fold(a, columns) for a in node.args[:arity]]
        if len(node.args) != arity:
            raise FormulaError(f"{name}() at column {column} takes {arity} argument(s), got {len(node.args)}", column)
        try:
            value = exact(*arguments)
        except FormulaError:
            raise
        except (OverflowError, ValueError, ZeroDivisionError):
            raise FormulaError(f"{name}({', '.join(map(_format_number, arguments))}) at column {column} "
                               "is not a finite number", column) from None
        if not math.isfinite(value):
            raise FormulaError(f"{name}() at column {column} gives a number that is not finite", column)
        return float(value)
    raise FormulaError(f"exponent must be a constant number (column {column})", column)


# ---- the jax.numpy function, built by walking the tree ------------------------------------------

def _constant(value: float) -> Callable:
    c = np.float64(value)  # becomes a jax array in the first jnp operation that uses it
    return lambda x, y: c


def _build(node, columns: list[int]) -> Callable:
    """f(x, y) as nested closures over jax.numpy operations; the tree is already checked."""
    if isinstance(node, ast.Constant):
        return _constant(float(node.value))
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x, y: x
        if node.id == "y":
            return lambda x, y: y
        return _constant(CONSTANTS[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand, columns)
        if isinstance(node.op, ast.USub):
            return lambda x, y: jnp.negative(operand(x, y))
        return operand
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            if not _uses_variables(node):
                return _constant(_fold(node, columns))
            base = _build(node.left, columns)
            exponent = _fold(node.right, columns)
            if exponent.is_integer():
                power = int(exponent)  # lax.integer_pow: exact for negative bases, smooth at 0
                return lambda x, y: base(x, y) ** power
            return lambda x, y: jnp.power(base(x, y), exponent)
        left, right, combine = _build(node.left, columns), _build(node.right, columns), _JNP_BINARY[type(node.op)]
        return lambda x, y: combine(left(x, y), right(x, y))
    if isinstance(node, ast.Call):
        function = FUNCTIONS[node.func.id][1]
        arguments = [_build(a, columns) for a in node.args]
        if len(arguments) == 1:
            (argument,) = arguments
            return lambda x, y: function(argument(x, y))
        first, second = arguments
        return lambda x, y: function(first(x, y), second(x, y))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # _check_tree admits nothing else


def _normalise_constants(tree: ast.Expression) -> ast.Expression:
    """Integer-valued numbers printed as integers, so 2 and 2.0 (and 1e3 and 1000) are one formula."""
    for node in _walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            value = float(node.value)
            node.value = int(value) if value.is_integer() else value
    return tree


def _syntax_message(error: SyntaxError, text: str, columns: list[int]) -> FormulaError:
    offset = (error.offset or 1) - 1
    offset = min(max(offset, 0), len(columns) - 1)
    column = columns[offset]
    product = _IMPLICIT_PRODUCT.search(text)
    if product and product.start() <= offset:
        number = product.group()
        following = _NAME.match(text, product.end())
        after = following.group() if following else "("
        return FormulaError(
            f"multiplication needs '*': write {number}*{after}, not {number}{after} (column {columns[product.start()]})",
            columns[product.start()])
    reason = (error.msg or "invalid syntax").replace("'(' was never closed", "'(' is never closed")
    if reason == "invalid syntax":
        reason = "this is not a complete expression"
    return FormulaError(f"syntax error at column {column}: {reason}", column)


def parse_formula(text: str) -> ParsedFormula:
    """Check ``text`` against the grammar and compile it to a ``jax.numpy`` function of (x, y).

    Raises :class:`FormulaError` (only that) for anything outside the grammar or its bounds.
    This does not cache; :func:`compile_formula` does.
    """
    prepared, columns = _prepare(text)
    _check_characters(prepared, columns, printable_ascii=False)
    _check_names(prepared, columns)
    _check_characters(prepared, columns, printable_ascii=True)
    _check_parentheses(prepared, columns)
    try:
        tree = ast.parse(prepared, mode="eval")
    except SyntaxError as error:
        raise _syntax_message(error, prepared, columns) from None
    except (ValueError, MemoryError, RecursionError) as error:  # the checks above leave none of these
        raise FormulaError(f"the formula could not be read: {error}") from None
    n_nodes, nesting = _check_tree(tree, columns)
    function = _build(tree.body, columns)
    canonical = ast.unparse(_normalise_constants(tree))
    return ParsedFormula(text=canonical, original=text, function=function, n_nodes=n_nodes, nesting=nesting)


def validate_formula(text: str) -> str | None:
    """None if ``text`` is an acceptable formula, else the message saying why not (for a form field)."""
    try:
        parse_formula(text)
    except FormulaError as error:
        return error.message
    return None


# ---- one compiled formula per normalised text: the bounded LRU ----------------------------------

@dataclass(eq=False)
class CompiledFormula:
    """What is kept per normalised formula: the parsed formula, its surface and per-sample loss
    (one function object, for the engine's compile cache), and its landscapes by settings."""

    formula: ParsedFormula
    surface: Callable
    sample_loss: Callable
    landscapes: "OrderedDict[tuple, Landscape]"


_CACHE: "OrderedDict[str, CompiledFormula]" = OrderedDict()
_CACHE_LOCK = threading.Lock()


@jax.custom_jvp
def _nan_gradient_where_not_finite(value):
    """The identity, whose derivative is NaN wherever the value is NaN or infinite.

    Without it log(x) at x < 0 has the value NaN but the finite gradient 1/x, so a run could walk on
    through the region where the loss is undefined; with it the gradient there is NaN too, and the
    engine stops the run at the first step into it (as it does for any non-finite gradient)."""
    return value


@_nan_gradient_where_not_finite.defjvp
def _nan_gradient_where_not_finite_jvp(primals, tangents):
    (value,), (tangent,) = primals, tangents
    # a product with the tangent (not a select), so that reverse mode carries the NaN too
    return value, tangent * jnp.where(jnp.isfinite(value), 1.0, jnp.nan)


def _make_compiled(formula: ParsedFormula) -> CompiledFormula:
    function = formula.function
    tag = hashlib.sha1(formula.text.encode()).hexdigest()[:10]

    def surface(theta, params):
        return _nan_gradient_where_not_finite(function(theta[0], theta[1]))

    def sample_loss(theta, sample, params):
        return _nan_gradient_where_not_finite(function(theta[0], theta[1])) + jnp.dot(sample, theta)

    for f, suffix in ((surface, "surface"), (sample_loss, "sample_loss")):
        f.__name__ = f.__qualname__ = f"formula_{tag}_{suffix}"
    surface.__doc__ = f"L(x, y) = {formula.text}"
    sample_loss.__doc__ = f"l_n(x, y) = {formula.text} + a_n . (x, y), with sum_n a_n = 0"
    sample_loss.formula = formula.text
    return CompiledFormula(formula, surface, sample_loss, OrderedDict())


def compile_formula(text: str) -> CompiledFormula:
    """The compiled formula for ``text``, from the LRU cache when the normalised text was seen.

    The same normalised formula always returns the same object (and so the same ``sample_loss``)
    while it is among the :data:`FORMULA_CACHE_SIZE` most recently used ones.
    """
    parsed = parse_formula(text)
    with _CACHE_LOCK:
        entry = _CACHE.get(parsed.text)
        if entry is None:
            entry = _make_compiled(parsed)
            _CACHE[parsed.text] = entry
            while len(_CACHE) > FORMULA_CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(parsed.text)
        return entry


def formula_cache_info() -> dict:
    """How many formulas are cached, the bound, and their normalised texts (oldest first)."""
    with _CACHE_LOCK:
        return {"size": len(_CACHE), "max_size": FORMULA_CACHE_SIZE, "formulas": list(_CACHE)}


def clear_formula_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


# ---- domain and start --------------------------------------------------------------------------

def _as_pair(value, field: str, what: str) -> tuple[float, float]:
    try:
        pair = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise FormulaError(f"{what} must be two numbers, got {value!r}", field=field) from None
    if len(pair) != 2:
        raise FormulaError(f"{what} must be two numbers, got {len(pair)}", field=field)
    if not all(math.isfinite(v) for v in pair):
        raise FormulaError(f"{what} must be finite numbers, got {pair[0]:g} and {pair[1]:g}", field=field)
    return pair


def validate_domain(x_range, y_range) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_min, x_max), (y_min, y_max)) as floats, or a FormulaError naming the range at fault."""
    ranges = []
    for name, value in (("x", x_range), ("y", y_range)):
        field = f"{name}_range"
        low, high = _as_pair(value, field, f"the {name} range")
        if not low < high:
            raise FormulaError(f"the {name} range: {name}_min must be less than {name}_max (got {low:g} and {high:g})", field=field)
        if max(abs(low), abs(high)) > MAX_DOMAIN_BOUND:
            raise FormulaError(f"the {name} range must stay within ±{MAX_DOMAIN_BOUND:g} (got {low:g} to {high:g})", field=field)
        if high - low < MIN_DOMAIN_WIDTH:
            raise FormulaError(f"the {name} range is too narrow: {high - low:g} < {MIN_DOMAIN_WIDTH:g}", field=field)
        ranges.append((low, high))
    size = max(hi - lo for lo, hi in ranges)
    for name, (lo, hi) in zip(VARIABLES, ranges):
        if max(abs(lo), abs(hi)) > MAX_OFFSET_OVER_WIDTH * size:
            raise FormulaError(
                f"the {name} range lies too far from 0 for its size ({lo:g} to {hi:g}, widest range {size:g}): keep "
                f"|{name}| within {MAX_OFFSET_OVER_WIDTH:g} × the widest range, or shift the formula (e.g. x → (x - 1000))",
                field=f"{name}_range")
    return ranges[0], ranges[1]


def validate_start(start, domain) -> tuple[float, float]:
    """The start as floats, finite and inside the domain, or a FormulaError (field "start")."""
    x, y = _as_pair(start, "start", "the start")
    (x0, x1), (y0, y1) = domain
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        raise FormulaError(
            f"the start ({x:g}, {y:g}) is outside the domain [{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]", field="start")
    return x, y


# ---- the landscape -----------------------------------------------------------------------------

def _default_start(compiled: CompiledFormula, domain) -> tuple[float, float]:
    """15 % in from the domain's top-left corner, or the nearest point of a 41 x 41 grid where f is
    finite (log(x) has no value at x < 0)."""
    (x0, x1), (y0, y1) = domain
    corner = np.array([x0 + 0.15 * (x1 - x0), y0 + 0.85 * (y1 - y0)])
    if math.isfinite(float(np.asarray(compiled.formula(corner[0], corner[1])))):
        return float(corner[0]), float(corner[1])
    xs, ys = np.linspace(x0, x1, 41)[1:-1], np.linspace(y0, y1, 41)[1:-1]
    X, Y = np.meshgrid(xs, ys)
    finite = np.isfinite(np.asarray(compiled.formula(X, Y), dtype=float))
    if not finite.any():
        return float(corner[0]), float(corner[1])  # _build_landscape then says f is nowhere finite
    distance = np.where(finite, (X - corner[0]) ** 2 / (x1 - x0) ** 2 + (Y - corner[1]) ** 2 / (y1 - y0) ** 2, np.inf)
    i = np.unravel_index(np.argmin(distance), distance.shape)
    return float(X[i]), float(Y[i])


def _grid_values(function: Callable, domain, resolution: int) -> np.ndarray:
    (x0, x1), (y0, y1) = domain
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return np.asarray(_evaluate_on_grid(function, jnp.asarray(X), jnp.asarray(Y)))


def _evaluate_on_grid(function, X, Y):
    return jnp.broadcast_to(jnp.asarray(function(X, Y), dtype=jnp.float64), X.shape)


def _auto_noise(compiled: CompiledFormula, domain) -> float:
    """A quarter of the median gradient norm over a 15 x 15 grid (1 if that is not finite or zero):
    minibatch gradients are then visibly noisy without drowning the surface's own slope."""
    (x0, x1), (y0, y1) = domain
    X, Y = np.meshgrid(np.linspace(x0, x1, 15), np.linspace(y0, y1, 15))
    points = jnp.asarray(np.stack([X.ravel(), Y.ravel()], axis=1))
    gradients = np.asarray(jax.vmap(jax.grad(lambda t: compiled.surface(t, {})))(points))
    norms = np.linalg.norm(gradients, axis=1)
    norms = norms[np.isfinite(norms)]
    median = float(np.median(norms)) if norms.size else 0.0
    return 0.25 * median if 0.0 < median < 1e6 else 1.0


def _auto_log_contours(values: np.ndarray) -> bool:
    """Log-scaled contours when the surface spans many decades above its minimum."""
    finite = values[np.isfinite(values)]
    if finite.size < 4:
        return False
    low = finite.min()
    q10, q90 = np.quantile(finite - low, [0.1, 0.9])
    return bool(q90 > 50.0 * max(q10, 1e-12 * max(q90, 1e-300)))


def formula_landscape(
    formula: str,
    x_range=DEFAULT_RANGE,
    y_range=DEFAULT_RANGE,
    start=None,
    noise: float | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    log_contours: bool | None = None,
) -> Landscape:
    """A real :class:`Landscape` whose mean loss is exactly ``formula`` over the given domain.

    Per sample n, l_n(x, y) = f(x, y) + a_n . (x, y) with sum_n a_n = 0 (as the built-in surfaces),
    so the mean over all samples is f itself and a minibatch sees a tilted copy. ``noise`` is the
    standard deviation of the tilts (None: a quarter of f's median gradient norm over the domain).
    ``start`` defaults to the point 15 % in from the domain's top-left corner (or the nearest point where
    f is finite). Critical points are found
    numerically in the domain (Newton on the gradient from a grid) and classified by the Hessian.

    Raises :class:`FormulaError` for a rejected formula, domain or start (``error.field`` says which),
    and when f is not finite anywhere on the domain or at the start. f may be non-finite on *part* of
    the domain: see :func:`nonfinite_fraction` and :func:`nonfinite_warning`.

    The result is cached: the same normalised formula with the same settings returns the same
    object, and every landscape of one formula shares one ``sample_loss`` function object.
    """
    compiled = compile_formula(formula)
    domain = validate_domain(x_range, y_range)
    if start is None:
        start = _default_start(compiled, domain)
    start = validate_start(start, domain)
    try:
        n_samples = int(n_samples)
    except (TypeError, ValueError):
        raise FormulaError(f"the number of samples must be a whole number, got {n_samples!r}", field="n_samples") from None
    if not 1 <= n_samples <= 4096:
        raise FormulaError(f"the number of samples must be between 1 and 4096, got {n_samples}", field="n_samples")
    if noise is not None:
        noise = float(noise)
        if not (math.isfinite(noise) and noise >= 0):
            raise FormulaError(f"the noise must be a finite number ≥ 0, got {noise:g}", field="noise")
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise FormulaError(f"the seed must be a whole number, got {seed!r}", field="seed") from None
    key = (domain, start, noise, n_samples, seed, log_contours)
    with _CACHE_LOCK:
        cached = compiled.landscapes.get(key)
        if cached is not None:
            compiled.landscapes.move_to_end(key)
            return cached
    landscape = _build_landscape(compiled, domain, start, noise, n_samples, seed, log_contours)
    with _CACHE_LOCK:
        cached = compiled.landscapes.setdefault(key, landscape)  # another session may have been first
        compiled.landscapes.move_to_end(key)
        while len(compiled.landscapes) > LANDSCAPES_PER_FORMULA:
            compiled.landscapes.popitem(last=False)
    return cached


def _build_landscape(compiled: CompiledFormula, domain, start, noise, n_samples, seed, log_contours) -> Landscape:
    text = compiled.formula.text
    values = _grid_values(compiled.formula.function, domain, 41)
    if not np.isfinite(values).any():
        raise FormulaError(f"f(x, y) = {text} is not finite anywhere in the domain (for example log or sqrt of a "
                           "negative number everywhere): change the formula or the ranges")
    at_start = float(np.asarray(compiled.formula(start[0], start[1])))
    if not math.isfinite(at_start):
        raise FormulaError(f"f(x, y) is not finite at the start ({start[0]:g}, {start[1]:g}): choose another start",
                           field="start")
    if noise is None:
        noise = _auto_noise(compiled, domain)
    if log_contours is None:
        log_contours = _auto_log_contours(values)
    landscape = Landscape(
        key="formula",
        title=f"f(x, y) = {text}",
        description=f"Your own formula f(x, y) = {text} on [{domain[0][0]:g}, {domain[0][1]:g}] × "
                    f"[{domain[1][0]:g}, {domain[1][1]:g}], as a mean over {n_samples} samples with zero-mean tilts "
                    f"(noise {noise:.3g}); critical points found numerically.",
        sample_loss=compiled.sample_loss,
        surface=compiled.surface,  # the engine's closed-form mean: one evaluation per step, not N
        samples=jnp.asarray(zero_mean_perturbations(n_samples, noise, seed)),
        params={},
        domain=domain,
        default_start=start,
        critical_points=(),
        log_contours=bool(log_contours),
        settings={"formula": text, "x_range": domain[0], "y_range": domain[1], "start": start,
                  "noise": noise, "n_samples": n_samples, "seed": seed},
    )
    return complete_critical_points(landscape)


# ---- where the formula is not finite -----------------------------------------------------------

def nonfinite_mask(landscape: Landscape, resolution: int = 120) -> np.ndarray:
    """Boolean (resolution, resolution) array, True where the mean loss is NaN or infinite, on the
    grid of :meth:`Landscape.grid` (mask[i, j] is at (xs[j], ys[i]))."""
    _, _, Z = landscape.grid(resolution)
    return ~np.isfinite(Z)


def nonfinite_fraction(landscape: Landscape, resolution: int = 120) -> float:
    """Fraction of the grid over the domain where the loss is NaN or infinite (0.0 = finite everywhere)."""
    return float(np.mean(nonfinite_mask(landscape, resolution)))


def nonfinite_warning(landscape: Landscape, resolution: int = 120) -> str | None:
    """A warning for the page when the loss is not finite on part of the domain, else None."""
    fraction = nonfinite_fraction(landscape, resolution)
    if fraction == 0.0:
        return None
    share = f"{100 * fraction:.0f} %" if fraction >= 0.01 else "less than 1 %"
    return (f"f(x, y) is not finite on {share} of the domain (e.g. log or sqrt of a negative number, or a "
            "division by zero): that part of the map is left blank, and a run that steps into it stops there "
            "(its loss and gradient are not finite).")


__all__ = [
    "FormulaError",
    "ParsedFormula",
    "CompiledFormula",
    "parse_formula",
    "validate_formula",
    "compile_formula",
    "formula_landscape",
    "validate_domain",
    "validate_start",
    "nonfinite_mask",
    "nonfinite_fraction",
    "nonfinite_warning",
    "formula_cache_info",
    "clear_formula_cache",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NESTING",
    "MAX_EXPONENT",
    "MAX_NUMBER",
    "FORMULA_CACHE_SIZE",
]
