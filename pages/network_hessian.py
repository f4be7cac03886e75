"""Entry for the first visit to /network_hessian after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/network_hessian.py."""

from ui.first_visit import run_app_frame

run_app_frame()
