"""Entry for the first visit to /data_normalization after a server start (see ui/first_visit.py); the page
itself is pages/curvature/data_normalization.py."""

from ui.first_visit import run_app_frame

run_app_frame()
