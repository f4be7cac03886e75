"""Readouts computed from landscapes and trajectories: curvature, theory, summaries. No UI imports."""
