"""Hosting for a class: the rendered configurations, TURN credentials against a real coturn, who
counts as a local visitor, and the replicas behind a real HAProxy (HTTP level; the browser tests
are in tests/browser/test_browser_hosting.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bgapp.challenge import TEACHER_PASSCODE_ENV
from bgapp.hosting import COOKIE, LOCAL_FILES_ENV, Capture, Cluster, Topology, missing_programs, to_yaml
from bgapp.store import DATABASE_URL_ENV
from bgapp.turn import TurnUrl, credentials, probe
from tests.browser.browserkit import free_port

ROOT = Path(__file__).resolve().parents[1]
needs_servers = pytest.mark.skipif(bool(missing_programs()), reason=f"needs the Debian packages {missing_programs()}")


# Rendered files -----------------------------------------------------------------------------------

def test_deploy_folder_is_what_the_topology_renders():
    """deploy/ is the compose variant of the one Topology; regenerate it with the command in its header."""
    files = Topology(replicas=4).deploy_files()
    for name, text in files.items():
        assert (ROOT / "deploy" / name).read_text() == text, (
            f"deploy/{name} is stale: python -m bgapp host --replicas 4 --write deploy")


def test_compose_file_is_yaml_of_the_topology():
    yaml = pytest.importorskip("yaml")
    t = Topology(replicas=3, capture=Capture(320, 240, 15))
    doc = yaml.safe_load(to_yaml(t.compose()))
    assert doc == json.loads(json.dumps(t.compose()))
    apps = [s for s in doc["services"] if s.startswith("app")]
    assert apps == ["app1", "app2", "app3"]
    env = doc["services"]["app2"]["environment"]
    assert env["BGAPP_REPLICA"] == "app2" and env[LOCAL_FILES_ENV] == "0" and env["BGAPP_CAPTURE"] == "320x240@15"
    # the secrets come from .env, never from the file itself
    assert env["BGAPP_TURN_SECRET"].startswith("${BGAPP_TURN_SECRET:?")
    assert doc["services"]["turn"]["network_mode"] == "host"


def test_compose_replicas_share_one_challenge_database_and_the_teacher_passcode():
    """Each container's own SQLite file would give each replica its own leaderboard: the replicas
    name the compose file's PostgreSQL service, as its user, password and database."""
    from urllib.parse import urlsplit

    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(to_yaml(Topology(replicas=3).compose()))
    db = doc["services"]["db"]
    assert db["image"].startswith("postgres:") and doc["volumes"] == {"db": {}}
    assert db["volumes"] == ["db:/var/lib/postgresql/data"]
    user, name = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    assert db["healthcheck"]["test"] == ["CMD", "pg_isready", "-U", user, "-d", name]
    for app in ("app1", "app2", "app3"):
        service = doc["services"][app]
        env = service["environment"]
        url = urlsplit(env[DATABASE_URL_ENV].replace(db["environment"]["POSTGRES_PASSWORD"], "secret"))
        assert (url.scheme, url.hostname, url.port, url.username, url.password, url.path) == (
            "postgresql", "db", 5432, user, "secret", f"/{name}")
        assert env[TEACHER_PASSCODE_ENV].startswith("${BGAPP_TEACHER_PASSCODE:?")
        assert service["depends_on"] == {"db": {"condition": "service_healthy"}}
    example = Topology().deploy_files()["env.example"]
    assert "\nBGAPP_DB_PASSWORD=" in example and "\nBGAPP_TEACHER_PASSCODE=" in example


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy (apt-get install haproxy)")
@pytest.mark.parametrize("variant", ["local", "docker"])
def test_haproxy_accepts_both_configurations(tmp_path: Path, variant: str):
    t = Topology(replicas=3)
    text = (t.haproxy_cfg(t.local_servers(), bind="127.0.0.1") if variant == "local"
            else t.deploy_files()["haproxy.cfg"])
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    r = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("app1", "app2", "app3"):
        assert f"cookie {name}" in text
    assert "option redispatch" in text and "option httpchk GET /_stcore/health" in text


def test_loopback_relaying_is_only_for_the_loopback_topology():
    t = Topology()
    assert "allow-loopback-peers" in t.turnserver_conf("127.0.0.1", "127.0.0.1", loopback_peers=True)
    real = t.turnserver_conf(None, None)
    assert "allow-loopback-peers" not in real and "denied-peer-ip=127.0.0.0-127.255.255.255" in real
    assert "use-auth-secret" in real and "static-auth-secret" not in real


@pytest.mark.parametrize("text, expected", [
    ("320x240@15", Capture(320, 240, 15)), ("640x480", Capture(640, 480, 30)),
    (" 1280X720@30 ", Capture(1280, 720, 30)),
])
def test_capture_parses(text: str, expected: Capture):
    assert Capture.parse(text) == expected
    assert Capture.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "320", "320x", "axb@c", "10x10@15", "320x240@0", "320x240@120"])
def test_capture_refuses_nonsense(text: str):
    with pytest.raises(ValueError, match="BGAPP_CAPTURE"):
        Capture.parse(text)


def test_capture_asks_the_browser_for_ideal_values():
    c = Capture(320, 240, 15).constraints()
    assert c["audio"] is False
    assert c["video"] == {"width": {"ideal": 320}, "height": {"ideal": 240}, "frameRate": {"ideal": 15, "max": 15}}


# TURN credentials ---------------------------------------------------------------------------------

def test_credentials_follow_the_turn_rest_scheme():
    c = credentials("s3cret", "abc:def", ttl=600, now=1_700_000_000)
    assert c.username == "1700000600:abc-def" and c.expires == 1_700_000_600
    expected = base64.b64encode(hmac.new(b"s3cret", c.username.encode(), hashlib.sha1).digest()).decode()
    assert c.credential == expected
    assert credentials("s3cret", "other", ttl=600, now=1_700_000_000).credential != c.credential
    with pytest.raises(ValueError):
        credentials("", "x")
    with pytest.raises(ValueError):
        credentials("s", "x", ttl=0)


@pytest.mark.parametrize("url, host, port, transport", [
    ("turn:lab.example.org:3478", "lab.example.org", 3478, "udp"),
    ("turn:lab.example.org", "lab.example.org", 3478, "udp"),
    ("turn:10.0.0.2:5000?transport=tcp", "10.0.0.2", 5000, "tcp"),
    ("turn:[::1]:3478", "::1", 3478, "udp"),
])
def test_turn_urls(url: str, host: str, port: int, transport: str):
    assert TurnUrl.parse(url) == TurnUrl(host, port, transport)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory):
    """A real coturn on loopback with use-auth-secret; yields (url, secret)."""
    if shutil.which("turnserver") is None:
        pytest.skip("needs coturn (apt-get install coturn)")
    work = tmp_path_factory.mktemp("coturn")
    port = free_port()
    conf = work / "turnserver.conf"
    conf.write_text(Topology(turn_port=port).turnserver_conf("127.0.0.1", "127.0.0.1", loopback_peers=True)
                    + f"static-auth-secret=right-secret\nuserdb={work / 'db'}\npidfile={work / 'pid'}\n")
    with open(work / "log", "w") as log:
        proc = subprocess.Popen(["turnserver", "-c", str(conf), "--log-file=stdout"], stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"turn:127.0.0.1:{port}?transport=udp"
    try:
        deadline = time.monotonic() + 20
        while probe(url, credentials("right-secret", "ready"), timeout=1.0) is not None:
            assert proc.poll() is None, (work / "log").read_text()
            assert time.monotonic() < deadline, "coturn did not start:\n" + (work / "log").read_text()
        yield url, "right-secret"
    finally:
        proc.terminate()
        proc.wait(10)


def test_coturn_relays_for_fresh_credentials_only(coturn):
    url, secret = coturn
    assert probe(url, credentials(secret, "student-1")) is None
    wrong = probe(url, credentials("another-secret", "student-1"))
    assert wrong is not None and "refused this app's credentials" in wrong
    expired = probe(url, credentials(secret, "student-1", ttl=60, now=time.time() - 3600))
    assert expired is not None and "refused" in expired


def test_probe_works_in_a_thread_that_runs_an_event_loop(coturn):
    """Playwright's sync API, or any async caller, leaves a loop running in the calling thread."""
    import asyncio
    import concurrent.futures

    url, secret = coturn

    async def inside() -> tuple[str | None, str | None]:
        return probe(url, credentials(secret, "a")), probe(url, credentials("wrong", "a"))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # this thread may run one already (Playwright's)
        good, bad = pool.submit(asyncio.run, inside()).result()
    assert good is None and bad is not None and "refused this app's credentials" in bad


def test_probe_says_when_nothing_answers():
    port = free_port()  # nothing listens there
    why = probe(f"turn:127.0.0.1:{port}", credentials("x", "y"), timeout=1.0)
    assert why is not None and f"127.0.0.1:{port}" in why and ("did not answer" in why or "cannot reach" in why)


def test_webcam_page_says_when_turn_refuses_its_credentials(coturn, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    from ui import webcam

    url, secret = coturn
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(webcam, "_probed", {})
    monkeypatch.setenv("BGAPP_TURN_URLS", url)
    monkeypatch.setenv("BGAPP_TURN_SECRET", "not-" + secret)
    monkeypatch.delenv("BGAPP_ICE_SERVERS", raising=False)
    at = AppTest.from_file(str(ROOT / "app_pages" / "webcam.py"), default_timeout=30).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "refused this app's credentials" in errors[0], errors
    monkeypatch.setattr(webcam, "_probed", {})
    monkeypatch.setenv("BGAPP_TURN_SECRET", secret)
    at = AppTest.from_file(str(ROOT / "app_pages" / "webcam.py"), default_timeout=30).run()
    assert not at.exception and not at.error
    assert any("TURN with credentials of its own for this session" in c.value for c in at.caption)


def test_webcam_page_warns_a_remote_visitor_without_turn(monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(ROOT)
    for var in ("BGAPP_ICE_SERVERS", "BGAPP_TURN_URLS", "BGAPP_TURN_SECRET"):
        monkeypatch.delenv(var, raising=False)
    at = AppTest.from_file(str(ROOT / "app_pages" / "webcam.py"), default_timeout=30).run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if "No TURN server is set up" in w.value]


# Who is local ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("ip, headers, local", [
    (None, {"Host": "localhost:8501", "Origin": "http://localhost:8501"}, True),
    (None, {"Host": "127.0.0.1:8501"}, True),
    # `streamlit run` listens on every interface: a local browser's peer is IPv4-mapped loopback
    ("::ffff:127.0.0.1", {"Host": "127.0.0.1:8501", "Origin": "http://127.0.0.1:8501"}, True),
    ("127.0.0.1", {"Host": "localhost:8501"}, True),
    ("::ffff:10.0.0.7", {"Host": "localhost:8501"}, False),
    ("not an address", {"Host": "localhost:8501"}, False),
    (None, {"Host": "[::1]:8501", "Origin": "http://[::1]:8501"}, True),
    ("10.0.0.7", {"Host": "localhost:8501"}, False),  # a peer elsewhere
    (None, {"Host": "localhost:8601", "X-Forwarded-For": "10.0.0.7"}, False),  # HAProxy's forwardfor
    (None, {"Host": "localhost:8601", "x-real-ip": "10.0.0.7"}, False),
    (None, {"Host": "localhost", "Forwarded": "for=10.0.0.7"}, False),
    (None, {"Host": "lab.example.org:8080"}, False),  # a proxy that keeps Host
    # nginx's default: Host rewritten to the upstream, no forwarding header; the browser's Origin tells
    (None, {"Host": "127.0.0.1:8601", "Origin": "http://lab.example.org:8080"}, False),
    (None, {"Host": "127.0.0.1:8601", "Origin": "http://localhost.evil.org"}, False),
    (None, {}, False),
])
def test_who_counts_as_local(ip, headers, local):
    from ui.visitor import is_local

    assert is_local(ip, headers) is local


def test_deployments_never_offer_server_files(monkeypatch: pytest.MonkeyPatch):
    from ui import sources

    t = Topology()
    env = t.app_env("app1", "127.0.0.1", "s", "c")
    assert env[LOCAL_FILES_ENV] == "0"
    monkeypatch.setenv(LOCAL_FILES_ENV, env[LOCAL_FILES_ENV])
    monkeypatch.setattr(sources, "visitor_is_local", lambda: True)  # even a visitor who looks local
    assert sources.local_paths_allowed() is False


# A session that moved -------------------------------------------------------------------------------

def test_a_new_session_knows_a_reload_from_a_move(monkeypatch: pytest.MonkeyPatch):
    from collections import OrderedDict

    from ui import replica
    from ui.replica import arrival

    first, moved = arrival("app1", None, has_cookie=False)
    assert first.startswith("app1-") and moved is None
    assert arrival("app1", first, has_cookie=True) == (first, None)  # a reload on the same process
    monkeypatch.setattr(replica, "_KNOWN", OrderedDict())  # from here on: app2's process, which never saw it
    token, moved = arrival("app2", first, has_cookie=True)  # app1 died, the proxy sent the browser here
    assert token.startswith("app2-") and moved == "app1"
    assert arrival("app2", first, has_cookie=False)[1] is None  # a link pasted into another browser


# Replicas behind HAProxy ------------------------------------------------------------------------------

def _get(port: int, path: str = "/", cookie: str | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={**({"Cookie": f"{COOKIE}={cookie}"} if cookie else {}), **(headers or {})})
        r = conn.getresponse()
        r.read()
        ours = [c for c in r.msg.get_all("Set-Cookie") or [] if c.startswith(f"{COOKIE}=")]
        return r.status, ours[0] if ours else ""
    finally:
        conn.close()


def _healthy(port: int) -> bool:
    try:
        return _get(port, "/_stcore/health")[0] == 200
    except OSError:
        return False


@needs_servers
def test_proxy_keeps_sessions_on_their_replica_and_moves_them_when_it_dies(tmp_path: Path):
    t = Topology(replicas=2, port=free_port(), app_port=free_port(), turn_port=free_port())
    with Cluster(t, tmp_path) as cluster:
        assert all(p.alive for p in cluster.processes.values())
        # a browser without the cookie gets one that names a replica
        status, cookie = _get(t.port)
        assert status == 200 and cookie.startswith(f"{COOKIE}=app")
        # with the cookie, every request goes to that replica: no new cookie is handed out
        for name in ("app1", "app2"):
            for _ in range(3):
                assert _get(t.port, "/_stcore/health", cookie=name) == (200, "")
        cluster.kill("app1")
        deadline = time.monotonic() + 30
        while True:  # the health check notices within about 2 s; then app1's browsers go to app2
            status, cookie = _get(t.port, "/_stcore/health", cookie="app1")
            if status == 200 and cookie.startswith(f"{COOKIE}=app2"):
                break
            assert time.monotonic() < deadline, f"app1's browsers were not moved: {status} {cookie!r}"
            time.sleep(0.5)
        assert _get(t.port, "/_stcore/health", cookie="app2") == (200, "")
        log = cluster.replica("app2").tail(200)
        assert "Traceback" not in log


# The machine's load ---------------------------------------------------------------------------------

def test_machine_load_is_measured_between_samples():
    pytest.importorskip("psutil")
    from bgapp.load import BUSY, Load, _Sampler

    sampler = _Sampler(every=0.0)
    assert sampler.load() is None  # nothing to compare the first sample with
    end = time.process_time() + 0.3
    while time.process_time() < end:  # keep one core busy
        pass
    load = sampler.load()
    assert load is not None and load.cores >= 1 and 0.0 < load.busy <= load.cores
    assert Load(1.9, 2).at_limit and not Load(1.0, 2).at_limit and BUSY == 0.9
    assert Load(1.5, 2).text() == "1.5 of 2 cores busy (75 %)"


# bgapp host ---------------------------------------------------------------------------------------

def test_host_write_renders_the_deploy_files(tmp_path: Path):
    r = subprocess.run([sys.executable, "-m", "bgapp", "host", "--replicas", "3", "--capture", "320x240@15",
                        "--write", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    files = Topology(replicas=3, capture=Capture(320, 240, 15)).deploy_files()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    for name, text in files.items():
        assert (tmp_path / name).read_text() == text
    bad = subprocess.run([sys.executable, "-m", "bgapp", "host", "--capture", "big", "--write", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "WIDTHxHEIGHT@FPS" in bad.stderr and "Traceback" not in bad.stderr


@needs_servers
def test_host_restarts_a_replica_that_dies_and_stops_everything_on_sigterm(tmp_path: Path):
    import signal

    import psutil

    port, app_port, turn_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bgapp", "host", "--replicas", "2", "--port", str(port),
                             "--app-port", str(app_port), "--turn-port", str(turn_port), "--workdir", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen: list = []  # every process the command started, stopped at the end whatever happens
    try:
        line = proc.stderr.readline()
        assert "replicas behind" in line, line + proc.stderr.read()
        children = psutil.Process(proc.pid).children(recursive=True)
        seen += children
        replica = next(c for c in children if str(app_port + 1) in " ".join(c.cmdline()))
        replica.kill()
        line = proc.stderr.readline()
        assert "replica app2 stopped" in line and "restarting it" in line, line
        deadline = time.monotonic() + 60
        while not _healthy(app_port + 1):
            assert time.monotonic() < deadline, "the replica did not come back"
            time.sleep(0.5)
        while _get(port, "/_stcore/health", cookie="app2") != (200, ""):  # the proxy takes it back
            assert time.monotonic() < deadline, "the proxy did not take the replica back"
            time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        seen += children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        gone, alive = psutil.wait_procs(children, timeout=20)
        assert not alive, [p.cmdline() for p in alive]
    finally:  # a failed assertion must not leave the topology running (it runs in sessions of its own)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for child in seen:
            if child.is_running():
                child.kill()
