"""Many users at once, and what they leave behind, against one real server.

* Eight browser sessions (eight Playwright contexts) use the Video lab at the same time, each with
  its own method or upload. Each page must show exactly what a lone session with those settings
  shows (computed here with the same Player class): no crosstalk, no shared model.
* The server runs under tests/census.py (a thread in the server writes live counts to a JSON file),
  ``server.disconnectedSessionTTL`` = 3 s, and a fresh ``TMPDIR`` and ``HOME``. After the tabs
  close, every pipeline and session folder is released, ``TMPDIR`` is empty again, ``HOME`` and
  the repository got no new file. The server's RSS is sampled throughout; the peak is printed.
* A second server with a 1 MB upload limit shows what a user sees for a file over the limit, and
  that a file named like an HTML tag is shown as text.
* Closing a webcam tab stops its camera worker and frees its processor (fake camera, inside a
  loopback-only network namespace like test_browser_webcam.py).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import census
from tests.browser import browserkit as bk
from tests.browser import webcamkit as wk
from tests.browser.relay import Relay

STATUS = re.compile(r"frame (\d+) / (\d+)")
SERVER_LOG = bk.ARTIFACTS / "server-sessions.log"
TTL = 3  # seconds Streamlit keeps a closed tab's session for a reconnect (default 120)
MAX_RSS_MB = 1500
IGNORED = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "artifacts"}


# a server with the census's statistics ------------------------------------------------------------------

@dataclass
class DebugServer:
    server: bk.Server
    stats_file: Path
    tmpdir: Path
    home: Path
    rss_mb: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def stats(self) -> dict:
        deadline = time.monotonic() + 15
        while True:
            try:
                return json.loads(self.stats_file.read_text())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def wait_stats(self, ok, timeout: float = 30.0) -> dict:
        """The first stats written after now that satisfy ``ok``."""
        t0, deadline = time.time(), time.monotonic() + timeout
        while True:
            s = self.stats()
            if s["time"] > t0 and ok(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"server statistics never became right within {timeout:.0f} s: {s}")
            time.sleep(0.3)


def _sample_rss(pid: int, out: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.25):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            return


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory) -> Iterator[DebugServer]:
    base = tmp_path_factory.mktemp("sessions")
    tmpdir, home, stats = base / "tmp", base / "home", base / "stats" / "stats.json"
    for d in (tmpdir, home, stats.parent):
        d.mkdir()
    env = {"TMPDIR": str(tmpdir), "HOME": str(home), "BGAPP_LOCAL_FILES": "0"}
    with bk.streamlit_server(log=SERVER_LOG, env=env, prefix=census.launcher(stats),
                             options=["--server.disconnectedSessionTTL", str(TTL)]) as server:
        ds = DebugServer(server, stats, tmpdir, home)
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_rss, args=(server.proc.pid, ds.rss_mb, stop), daemon=True)
        sampler.start()
        try:
            yield ds
        finally:
            stop.set()
            sampler.join(2)


def repo_files() -> set[Path]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(bk.ROOT):
        dirnames[:] = [d for d in dirnames if d not in IGNORED]
        out.update(Path(dirpath) / f for f in filenames)
    return out


# what a lone session shows ------------------------------------------------------------------------------

def expected_view(source, config, index: int) -> tuple[str, str]:
    """(status prefix, metric) a single session shows at frame ``index`` with ``config``."""
    from bgapp.display import fmt
    from bgapp.player import Player

    p = Player(source, config)
    s = p.seek(index)
    status = f"frame {s.index + 1} / {p.clip.n}"
    if p.clip.has_gt:
        return status, fmt(p.total.f_measure)
    return status, f"{100 * s.fraction:.1f} %"


@dataclass
class Spec:
    method: str = "mog2"
    params: dict = field(default_factory=dict)
    clip: Path | None = None
    rerun: bool = False


def _metric(page, name: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(name, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _status(page, timeout: float | None = None) -> str:
    m = STATUS.search(page.get_by_text(STATUS).first.inner_text(timeout=timeout))
    return m.group(0)


def _choose_method(page, method: str) -> None:
    from bgapp.methods import METHODS

    title = METHODS[method].title
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has=page.get_by_text("Method", exact=True)).first
    for _ in range(5):  # a rerun that lands meanwhile redraws the box and closes its list: try again
        bk.wait_idle(page, timeout=120)
        box.click()
        option = page.get_by_role("option", name=title)
        try:
            option.click(timeout=5_000)
        except Exception:  # noqa: BLE001
            page.keyboard.press("Escape")
            continue
        return
    bk.screenshot(page, f"FAILED-choose-{method}")
    raise AssertionError(f"could not choose {title} in the Method box")


def _upload(page, clip: Path) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Upload a video", exact=True).click()
    bk.wait_idle(page)
    sidebar.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(clip))


def _settle(page, want_status: str, who: str, timeout: float = 120) -> None:
    """Wait until the idle page's status line says ``want_status``; on failure, say what it showed
    instead (the status line, or the page's text where it has none) and keep a screenshot."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        bk.wait_idle(page, timeout=timeout)
        try:
            last = _status(page, timeout=5_000)
            if last == want_status:
                return
        except Exception:  # noqa: BLE001 - the status line is being replaced, or absent
            last = None
        if time.monotonic() > deadline:
            bk.screenshot(page, f"FAILED-settle-{who}")
            said = " | ".join(page.locator(f'[data-testid="{part}"]').inner_text().strip().replace("\n", " | ")[:1200]
                              for part in ("stSidebarUserContent", "stMain"))
            shown = repr(last) if last else f"no status line; the sidebar and the page say: {said}"
            log = SERVER_LOG.read_text(errors="replace")[-3000:] if SERVER_LOG.exists() else "(none)"
            raise AssertionError(f"session {who} never showed {want_status!r} ({shown}); the server log ends:\n{log}")
        page.wait_for_timeout(300)


@pytest.mark.browser
@pytest.mark.slow
def test_eight_sessions_at_once_then_everything_is_released(debug_server, browser, tmp_path):
    from bgapp.config import Config
    from bgapp.synthetic import SyntheticScene
    from bgapp.video import VideoSource
    from tests import badfiles as bf

    before_repo = repo_files()
    clips = [bf.mp4(tmp_path / "walk.mp4", n=60, w=160, h=120), bf.mp4(tmp_path / "lobby.mp4", n=80, w=128, h=96,
                                                                       fps=20)]
    specs = [Spec(), Spec("knn"), Spec("absdiff"), Spec("frame_diff"), Spec("mog2", {"n_mixtures": 10}),
             Spec("cnt", rerun=True), Spec(clip=clips[0]), Spec("knn", clip=clips[1], rerun=True)]
    expected = []
    for spec in specs:
        cfg = Config(spec.method, spec.params)
        if spec.clip is None:
            expected.append(expected_view(SyntheticScene(), cfg, 299 if spec.rerun else 100))
        else:
            src = VideoSource(spec.clip, max_side=640)
            n = len(src)
            expected.append(expected_view(src, cfg, n - 1 if spec.rerun else min(n - 1, round(4 * src.fps))))
    demo_metrics = [m for (st, m), s in zip(expected, specs) if s.clip is None and not s.rerun]
    assert len(set(demo_metrics)) == len(demo_metrics), f"settings too alike to tell sessions apart: {expected}"

    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in specs]
    pages = [c.new_page() for c in contexts]
    for p in pages:
        p.set_default_timeout(90_000)
    url = bk.page_url(pages[0], debug_server.url, "video_lab")
    t0 = time.monotonic()
    try:
        for p in pages:  # all at once: nobody waits for anybody
            p.goto(url)
        for p in pages:
            bk.wait_idle(p, timeout=120)
        for p, spec in zip(pages, specs):
            if spec.clip is not None:
                _upload(p, spec.clip)
        for p, spec in zip(pages, specs):
            if spec.clip is not None:
                p.get_by_text(spec.clip.name).first.wait_for(timeout=90_000)
                bk.wait_idle(p, timeout=120)
            if spec.method != "mog2":
                _choose_method(p, spec.method)
            if spec.params:
                slider = p.get_by_role("slider", name="N mixtures")
                slider.focus()
                slider.press("End")
        for p, spec in zip(pages, specs):
            if spec.rerun:
                bk.wait_idle(p, timeout=120)
                p.get_by_role("button", name=re.compile("Re-run from start")).click()
        held = debug_server.stats()
        shown = []
        for k, (p, (status, _)) in enumerate(zip(pages, expected)):
            _settle(p, status, f"{k} ({specs[k].method}{', ' + specs[k].clip.name if specs[k].clip else ''}"
                               f"{', re-run' if specs[k].rerun else ''})")
            shown.append((_status(p), _metric(p, "F-measure") if "F-measure" in p.inner_text("body")
                          else _metric(p, "Foreground")))
            assert not bk.page_problems(p), bk.page_problems(p)
        elapsed = time.monotonic() - t0
        bk.screenshot(pages[1], "sessions_knn")
        busy = debug_server.stats()
        for k, (got, want) in enumerate(zip(shown, expected)):
            assert got == want, f"session {k} ({specs[k]}) shows {got}, a lone session shows {want}"
        assert busy["pipelines"] >= len(specs) and held["sessions_active"] >= len(specs), (held, busy)
        assert len(busy["session_dirs"]) >= 3, busy  # the uploads and the re-runs wrote files
    finally:
        for c in contexts:
            c.close()
    print(f"8 sessions: all settled in {elapsed:.1f} s; server RSS peak {max(debug_server.rss_mb):.0f} MB "
          f"({len(debug_server.rss_mb)} samples); pipelines while open {busy['pipelines']}")

    done = debug_server.wait_stats(lambda s: s["sessions_tracked"] == 0 and s["pipelines"] == 0
                                   and not s["session_dirs"], timeout=TTL + 30)
    assert done["sessions_ended"] >= len(specs)
    assert not list(debug_server.tmpdir.iterdir()), f"left in TMPDIR: {list(debug_server.tmpdir.iterdir())}"
    assert not list(debug_server.home.rglob("*")), f"written to HOME: {list(debug_server.home.rglob('*'))}"
    new = repo_files() - before_repo
    assert not new, f"new files in the repository: {sorted(new)[:10]}"
    peak = max(debug_server.rss_mb)
    print(f"after the tabs closed: RSS {done.get('rss_mb', 0):.0f} MB, peak {peak:.0f} MB")
    assert peak < MAX_RSS_MB, f"server RSS peaked at {peak:.0f} MB"


# a tab that comes back after its session expired ----------------------------------------------------------

@pytest.mark.browser
def test_a_tab_back_after_its_session_expired_is_told_its_upload_is_gone(debug_server, page, tmp_path):
    """Its upload box still lists the file, which the new session never received: the page empties
    the box and says what happened, instead of listing a file it does not have beside "Upload a video
    to start"; the tab carries on with the file uploaded again."""
    from tests import badfiles as bf
    from ui.sources import LOST_UPLOAD

    clip = bf.mp4(tmp_path / "walk.mp4", n=60, w=160, h=120)
    sidebar = page.locator('[data-testid="stSidebar"]')
    uploaded = sidebar.locator('[data-testid="stFileChip"]')
    with Relay(int(debug_server.url.rsplit(":", 1)[1])) as relay:
        bk.open_page(page, relay.url, "video_lab")
        _upload(page, clip)
        page.get_by_text(STATUS).first.wait_for()
        bk.wait_idle(page)
        assert uploaded.filter(has_text="walk.mp4").count() == 1
        debug_server.wait_stats(lambda s: s["sessions_tracked"] == 1, timeout=TTL + 30)  # earlier tests' tabs end
        relay.cut()
        debug_server.wait_stats(lambda s: s["sessions_tracked"] == 0, timeout=TTL + 30)  # the server ended this one
        relay.restore()
        bk.wait_idle(page, timeout=60)  # connected again, to a new session
        page.get_by_role("button", name=re.compile("Next frame")).click()  # the user carries on
        warning = sidebar.get_by_text(LOST_UPLOAD)
        warning.wait_for()
        bk.wait_idle(page)
        bk.screenshot(page, "session_expired_upload_gone")
        assert uploaded.count() == 0, "the upload box still lists a file the session does not have"
        assert page.get_by_text(STATUS).count() == 0
        assert not bk.page_problems(page), bk.page_problems(page)
        sidebar.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(clip))
        page.get_by_text(STATUS).first.wait_for()
        bk.wait_idle(page)
        assert warning.count() == 0 and uploaded.filter(has_text="walk.mp4").count() == 1
        assert not bk.page_problems(page), bk.page_problems(page)


# the upload limit and HTML in file names ---------------------------------------------------------------

@pytest.fixture(scope="module")
def small_upload_server() -> Iterator[bk.Server]:
    with bk.streamlit_server(log=bk.ARTIFACTS / "server-upload-limit.log",
                             options=["--server.maxUploadSize", "1"]) as server:
        yield server


@pytest.mark.browser
def test_a_file_over_the_upload_limit_is_refused_in_the_browser(page, small_upload_server, tmp_path):
    big = tmp_path / "holiday.mp4"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    bk.open_page(page, small_upload_server.url, "video_lab")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Upload a video", exact=True).click()
    bk.wait_idle(page)
    assert "up to 1 MB" in sidebar.inner_text(), "the uploader states the limit"
    sidebar.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(big))
    refusal = sidebar.get_by_text(re.compile(r"File must be 1(\.0)?\s*MB or smaller", re.I)).first
    refusal.wait_for(timeout=30_000)
    bk.wait_idle(page)
    bk.screenshot(page, "upload_over_the_limit")
    assert not bk.page_problems(page), bk.page_problems(page)
    sidebar.get_by_text("Built-in demo", exact=True).click()  # the session carries on
    page.get_by_text("frame 101 / 300").first.wait_for(timeout=60_000)
    assert not bk.page_problems(page)


@pytest.mark.browser
def test_a_file_named_like_html_is_shown_as_text(page, small_upload_server, tmp_path):
    from tests.badfiles import XSS_NAME

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    bk.open_page(page, small_upload_server.url, "video_lab")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Upload a video", exact=True).click()
    bk.wait_idle(page)
    sidebar.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": XSS_NAME, "mimeType": "video/mp4", "buffer": b"not a video\n" * 50})
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="onerror").first
    alert.wait_for(timeout=30_000)
    bk.wait_idle(page)
    bk.screenshot(page, "html_file_name")
    assert XSS_NAME in alert.inner_text(), alert.inner_text()
    assert page.locator('img[src="x"]').count() == 0, "the file name became an <img> element"
    page.wait_for_timeout(500)
    assert not dialogs, f"script ran: {dialogs}"
    assert not bk.page_problems(page), bk.page_problems(page)


# a closed webcam tab --------------------------------------------------------------------------------------

@pytest.mark.browser
def test_closing_a_webcam_tab_stops_its_worker(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if not bk.only_loopback():
        if os.environ.get(bk.NETNS_ENV):
            pytest.fail("re-executed under unshare -n but interfaces other than lo are still visible")
        wk.run_isolated(request.node.nodeid, tmp_path)
        return

    stats = tmp_path / "stats.json"
    pw = request.getfixturevalue("playwright_session")
    clip = bk.synthetic_clip(tmp_path / "camera.y4m", 60)
    with bk.streamlit_server(log=bk.ARTIFACTS / "server-webcam-close.log", prefix=census.launcher(stats),
                             options=["--server.disconnectedSessionTTL", str(TTL)]) as server:
        ds = DebugServer(server, stats, tmp_path, tmp_path)
        browser = pw.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True,
                                     args=bk.CHROMIUM_ARGS + bk.fake_camera_args(clip))
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30_000)
            bk.open_page(page, server.url, "webcam")
            page.frame_locator('iframe[title*="webrtc"]').first.get_by_role(
                "button", name=re.compile("start", re.I)).click()
            deadline = time.monotonic() + 90
            while wk.frames_processed(page) < 30 and time.monotonic() < deadline:
                page.wait_for_timeout(1000)
            assert wk.frames_processed(page) >= 30, "the camera stream never reached the server"
            live = ds.wait_stats(lambda s: s["live_processors"] >= 1 and s["webrtc_workers"] >= 1)
            context.close()
            gone = ds.wait_stats(lambda s: s["live_processors"] == 0 and s["webrtc_workers"] == 0
                                 and s["pipelines"] == 0 and s["sessions_tracked"] == 0, timeout=TTL + 40)
            print(f"webcam: while streaming {live['live_processors']} processor(s), {live['webrtc_workers']} "
                  f"worker(s); after closing the tab {gone['live_processors']} and {gone['webrtc_workers']}")
        finally:
            browser.close()
