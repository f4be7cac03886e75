"""Entry for the first visit to /second_order after a server start (see ui/first_visit.py); the page
itself is pages/curvature/second_order.py."""

from ui.first_visit import run_app_frame

run_app_frame()
