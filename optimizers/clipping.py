"""Gradient clipping: bound the step a cliff's huge gradient can cause. ``inf`` switches it off."""

import jax.numpy as jnp


def clip_by_norm(g, max_norm):
    """g * min(1, max_norm / |g|): keeps the direction, caps the length."""
    norm = jnp.linalg.norm(g)
    return g * jnp.minimum(1.0, max_norm / jnp.maximum(norm, 1e-300))


def clip_by_value(g, max_value):
    """Each component clipped to [-max_value, max_value]: caps the length but can turn the direction."""
    return jnp.clip(g, -max_value, max_value)
