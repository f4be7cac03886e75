"""The race lab (the Optimizer playground): its presets and the race GIF; its cached views are in ui/compute.py."""
