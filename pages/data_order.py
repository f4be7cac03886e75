"""Entry for the first visit to /data_order after a server start (see ui/first_visit.py); the page
itself is pages/deep_networks/data_order.py."""

from ui.first_visit import run_app_frame

run_app_frame()
