"""Entry for the first visit to /dropout after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/dropout.py."""

from ui.first_visit import run_app_frame

run_app_frame()
