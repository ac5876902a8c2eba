"""Start N OptViz processes on 127.0.0.1 and nginx in front of them, each browser kept on one process.

Run from anywhere: ``python deploy/launch.py --processes 4 --listen 0.0.0.0:8080`` serves the app at
port 8080 until Ctrl-C, then stops every process it started. Streamlit keeps a session's state in
the process its websocket reached, so nginx routes by a cookie it sets on a browser's first request
(``deploy/optviz.conf.template`` says why not ``ip_hash``). The processes listen on consecutive
ports from ``--first-port`` on 127.0.0.1 only: nginx is the one door. nginx is Debian's package
(``apt-get install -y nginx``), run in the foreground as this user with its configuration, logs,
pid file and temporary files in ``--workdir`` (a new temporary directory by default), so it needs
no system configuration and leaves none behind. Each process reads the repository's
``.streamlit/config.toml`` (no file watching, no error details shown to visitors).

``start_deployment`` does the same for the tests and the benchmark (tests/test_deploy.py,
benchmarks/bench_load_protocol.py) and hands back the processes and the access log, whose lines
name each request's route and the process that answered it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent  # the repository: app.py lives here
TEMPLATE = HERE / "optviz.conf.template"
START_TIMEOUT = 90.0  # seconds for one process (or nginx) to answer its health check
NGINX = "nginx"
PLACEHOLDER = re.compile(r"\$\{(OPTVIZ_[A-Z_]+)\}")

# nginx's main configuration around the template: no system paths, so it runs from any folder.
MAIN_CONF = """\
daemon off;
worker_processes {workers};
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {workdir}/temp/body;
    proxy_temp_path {workdir}/temp/proxy;
    fastcgi_temp_path {workdir}/temp/fastcgi;
    uwsgi_temp_path {workdir}/temp/uwsgi;
    scgi_temp_path {workdir}/temp/scgi;
    include {workdir}/optviz.conf;
}}
"""


def render(template: str, values: dict[str, str]) -> str:
    """The template with every ``${OPTVIZ_NAME}`` replaced; a name without a value is an error."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)} in the nginx template")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def free_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on now. All are held while the OS picks them: asked
    one at a time, a port just let go may come back, and nginx then finds its own port taken by an app."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` or ``port`` -> (host, port); a malformed value is a ValueError naming it."""
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen {listen!r}: expected host:port or port, the port from 1 to 65535")
    return host or "127.0.0.1", int(port)


def wait_healthy(url: str, proc: subprocess.Popen, what: str, timeout: float = START_TIMEOUT,
                 server: str = "") -> None:
    """Poll ``url``'s ``/_stcore/health`` until it answers ``ok`` with a ``Server`` header starting with
    ``server``. Naming the server matters for a proxy: while nginx fails to bind a taken port (it retries
    for 2 s before it exits), whatever holds that port answers in its place."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as response:
                answered_by = response.headers.get("Server", "")
                if response.read().strip() == b"ok" and answered_by.startswith(server):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url}/_stcore/health within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process we started, with its process group (its own: started with start_new_session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@dataclass
class Deployment:
    url: str  # where browsers go: nginx
    app_urls: list[str]  # each process, on 127.0.0.1
    workdir: Path
    apps: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    @property
    def app_pids(self) -> list[int]:
        return [proc.pid for proc in self.apps]

    def app_logs(self) -> list[str]:
        return [(self.workdir / f"app-{i}.log").read_text(errors="replace") for i in range(len(self.apps))]

    def stop(self) -> None:
        for proc in ([self.nginx] if self.nginx else []) + self.apps:
            stop(proc)


def start_deployment(processes: int, workdir: Path, listen: str | None = None, first_port: int | None = None,
                     nginx_workers: int = 1, app_root: Path = ROOT) -> Deployment:
    """``processes`` app processes and nginx in front, all answering their health checks; stop() ends them.

    Ports default to free ones the OS picks (tests run beside other servers); ``listen`` is nginx's.
    ``app_root`` is the folder holding app.py (and its .streamlit/config.toml), the repository by default.
    """
    if not 1 <= processes <= 64:
        raise ValueError(f"processes={processes}: from 1 to 64")
    if shutil.which(NGINX) is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install -y nginx)")
    chosen = free_ports(processes + 1)
    host, port = parse_listen(listen) if listen else ("127.0.0.1", chosen[0])
    ports = [first_port + i for i in range(processes)] if first_port else chosen[1:]
    if port in ports:
        raise ValueError(f"nginx's port {port} is also an app process's port ({ports[0]} to {ports[-1]})")
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # nginx's workers run as another user when started by root: they must reach temp/
    (workdir / "temp").mkdir(exist_ok=True)
    deployment = Deployment(f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}",
                            [f"http://127.0.0.1:{p}" for p in ports], workdir)
    try:
        for i, app_port in enumerate(ports):
            log = open(workdir / f"app-{i}.log", "w")
            deployment.apps.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(app_root / "app.py"), "--server.headless", "true",
                 "--server.port", str(app_port), "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false"],
                cwd=app_root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for i, (proc, url) in enumerate(zip(deployment.apps, deployment.app_urls)):
            wait_healthy(url, proc, f"app process {i} ({url})")
        servers = "\n    ".join(f"server 127.0.0.1:{p};" for p in ports)
        (workdir / "optviz.conf").write_text(render(TEMPLATE.read_text(), {
            "OPTVIZ_SERVERS": servers, "OPTVIZ_LISTEN": f"{host}:{port}",
            "OPTVIZ_ACCESS_LOG": str(workdir / "access.log")}))
        (workdir / "nginx.conf").write_text(MAIN_CONF.format(workers=nginx_workers, workdir=workdir))
        nginx_log = open(workdir / "nginx.out", "w")
        deployment.nginx = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"),
                                             "-e", str(workdir / "error.log")],
                                            stdout=nginx_log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_healthy(deployment.url, deployment.nginx, f"nginx ({deployment.url})", server="nginx")
        except RuntimeError as error:
            error_log = workdir / "error.log"
            said = error_log.read_text(errors="replace") if error_log.exists() else "(none written)"
            raise RuntimeError(f"{error}; its error log:\n{said}") from None
    except BaseException:
        deployment.stop()
        raise
    return deployment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="app processes (default: one per core)")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address, host:port (127.0.0.1:8080)")
    parser.add_argument("--first-port", type=int, default=8601, help="the first app process's port (8601)")
    parser.add_argument("--nginx-workers", type=int, default=1, help="nginx worker processes (1 is plenty)")
    parser.add_argument("--workdir", type=Path, help="nginx's configuration and logs (default: a new temporary folder)")
    args = parser.parse_args(argv)
    try:
        parse_listen(args.listen)
    except ValueError as error:
        parser.error(str(error))
    if not 1 <= args.processes <= 64 or not 1 <= args.nginx_workers <= 64:
        parser.error(f"--processes {args.processes} / --nginx-workers {args.nginx_workers}: each from 1 to 64")
    if not 1024 <= args.first_port <= 65535 - args.processes:
        parser.error(f"--first-port {args.first_port}: the app ports must fit from 1024 to 65535")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="optviz-deploy-"))
    try:
        deployment = start_deployment(args.processes, workdir.resolve(), args.listen, args.first_port,
                                      args.nginx_workers)
    except ValueError as error:  # the ports asked for overlap
        parser.error(str(error))
    print(f"OptViz: {deployment.url} -> {', '.join(deployment.app_urls)}; logs in {workdir}", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(proc.poll() is None for proc in deployment.apps + [deployment.nginx]):
            time.sleep(1)
        print("a process ended; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        deployment.stop()


if __name__ == "__main__":
    raise SystemExit(main())
