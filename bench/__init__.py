"""Benchmarks (not tests; `make bench` runs them, `make test` never does).

- bench_trajectories: the default race timed warm with our engine, a plain NumPy loop and optax in a
  jitted ``lax.scan`` doing the same updates; the Hessian readout on a grid and along a trajectory.
- bench_compiles: compilations counted over a scripted sequence of slider changes.
- run_all: runs both and writes a markdown table to bench/results/latest.md.
"""
