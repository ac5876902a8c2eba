"""Two app processes behind nginx (deploy/launch.py): sessions spread over both, and each stays on one.

``start_deployment`` starts two ``streamlit run app.py`` processes on free 127.0.0.1 ports and
Debian's nginx in front of them with deploy/optviz.conf.template: a browser's first request gets
a random route in a cookie, and the route picks the process. Through nginx, ``SESSIONS``
protocol sessions (tests/streamlit_client.py: the page's three HTTP requests, keeping the cookie,
then the websocket) open their own links and move Adam's learning rate for ``DURATION`` s.

Checked, from three sides that do not share a source:
- the answers: every one carried the session's own Adam path (bit for bit, float32, against
  ``optviz.simulate`` run here), no error, no cross-talk, as on one process;
- nginx's access log (route, upstream address per request): every request of a session's route
  (its page, health, host-config and websocket) went to one process, and every route that the
  sessions were given appears there;
- the processes' own counters (``/_stcore/metrics``, asked of each directly): each opened sessions,
  together exactly one per protocol session.

With ``SESSIONS`` = 16 random routes and two processes on a consistent-hash ring, all of them on one
process has probability about 2 x 2^-16 (the ring's split is near one half, not exactly): a failure
here is a routing fault, not bad luck.
"""
from __future__ import annotations

import re
import shutil
import sys
import threading
import urllib.request
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT
from streamlit_client import protocol_load
from test_load import run_in_own_thread

sys.path.insert(0, str(ROOT / "deploy"))
from launch import free_ports, start_deployment  # noqa: E402  (deploy/ is a folder of scripts, not a package)

SESSIONS = 16
DURATION = 10.0  # seconds of moves once every session is up
INTERVAL = 2.0
ROUTE_COOKIE = "optviz_route"
ACCESS_LINE = re.compile(r"route=(?P<route>\S+) upstream=(?P<upstream>\S+) status=(?P<status>\d+) "
                         r'request="(?P<request>[^"]*)"')
CONNECTS = re.compile(r'^session_events_total\{type="connect"\} (\d+)$', re.MULTILINE)


def sessions_opened(app_url: str) -> int:
    """How many sessions the process has opened, by its own count."""
    with urllib.request.urlopen(app_url + "/_stcore/metrics", timeout=10) as response:
        match = CONNECTS.search(response.read().decode())
    return int(match[1]) if match else 0


def test_two_processes_behind_nginx_share_the_sessions_and_keep_each_on_one(tmp_path):
    if shutil.which("nginx") is None:  # a failure, not a skip: the deployment must be tested wherever the suite runs
        pytest.fail("nginx is missing: bash .ci/install-test-deps installs it (Debian: apt-get install -y nginx)")
    deployment = start_deployment(2, tmp_path / "deploy")
    try:
        report = run_in_own_thread(lambda: protocol_load(deployment.url, SESSIONS, DURATION, deployment.app_pids,
                                                         interval=INTERVAL, min_changes=1))
        opened = [sessions_opened(url) for url in deployment.app_urls]
    finally:
        deployment.stop()
    print()
    print("\n".join(report.lines()))

    assert not report.errors, "\n".join(report.errors[:20])
    assert not report.cross_talk, "\n".join(report.cross_talk[:20])
    for log in report.logs:
        assert log.checks == 1 + log.changes >= 2, f"session {log.session}: {log.checks} answers checked"

    upstreams_of = defaultdict(set)  # route -> the processes its requests reached
    requests_of = defaultdict(list)
    for line in deployment.access_log.read_text().splitlines():
        match = ACCESS_LINE.search(line)
        assert match, f"an access log line in an unexpected format: {line!r}"
        upstreams_of[match["route"]].add(match["upstream"])
        requests_of[match["route"]].append(match["request"])
    routes = [log.cookies.get(ROUTE_COOKIE) for log in report.logs]
    assert all(routes) and len(set(routes)) == SESSIONS, f"every session gets its own route cookie: {routes}"
    for log, route in zip(report.logs, routes):
        assert any("/_stcore/stream" in r for r in requests_of[route]), f"session {log.session}: no websocket logged"
        assert len(upstreams_of[route]) == 1, f"session {log.session} reached {upstreams_of[route]}"
    served = {next(iter(upstreams_of[route])) for route in routes}
    assert served == {url.removeprefix("http://") for url in deployment.app_urls}, served

    assert all(n > 0 for n in opened) and sum(opened) == SESSIONS, f"sessions opened per process: {opened}"
    for i, text in enumerate(deployment.app_logs()):
        assert "Traceback" not in text, f"app process {i}:\n{text[-3000:]}"


def test_ports_chosen_together_are_all_different():
    # One at a time, the OS hands back ports it just let go (300 drawn so held a repeat in 20 of 20 tries here): CI once
    # gave nginx an app's port, and the app answered nginx's health check. 300 at once must all differ.
    ports = free_ports(300)
    assert len(set(ports)) == len(ports), sorted(p for p in ports if ports.count(p) > 1)


def test_nginx_on_an_app_port_is_refused_before_anything_starts(tmp_path):
    with pytest.raises(ValueError, match="8602"):
        start_deployment(2, tmp_path, listen="127.0.0.1:8602", first_port=8601)
    assert not (tmp_path / "app-0.log").exists()


class _AnswersOk(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802  (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_another_server_on_nginx_port_is_not_taken_for_nginx(tmp_path):
    """While nginx retries a taken port, the port's holder answers ``ok``: the launcher must wait for
    nginx itself (its ``Server`` header) and report nginx's failure, not serve the class from elsewhere."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is missing: bash .ci/install-test-deps installs it (Debian: apt-get install -y nginx)")
    holder = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersOk)
    threading.Thread(target=holder.serve_forever, daemon=True).start()
    try:
        with pytest.raises(RuntimeError, match=r"(?s)nginx .* exited.*Address already in use"):
            start_deployment(1, tmp_path, listen=f"127.0.0.1:{holder.server_port}").stop()  # stopped if taken
    finally:
        holder.shutdown()
        holder.server_close()
