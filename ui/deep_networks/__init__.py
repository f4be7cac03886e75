"""The deep-network lab's screen side: charts, cached bridges (compute.py) and each page's presets."""
