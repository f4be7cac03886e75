"""Entry for the first visit to /continuation after a server start (see ui/first_visit.py); the page
itself is pages/nonconvex/continuation.py."""

from ui.first_visit import run_app_frame

run_app_frame()
