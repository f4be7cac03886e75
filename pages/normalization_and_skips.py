"""Entry for the first visit to /normalization_and_skips after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/normalization_and_skips.py."""

from ui.first_visit import run_app_frame

run_app_frame()
