"""Entry for the first visit to /two_layer_networks after a server start (see ui/first_visit.py); the page
itself is pages/nonconvex/two_layer_networks.py."""

from ui.first_visit import run_app_frame

run_app_frame()
