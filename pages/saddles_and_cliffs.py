"""Entry for the first visit to /saddles_and_cliffs after a server start (see ui/first_visit.py); the page
itself is pages/nonconvex/saddles_and_cliffs.py."""

from ui.first_visit import run_app_frame

run_app_frame()
