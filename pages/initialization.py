"""Entry for the first visit to /initialization after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/initialization.py."""

from ui.first_visit import run_app_frame

run_app_frame()
