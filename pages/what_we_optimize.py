"""Entry for the first visit to /what_we_optimize after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/what_we_optimize.py."""

from ui.first_visit import run_app_frame

run_app_frame()
