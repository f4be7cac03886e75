# The teaching app as one container: `docker build -t optimization-lab .`
# then `docker run --init -p 8501:8501 -v jax-cache:/cache/jax optimization-lab`.
# Several replicas behind nginx: docker-compose.yml.

# ---- build stage: install the pinned requirements into a virtual environment --------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

# ---- runtime stage: the venv and the code, no build tools, no pip cache, not root ----------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JAX_PLATFORMS=cpu \
    JAX_COMPILATION_CACHE_DIR=/cache/jax \
    JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app \
    && mkdir -p /cache/jax \
    && chown app:app /cache/jax

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Owned by root: the app user can read the code but not change it.
COPY . /app

USER 10001:10001

# Compiled JAX programs, shared by restarts and replicas (declared after the chown so a new named
# volume starts out owned by the app user).
VOLUME ["/cache/jax"]

EXPOSE 8501

# --start-interval (Docker 25+): probe every 2 s while starting, so compose's nginx waits seconds, not 30 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --start-interval=2s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read().strip() == b'ok' else 1)"]

# warmup.py compiles the default races, then every page's first visit (WARMUP_PAGES=1), into the
# cache in the background, at low priority, while the server starts; the server never waits for it.
# exec makes streamlit the main process.
ENV WARMUP_PAGES=1
CMD ["sh", "-c", "nice -n 10 python warmup.py & exec streamlit run app.py --server.address=0.0.0.0 --server.port=8501 --server.headless=true --server.enableXsrfProtection=true --browser.gatherUsageStats=false"]
