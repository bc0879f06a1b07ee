"""The class topology in Chromium: two replicas behind a real HAProxy (and coturn), started on
loopback by ``bgapp.hosting.Cluster`` and stopped after each test.

* sessions stay on their replica through reruns and page switches, two sessions land on different
  replicas, and when a session's replica is killed the page says so, a reload lands on the live one
  with the link's settings back, and nothing of the other session shows;
* a student through the proxy never gets the server's own files as a source (whatever headers), and
  an upload stays in its own session;
* the webcam streams through the TURN relay only (``iceTransportPolicy: relay``), the path a
  student behind NAT takes, with per-session credentials from the shared secret.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgapp.hosting import Capture, Cluster, Topology, missing_programs
from tests.browser import browserkit as bk
from tests.browser import webcamkit as wk

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(bool(missing_programs()), reason=f"needs the Debian packages {missing_programs()}")]
SERVER = re.compile(r"Server (app\d+)")
MOVED = "The server that held your session"
VIEWPORT = {"width": 1280, "height": 900}


def topology(replicas: int = 2) -> Topology:
    return Topology(replicas=replicas, port=bk.free_port(), app_port=bk.free_port(), turn_port=bk.free_port())


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(topology(), tmp_path / "cluster", env={"BGAPP_ICE_SERVERS": "[]"}) as c:
        yield c


def server_of(page) -> str:
    m = SERVER.search(page.get_by_text(SERVER).first.inner_text())
    assert m, "the page does not name its server"
    return m.group(1)


def open_lab(page, url: str) -> None:
    page.goto(url)
    page.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=90_000)
    bk.wait_idle(page, timeout=120)


def history(page) -> int:
    return int(float(bk.method_slider(page, "History").input_value()))


def method_shown(page) -> str:
    """The name of the method whose summary the sidebar shows."""
    from bgapp.methods import METHODS

    text = page.locator('[data-testid="stSidebar"]').inner_text()
    shown = [name for name, m in METHODS.items() if m.summary in text]
    assert len(shown) == 1, shown
    return shown[0]


def next_frame(page) -> int:
    before = bk.lab_status(page)[0]
    page.get_by_role("button", name=re.compile("Next frame")).click()
    deadline = time.monotonic() + 60
    while bk.lab_status(page)[0] != before + 1:
        assert time.monotonic() < deadline, f"Next frame did not move on from {before}"
        page.wait_for_timeout(100)
    bk.wait_idle(page)
    return before + 1


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    bk.wait_idle(page, timeout=120)


def test_sessions_stay_on_their_replica_and_move_when_it_dies(cluster: Cluster, browser):
    a_ctx, b_ctx = browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT)
    try:
        a, b = a_ctx.new_page(), b_ctx.new_page()
        open_lab(a, f"{cluster.url}/video_lab?source=demo&method=knn&history=321")
        home = server_of(a)
        assert history(a) == 321 and method_shown(a) == "knn"
        # reruns and page switches of one session stay on its replica, with its state
        frame = next_frame(a)
        nav(a, "Compare")
        assert server_of(a) == home
        nav(a, "Video lab")
        a.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=60_000)
        bk.wait_idle(a)
        assert server_of(a) == home and bk.lab_status(a)[0] == frame and history(a) == 321
        assert next_frame(a) == frame + 1 and server_of(a) == home

        # a second browser lands on the other replica (the proxy balances by open connections)
        open_lab(b, f"{cluster.url}/video_lab?source=demo&method=mog2&history=77")
        other = server_of(b)
        assert other != home and history(b) == 77 and method_shown(b) == "mog2"
        b_frame = next_frame(b)

        # a plays; its replica dies under it
        a.get_by_role("button", name=re.compile("Play")).click()
        a.get_by_text("playing at").first.wait_for(timeout=60_000)
        cluster.kill(home)
        a.get_by_text(MOVED).first.wait_for(timeout=60_000)
        note = a.get_by_text(MOVED).first.inner_text()
        assert f"({home}) stopped" in note and f"new session on {other}" in note
        assert server_of(a) == other
        bk.screenshot(a, "hosting-moved")

        # a reload lands on the live replica with the link's settings, and nothing of b's session
        a.reload()
        a.get_by_text(bk.LAB_STATUS).first.wait_for(timeout=90_000)
        bk.wait_idle(a, timeout=120)
        assert server_of(a) == other
        assert history(a) == 321 and method_shown(a) == "knn"
        assert not a.get_by_text(MOVED).count(), "a reload on the same replica is not a move"
        assert not bk.page_problems(a), bk.page_problems(a)
        bk.screenshot(a, "hosting-after-reload")

        # b never noticed: same replica, same session, no note
        assert server_of(b) == other and bk.lab_status(b)[0] == b_frame and history(b) == 77
        assert next_frame(b) == b_frame + 1
        assert not b.get_by_text(MOVED).count()
    finally:
        a_ctx.close()
        b_ctx.close()


FOLDER = "Folder or file on this computer"


def test_students_never_get_the_servers_files_and_uploads_stay_in_their_session(browser, tmp_path: Path):
    from tests import badfiles as bf

    # BGAPP_LOCAL_FILES unset: the replicas judge each visitor by the connection (ui.visitor)
    with Cluster(topology(), tmp_path / "cluster", env={"BGAPP_ICE_SERVERS": "[]", "BGAPP_LOCAL_FILES": ""}) as c:
        forged = {"X-Real-IP": "127.0.0.1", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "localhost",
                  "Forwarded": "for=127.0.0.1"}
        contexts = [browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT,
                                                                                extra_http_headers=forged)]
        try:
            pages = [ctx.new_page() for ctx in contexts]
            for page in pages:  # through the proxy: a student, whatever the headers say
                open_lab(page, f"{c.url}/video_lab")
                side = page.locator('[data-testid="stSidebar"]')
                # the sources' radio is drawn with all its options at once; wait for it (a rerun that the
                # address's session mark starts can be redrawing the sidebar when the page looks idle)
                side.get_by_text("Built-in demo", exact=True).first.wait_for(timeout=60_000)
                assert not side.get_by_text(FOLDER).count(), "a student through the proxy was offered server files"
            # the same replica, opened on this machine without the proxy, does offer them: the check can fail
            direct = contexts[0].new_page()
            s = c.servers[0]
            open_lab(direct, f"http://127.0.0.1:{s.port}/video_lab")
            direct.locator('[data-testid="stSidebar"]').get_by_text(FOLDER).first.wait_for(timeout=60_000)
            direct.close()

            # an upload is its session's alone
            clip = bf.mp4(tmp_path / "mine.mp4", n=30, w=160, h=120)
            a, b = pages
            side_a = a.locator('[data-testid="stSidebar"]')
            side_a.get_by_text("Upload a video", exact=True).click()
            bk.wait_idle(a)
            side_a.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(clip))
            a.get_by_text(re.compile(r"frame \d+ / 30\b")).first.wait_for(timeout=90_000)
            side_b = b.locator('[data-testid="stSidebar"]')
            side_b.get_by_text("Upload a video", exact=True).click()
            bk.wait_idle(b)
            assert not b.get_by_text("mine.mp4").count(), "another session's upload showed"
            assert not side_b.get_by_text("In use:").count()
        finally:
            for ctx in contexts:
                ctx.close()


@pytest.mark.slow
def test_webcam_streams_through_the_turn_relay(request: pytest.FixtureRequest, tmp_path: Path):
    """In a loopback-only network namespace (like the other webcam tests)."""
    if not bk.only_loopback():
        wk.run_isolated(request.node.nodeid, tmp_path)
        return
    from playwright.sync_api import sync_playwright

    clip = bk.synthetic_clip(tmp_path / "cam.y4m", n_frames=60, width=320, height=240, fps=15)
    env = {"BGAPP_ICE_POLICY": "relay", "BGAPP_ICE_SERVERS": "[]",
           "PYTHONPATH": f"{bk.NETNS_SITE}:{bk.ROOT}"}
    t = Topology(replicas=2, port=bk.free_port(), app_port=bk.free_port(), turn_port=bk.free_port(),
                 capture=Capture(320, 240, 15))
    with Cluster(t, tmp_path / "cluster", env=env) as c, sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True,
                               args=[*bk.CHROMIUM_ARGS, *bk.fake_camera_args(clip)])
        try:
            page = b.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.goto(f"{c.url}/webcam")
            bk.wait_idle(page, timeout=120)
            page.get_by_text("Relay only: every stream goes through the TURN server").first.wait_for()
            assert page.get_by_text("Cameras are asked for 320x240 at 15 fps").count()
            assert not page.locator('[data-testid="stAlert"]').filter(has_text="cannot connect").count()
            page.frame_locator("iframe").first.get_by_role("button", name=re.compile("start", re.I)).click()
            deadline = time.monotonic() + 120
            while wk.frames_processed(page) < 30:
                assert time.monotonic() < deadline, "no frames came through the relay:\n" + c.processes["turn"].tail()
                page.wait_for_timeout(250)
            bk.screenshot(page, "hosting-webcam-relay")
        finally:
            b.close()
        log = (tmp_path / "cluster" / "turn.log").read_text(errors="replace")
        # the browser's allocation: a session's own user name (<expiry>:<session id>), not the page's check
        users = set(re.findall(r"user <(\d+:[^>]+)>: incoming packet ALLOCATE processed, success", log))
        sessions = {u for u in users if not u.endswith(":bgapp-check")}
        assert sessions, "no session allocated a relay on coturn:\n" + log[-3000:]
        for user in sessions:
            assert int(user.split(":")[0]) > time.time()  # credentials that expire, in the future


def test_a_browser_on_the_server_itself_is_local(page):
    """``streamlit run app.py`` listens on every interface, where a browser on the same machine
    arrives as ``::ffff:127.0.0.1`` (reproduced on loopback alone by binding that address): it gets
    the server's files as a source and no warning about TURN."""
    env = {"BGAPP_LOCAL_FILES": "", "BGAPP_ICE_SERVERS": "", "BGAPP_TURN_SECRET": "", "BGAPP_TURN_URLS": ""}
    with bk.streamlit_server(log=bk.ARTIFACTS / "server-mapped.log", env=env,
                             options=["--server.address", "::ffff:127.0.0.1"]) as server:
        open_lab(page, f"{server.url}/video_lab")
        assert page.locator('[data-testid="stSidebar"]').get_by_text(FOLDER).count(), "not offered locally"
        page.goto(f"{server.url}/webcam")
        bk.wait_idle(page, timeout=120)
        page.get_by_text("Cameras are asked for").first.wait_for()
        assert not page.get_by_text("No TURN server is set up").count()
        assert not bk.page_problems(page), bk.page_problems(page)
