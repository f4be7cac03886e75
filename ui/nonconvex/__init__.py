"""The nonconvex lab's screen side: its charts, cached bridges (compute) and per-page presets."""
