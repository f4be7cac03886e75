"""The Hessian of a network's training loss over all its parameters, exact or by Lanczos.

The training loss is L(theta) = (1/N) sum_n l_n(theta) over the training points (``split == TRAIN``
of ``training.padded_data``), theta the flat parameter vector of ``networks.model``. A batch-
normalized network is differentiated in training mode with the whole training set as the batch
(its statistics are functions of theta too), or in evaluation mode when ``running`` is given.

- Exact: ``jax.hessian`` of L on the flat vector, a P x P matrix (P^2 numbers of memory, and an
  eigendecomposition of O(P^3) time); ``EXACT_LIMIT`` parameters at most.
- Lanczos: only Hessian-vector products Hv (forward-over-reverse differentiation: one costs a few
  gradients). m steps from a unit vector q_1 build an orthonormal basis Q of the Krylov space
  span(q_1, H q_1, ..., H^(m-1) q_1) and the tridiagonal T = Q^T H Q:

      w = H q_j - beta_(j-1) q_(j-1),  alpha_j = q_j . w,  w <- w - alpha_j q_j,
      w <- w - Q Q^T w  (full reorthogonalization),  beta_j = |w|,  q_(j+1) = w / beta_j.

  T's eigenvalues (Ritz values) approach H's extreme eigenvalues first: the top k of T are the
  top-k estimate. Memory m P, time m HVPs.
- Spectral density by stochastic Lanczos quadrature, as PyHessian does (Ghorbani et al. 2019; Yao
  et al. 2020): for n_v random Rademacher starts v (normalized), m Lanczos steps give T = U diag(t) U^T;
  the density of H's eigenvalues is estimated by (1/n_v) sum_v sum_i U_(1i)^2 g_sigma(lambda - t_i),
  g_sigma a Gaussian of variance sigma^2. Its weights sum to 1 per start (|v| = 1), so the
  estimate is a probability density; E[v^T f(H) v] = tr f(H) / P is what makes it unbiased.

The block-diagonal approximation (per neuron): neuron k of a layer reads a = (x^(l-1), 1) (its
inputs and a 1 for its bias) through z_k = a . w_k. With delta_k = ds/dz_k the derivative of the
network output s with respect to the neuron's pre-activation, one example's loss l(s) has

    d^2 l / dw_jk dw_j'k = l''(s) delta_k^2 a_j a_j'  +  l'(s) (d^2 s / dz_k^2) a_j a_j'

(a does not depend on w_k, and delta_k depends on w_k only through z_k). Averaged over the data,
the first term is the notes' block [H_k]_jj' = 2 E[a_j a_j' delta_k^2] for squared error
(l = (s - t)^2, l'' = 2); for the logistic loss l'' = sigma(s)(1 - sigma(s)). It is the neuron's
block of the Gauss-Newton matrix, and it is the exact block of the Hessian when the second term
vanishes: for the output neuron (s is linear in its pre-activation, d^2 s/dz^2 = 0: a single layer
of weights, the output layer, is exact), or when every residual l'(s) is zero (a perfect fit for
squared error). ``block_terms`` returns both terms, so the difference is measured, not assumed.
The formula needs examples to be independent: batch normalization couples them (its statistics
pass each example's weights into every other example's output), so it is refused there; the
exact Hessian's own blocks (``blocks_of``) exist for every network.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.datasets import TRAIN, Dataset
from networks.model import Architecture, example_losses, network_pass, unravel_function, zero_params
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

EXACT_LIMIT = 2500  # parameters: the exact Hessian is P^2 doubles (50 MB at 2,500)
LANCZOS_STEPS = (16, 32, 64, 128)  # Lanczos steps are a shape (the basis): bucketed to a few programs


def training_loss(architecture: Architecture, theta, inputs, targets, weights, running=None):
    """L(theta) = sum_n w_n l_n / sum_n w_n on the rows weighted 1 (batch norm: those rows are the batch)."""
    params = unravel_function(architecture)(theta)
    output = network_pass(architecture, params, inputs, running=running,
                          weights=weights if architecture.batch_norm else None).output
    return weights @ example_losses(architecture.task, output, targets) / jnp.sum(weights)


def hessian_vector_product(architecture: Architecture, theta, inputs, targets, weights, v, running=None):
    """H v by forward-over-reverse differentiation of L (never forms H)."""
    gradient = jax.grad(lambda t: training_loss(architecture, t, inputs, targets, weights, running))
    return jax.jvp(gradient, (theta,), (v,))[1]


# ------------------------------------------------------------------------------------- programs


@bounded_jit(static_argnums=(0,))
def _hessian_program(architecture: Architecture, theta, inputs, targets, weights, running=None):
    return jax.hessian(lambda t: training_loss(architecture, t, inputs, targets, weights, running))(theta)


@bounded_jit(static_argnums=(0,))
def _gradient_program(architecture: Architecture, theta, inputs, targets, weights, running=None):
    return jax.grad(lambda t: training_loss(architecture, t, inputs, targets, weights, running))(theta)


def lanczos(matvec, start, steps: int):
    """(alpha (m,), beta (m - 1,)) of ``steps`` Lanczos steps on ``matvec`` from ``start`` (traceable).

    Full reorthogonalization (twice, against the whole basis) keeps Q orthonormal in floating point,
    so no spurious copies of converged eigenvalues appear. If the Krylov space is exhausted early
    (beta ~ 0), the remaining steps restart from a vector orthogonal to the basis; T stays exact."""
    P = start.shape[0]
    q = start / jnp.linalg.norm(start)
    basis = jnp.zeros((steps, P)).at[0].set(q)
    alphas, betas = jnp.zeros(steps), jnp.zeros(steps)

    def step(j, carry):
        basis, alphas, betas = carry
        q = basis[j]
        w = matvec(q)
        alpha = q @ w
        for _ in range(2):
            w = w - basis.T @ (basis @ w)
        beta = jnp.linalg.norm(w)
        # a fresh direction if the space is exhausted: a fixed vector, orthogonalized
        fallback = jnp.cos(jnp.arange(P) * (j + 1.0))
        for _ in range(2):
            fallback = fallback - basis.T @ (basis @ fallback)
        exhausted = beta < 1e-10 * jnp.maximum(jnp.abs(alpha), 1.0)
        fallback_norm = jnp.linalg.norm(fallback)
        nxt = jnp.where(exhausted, fallback / jnp.where(fallback_norm > 0, fallback_norm, 1.0),
                        w / jnp.where(beta > 0, beta, 1.0))
        basis = jnp.where(j + 1 < steps, basis.at[jnp.minimum(j + 1, steps - 1)].set(nxt), basis)
        return basis, alphas.at[j].set(alpha), betas.at[j].set(jnp.where(exhausted, 0.0, beta))

    _, alphas, betas = jax.lax.fori_loop(0, steps, step, (basis, alphas, betas))
    return alphas, betas[:-1]


@bounded_jit(static_argnums=(0, 1))
def _lanczos_program(architecture: Architecture, steps: int, theta, inputs, targets, weights, starts, running=None):
    """Lanczos from each row of ``starts`` (n_v, P): (alphas (n_v, m), betas (n_v, m - 1))."""
    matvec = lambda v: hessian_vector_product(architecture, theta, inputs, targets, weights, v, running)  # noqa: E731
    return jax.lax.map(lambda start: lanczos(matvec, start, steps), starts)


class BlockTerms(NamedTuple):
    """Per layer (hidden layers, then the output layer), arrays (width, n_in + 1, n_in + 1)."""

    gauss_newton: list  # E[l''(s) delta_k^2 a a^T]: the notes' formula (2 E[a a^T delta_k^2] for squared error)
    residual: list  # E[l'(s) (d^2 s / dz_k^2) a a^T]: what the formula leaves out


@bounded_jit(static_argnums=(0,))
def _block_program(architecture: Architecture, theta, inputs, targets, weights, running=None):
    params = unravel_function(architecture)(theta)
    n = jnp.sum(weights)
    widths = architecture.hidden_widths

    def output(probes):  # probes: one per hidden layer and one (N, 1) for the output's pre-activation
        result = network_pass(architecture, params, inputs, probes[:-1], running)
        return result.output + probes[-1][:, 0], result

    probes = [jnp.zeros((inputs.shape[0], w)) for w in widths] + [jnp.zeros((inputs.shape[0], 1))]
    s, result = output(probes)
    # delta_nk = ds_n/dz_nk: examples are independent, so the gradient of sum_n s_n gives every row's
    delta = jax.grad(lambda p: jnp.sum(output(p)[0]))(probes)
    if architecture.task == "classification":
        p = jax.nn.sigmoid(s)
        first, second = p - targets, p * (1 - p)
    else:
        first, second = 2 * (s - targets), 2.0 * jnp.ones_like(s)
    layer_inputs = [inputs] + result.xs
    gauss_newton, residual = [], []
    for l, a in enumerate(layer_inputs):
        a1 = jnp.concatenate([a, jnp.ones((a.shape[0], 1))], axis=1)
        width = delta[l].shape[1]

        def curvature(k):  # d^2 s_n / dz_nk^2 for every n: the k-th unit's tangent, k-th component
            tangent = [jnp.zeros_like(q) for q in probes]
            tangent[l] = tangent[l].at[:, k].set(1.0)
            grad_s = lambda p: jax.grad(lambda p: jnp.sum(output(p)[0]))(p)[l]  # noqa: E731
            return jax.jvp(grad_s, (probes,), (tangent,))[1][:, k]

        d2 = jax.lax.map(curvature, jnp.arange(width)).T  # (N, width)
        gn_w = weights * second / n
        res_w = weights * first / n
        gauss_newton.append(jnp.einsum("n,nk,ni,nj->kij", gn_w, delta[l] ** 2, a1, a1))
        residual.append(jnp.einsum("n,nk,ni,nj->kij", res_w, d2, a1, a1))
    return BlockTerms(gauss_newton, residual)


#: Every jitted program of this module.
PROGRAMS = [_hessian_program, _gradient_program, _lanczos_program, _block_program]


# --------------------------------------------------------------------------------- Python side


def training_data(dataset: Dataset) -> dict:
    """Inputs, targets and 0/1 training weights padded to a data bucket (as the training programs do)."""
    from networks.training import padded_data
    data = padded_data(dataset)
    return {"inputs": data["inputs"], "targets": data["targets"], "weights": (data["split"] == TRAIN).astype(float)}


def _args(dataset_or_data):
    data = training_data(dataset_or_data) if isinstance(dataset_or_data, Dataset) else dataset_or_data
    return data["inputs"], data["targets"], data["weights"]


def n_parameters(architecture: Architecture) -> int:
    return int(sum(leaf.size for leaf in jax.tree.leaves(zero_params(architecture, np))))


def hessian(architecture: Architecture, theta, data, running=None) -> np.ndarray:
    """The exact P x P Hessian of the training loss at theta (``data``: a Dataset or ``training_data``)."""
    P = n_parameters(architecture)
    if P > EXACT_LIMIT:
        raise ValueError(f"{P} parameters: the exact Hessian is limited to {EXACT_LIMIT}; use lanczos_top")
    H = np.asarray(_hessian_program(architecture, np.asarray(theta, float), *_args(data), running))
    return (H + H.T) / 2  # symmetric to rounding already; exactly symmetric for eigvalsh


def gradient(architecture: Architecture, theta, data, running=None) -> np.ndarray:
    return np.asarray(_gradient_program(architecture, np.asarray(theta, float), *_args(data), running))


def eigenvalues(architecture: Architecture, theta, data, running=None) -> np.ndarray:
    """All P eigenvalues of the exact Hessian, ascending (NumPy's eigvalsh)."""
    return np.linalg.eigvalsh(hessian(architecture, theta, data, running))


def lanczos_steps_for(k: int, P: int) -> int:
    """Lanczos steps for a top-k estimate: a bucket of at least 3k + 10, at most P (rounded up to a bucket)."""
    want = min(max(3 * k + 10, 16), P)
    for m in LANCZOS_STEPS:
        if want <= m:
            return min(m, P)
    return min(LANCZOS_STEPS[-1], P)


def tridiagonal(alphas, betas) -> np.ndarray:
    m = len(alphas)
    T = np.diag(np.asarray(alphas, float))
    T[np.arange(m - 1), np.arange(1, m)] = betas
    T[np.arange(1, m), np.arange(m - 1)] = betas
    return T


def lanczos_top(architecture: Architecture, theta, data, k: int = 5, steps: int | None = None, seed: int = 0,
                running=None) -> np.ndarray:
    """The k largest eigenvalues of the Hessian (descending) from ``steps`` Lanczos steps (HVPs only)."""
    P = n_parameters(architecture)
    m = lanczos_steps_for(k, P) if steps is None else min(int(steps), P)  # a Krylov space has at most P dimensions
    start = np.random.default_rng(seed).standard_normal((1, P))
    alphas, betas = _lanczos_program(architecture, m, np.asarray(theta, float), *_args(data), start, running)
    ritz = np.linalg.eigvalsh(tridiagonal(np.asarray(alphas)[0], np.asarray(betas)[0]))
    return ritz[::-1][:k]


class SpectralDensity(NamedTuple):
    grid: np.ndarray  # eigenvalue axis
    density: np.ndarray  # estimated density on the grid (integrates to ~1)
    nodes: np.ndarray  # (n_v, m) Ritz values of each start
    weights: np.ndarray  # (n_v, m) their quadrature weights (each row sums to 1)


def spectral_density(architecture: Architecture, theta, data, n_vectors: int = 4, steps: int = 64, seed: int = 0,
                     n_grid: int = 1000, sigma2: float | None = None, running=None) -> SpectralDensity:
    """Stochastic Lanczos quadrature (PyHessian's density): Rademacher starts, Ritz values as nodes,
    squared first components of T's eigenvectors as weights, each node smoothed by a Gaussian of
    variance ``sigma2`` (default: (range / 100)^2, PyHessian uses 1e-5 for eigenvalues of order 1-100)."""
    P = n_parameters(architecture)
    m = min(int(steps), P)
    starts = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_vectors, P))
    alphas, betas = _lanczos_program(architecture, m, np.asarray(theta, float), *_args(data), starts, running)
    nodes, weights = [], []
    for a, b in zip(np.asarray(alphas), np.asarray(betas)):
        t, U = np.linalg.eigh(tridiagonal(a, b))
        nodes.append(t)
        weights.append(U[0] ** 2)
    nodes, weights = np.array(nodes), np.array(weights)
    low, high = nodes.min(), nodes.max()
    span = max(high - low, 1e-12)
    margin = 0.05 * span
    sigma2 = (span / 100) ** 2 if sigma2 is None else float(sigma2)
    grid = np.linspace(low - margin, high + margin, n_grid)
    kernel = np.exp(-(grid[None, None, :] - nodes[:, :, None]) ** 2 / (2 * sigma2)) / np.sqrt(2 * np.pi * sigma2)
    density = np.einsum("vm,vmg->g", weights, kernel) / n_vectors
    return SpectralDensity(grid, density, nodes, weights)


# ------------------------------------------------------------------------------- neuron blocks


class NeuronBlock(NamedTuple):
    layer: int  # 0..L-1 hidden layers, L = the output layer
    unit: int
    formula: np.ndarray  # indices into theta of (W[:, k], b[k]), the formula's order
    own: np.ndarray  # every parameter of the neuron: (W[:, k], b[k]) and its slope, gamma, beta if any


def neuron_blocks(architecture: Architecture) -> list:
    """For every neuron (hidden units, then the output unit), where its parameters sit in theta."""
    blocks, offset = [], 0
    for l, layer in enumerate(zero_params(architecture, np)):
        n_in, n_out = layer.W.shape
        W0, b0 = offset, offset + n_in * n_out
        extras_start = b0 + n_out
        extras = [leaf for leaf in (layer.slope, layer.gamma, layer.beta) if leaf is not None]
        for k in range(n_out):
            formula = np.r_[W0 + np.arange(n_in) * n_out + k, b0 + k]
            own = np.r_[formula, [extras_start + e * n_out + k for e in range(len(extras))]].astype(int)
            blocks.append(NeuronBlock(l, k, formula.astype(int), own))
        offset = extras_start + len(extras) * n_out
    return blocks


def blocks_of(H: np.ndarray, blocks: list, which: str = "own") -> list:
    """The diagonal blocks H[i, i'] of each neuron's parameters."""
    return [H[np.ix_(getattr(b, which), getattr(b, which))] for b in blocks]


def off_block_share(H: np.ndarray, blocks: list, which: str = "own") -> float:
    """Share of the squared Frobenius norm of H outside the per-neuron blocks: ||H - blockdiag(H)||^2 / ||H||^2."""
    inside = sum(float(np.sum(B**2)) for B in blocks_of(H, blocks, which))
    total = float(np.sum(H**2))
    return (total - inside) / total if total > 0 else 0.0


def block_terms(architecture: Architecture, theta, data, running=None) -> BlockTerms:
    """The two terms of every neuron's (W[:, k], b[k]) block (see the module docstring), NumPy arrays."""
    if architecture.batch_norm:
        raise ValueError("the per-neuron formula needs independent examples; batch normalization couples them "
                         "(use blocks_of on the exact Hessian)")
    terms = _block_program(architecture, np.asarray(theta, float), *_args(data), running)
    return BlockTerms([np.asarray(b) for b in terms.gauss_newton], [np.asarray(b) for b in terms.residual])


def formula_blocks(architecture: Architecture, theta, data) -> list:
    """The notes' blocks, one per neuron in ``neuron_blocks`` order: E[l'' delta_k^2 a a^T]."""
    terms = block_terms(architecture, theta, data)
    return [B for layer in terms.gauss_newton for B in layer]


def block_eigenvalues(blocks: list) -> np.ndarray:
    """Every eigenvalue of every block, ascending (the spectrum of the block-diagonal matrix)."""
    return np.sort(np.concatenate([np.linalg.eigvalsh((B + B.T) / 2) for B in blocks]))

