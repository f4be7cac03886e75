# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The warm-up fills JAX's persistent compilation cache (.jax_cache) in the background, printing a
# line per landscape and page, so first visits load compiled programs instead of compiling them.
run: $(VENV)/.runtime
	nice -n 10 $(BIN)/python warmup.py --pages & \
	exec $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM). Install it with: sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	$(BIN)/python -m bench.run_all
	$(BIN)/python -m bench.soak --short

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache
