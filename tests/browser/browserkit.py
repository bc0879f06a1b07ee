"""Helpers for the real-browser tests: a Streamlit server, Chromium, page waits, a Y4M camera clip.

Plain functions (no pytest) so ``python tests/browser/browserkit.py clip out.y4m`` can also make
the fake-camera clip by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APP = ROOT / "app.py"
PAGES = ROOT / "app_pages"
ARTIFACTS = ROOT / "artifacts" / "browser"
NETNS_SITE = HERE / "netns_site"  # sitecustomize with the aioice loopback fallback (test server only)
CHROMIUM = Path(os.environ.get("BGAPP_CHROMIUM", "/usr/bin/chromium"))
NETNS_ENV = "BGAPP_BROWSER_NETNS"  # set in the re-executed pytest inside the namespace

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
    "--mute-audio",
]


def fake_camera_args(clip: Path) -> list[str]:
    """Chromium flags that feed ``clip`` (Y4M) as the camera and allow loopback ICE pairs."""
    return [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}", "--allow-loopback-in-peer-connection",
    ]


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright; no browser download)"
    return None


# Streamlit server --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test server's environment: no ICE servers, the aioice loopback fallback on PYTHONPATH."""
    env = dict(os.environ)
    env["BGAPP_ICE_SERVERS"] = "[]"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETNS_SITE), str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@contextmanager
def streamlit_server(app: Path = APP, log: Path | None = None, timeout: float = 90.0,
                     options: Sequence[str] = (), env: dict[str, str] | None = None,
                     prefix: Sequence[str] = ()) -> Iterator[Server]:
    """``streamlit run app`` on a free port of 127.0.0.1; yields once /_stcore/health answers ok.

    ``options`` are extra command-line options (``--server.maxUploadSize``, ``1``...), ``env``
    extra environment variables for the server, ``prefix`` a launcher it runs under
    (``python scripts/no_unshare.py``).
    """
    port = free_port()
    log = log or ARTIFACTS / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [*prefix, sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false", *options]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer {url}/_stcore/health in {timeout:.0f} s:\n{tail(log)}")
            time.sleep(0.25)
        yield Server(url, proc, log)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the server (its own process group only), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(5)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# Pages -------------------------------------------------------------------------------------------

def page_files() -> list[str]:
    """Page names (file stems under app_pages/) known at collection time."""
    return sorted(p.stem for p in PAGES.glob("*.py") if not p.name.startswith("_"))


def wait_idle(page, timeout: float = 60.0, settle: float = 0.5) -> None:
    """Wait until Streamlit reports the script finished and stays finished for ``settle`` seconds."""
    app = page.locator('[data-testid="stApp"]')
    app.wait_for(state="attached", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        state = app.get_attribute("data-test-script-state")
        connected = app.get_attribute("data-test-connection-state")
        if state == "notRunning" and connected in (None, "CONNECTED"):
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= settle:
                return
        else:
            calm_since = None
        page.wait_for_timeout(100)
    raise TimeoutError(f"the app did not finish running within {timeout:.0f} s (state {state!r})")


def method_slider(page, name: str):
    """The slider whose label starts with ``name`` (case-sensitive: "Threshold" is not "Var threshold")
    among the sidebar's method parameters (a composite may have a slider of a similar name)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').filter(has_text="Method parameters")
    return box.get_by_role("slider", name=re.compile("^" + re.escape(name)))


def page_problems(page) -> list[str]:
    """Streamlit exception boxes and traceback text on the page (empty when it is clean)."""
    found = []
    boxes = page.locator('[data-testid="stException"]')
    for i in range(boxes.count()):
        found.append("exception box: " + boxes.nth(i).inner_text()[:500])
    text = page.locator('[data-testid="stApp"]').inner_text()
    if "Traceback" in text:
        found.append("'Traceback' in the page text: " + text[text.index("Traceback"):][:500])
    if "Something went wrong while" in text:  # ui.errors.guard's line for an unexpected exception
        found.append("unexpected error: " + text[text.index("Something went wrong while"):][:300])
    return found


def nav_links(page) -> dict[str, str]:
    """{last path segment ('' for the default page): href} of the sidebar navigation."""
    links = {}
    loc = page.locator('[data-testid="stSidebarNav"] a, a[data-testid="stSidebarNavLink"], '
                       '[data-testid="stTopNavLink"]')
    for i in range(loc.count()):
        href = loc.nth(i).get_attribute("href") or ""
        links[urllib.parse.urlparse(href).path.strip("/")] = href
    return links


def screenshot(page, name: str, max_height: int = 4000) -> Path:
    """Save ``artifacts/browser/<name>.png`` of the whole app (Streamlit scrolls inside its main
    container, so the viewport grows to the content's height for the shot, then shrinks back)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    size = page.viewport_size
    try:
        height = page.evaluate(
            """() => Math.max(document.documentElement.scrollHeight,
                 ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"],'
                      + ' [data-testid="stSidebarContent"]')].map(e => e.scrollHeight))""")
        if size and height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(height) + 20, max_height)})
            page.wait_for_timeout(300)
        page.screenshot(path=str(path), full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)
    return path


def _norm(name: str) -> str:
    return name.strip("/").lower().replace("-", "_")


def page_url(page, base: str, name: str) -> str:
    """The URL of page ``name`` (a file stem under app_pages/) as the app's navigation links it.

    The default page may be served at ``/`` only; a page missing from the navigation fails with
    the list of links there are.
    """
    page.goto(base + "/")
    wait_idle(page)
    links = nav_links(page)
    for key, href in links.items():
        if _norm(key) == _norm(name):
            return href if href.startswith("http") else base + "/" + href.lstrip("/")
    if name == "home" or (not links and name == "home"):
        return base + "/"
    raise AssertionError(f"page {name!r} is not in the app's navigation; links: {sorted(links) or 'none'}")


def open_page(page, base: str, name: str) -> str:
    url = page_url(page, base, name)
    if page.url.rstrip("/") != url.rstrip("/"):
        page.goto(url)
        wait_idle(page)
    return url


def image_sources(page, scope: str = '[data-testid="stMain"], section.main') -> list[str]:
    """The src of every st.image in the main area, in order, and of the Video lab's playing frame (an
    inline ``<img alt="lab frame">``, see ``ui.views.inline_jpeg``)."""
    return page.locator(f':is({scope}) [data-testid="stImage"] img, '
                        f':is({scope}) [data-testid="stFullScreenFrame"] img, '
                        f':is({scope}) img[alt="lab frame"]').evaluate_all(
        "els => els.map(e => e.currentSrc || e.src)")


def wait_for_image(page, timeout: float = 90.0) -> None:
    """Wait until the main area shows at least one image (see ``image_sources``)."""
    deadline = time.monotonic() + timeout
    while not image_sources(page):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no image in the main area after {timeout:.0f} s")
        page.wait_for_timeout(100)


# Fake camera clip ---------------------------------------------------------------------------------

def y4m_header(width: int, height: int, fps: int = 30) -> bytes:
    return f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode()


def write_y4m(path: Path, frames: Sequence[np.ndarray] | Iterator[np.ndarray], fps: int = 30) -> Path:
    """Write BGR frames as an uncompressed Y4M clip (I420), what Chromium's fake camera reads."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    n = 0
    with open(tmp, "wb") as f:
        for frame in frames:
            h, w = frame.shape[:2]
            if n == 0:
                f.write(y4m_header(w, h, fps))
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    if not n:
        tmp.unlink()
        raise ValueError("no frames to write")
    tmp.replace(path)
    return path


def synthetic_clip(path: Path, n_frames: int = 90, width: int = 640, height: int = 480, fps: int = 30) -> Path:
    """The demo scene (moving objects after its empty warm-up) as a Y4M clip; cached by name."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        return path
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bgapp.synthetic import SyntheticScene

    scene = SyntheticScene(width, height, n_frames=n_frames + 40, fps=fps)
    return write_y4m(path, (scene.frame(i) for i in range(n_frames)), fps)


# Loopback-only network namespace ---------------------------------------------------------------------

def only_loopback() -> bool:
    """True when the only network interface in this namespace is ``lo``."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return False
    return names == ["lo"]


def unshare_problem() -> str | None:
    """Why ``unshare -n`` + ``ip link set lo up`` cannot be used here, or None."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed (util-linux / iproute2)"
    try:
        r = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True, text=True,
                           timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run 'unshare -n': {exc}"
    if r.returncode != 0:
        return f"'unshare -n' is not permitted here (needs root or user namespaces): {r.stderr.strip()[:200]}"
    return None


def netns_command(argv: Sequence[str]) -> list[str]:
    """``argv`` run in a new network namespace with only loopback up."""
    return ["unshare", "-n", "--", "/bin/sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]


def rerun_in_loopback_namespace(script: str, argv: Sequence[str]) -> None:
    """For a bench script that needs WebRTC over loopback only: outside such a namespace, run
    ``script argv`` again inside a new one and exit with its status; inside, return."""
    if only_loopback():
        return
    problem = unshare_problem()
    if problem:
        sys.exit(f"needs a loopback-only network namespace: {problem}")
    cmd = netns_command([sys.executable, script, *argv])
    sys.exit(subprocess.run(cmd, cwd=ROOT, env={**os.environ, NETNS_ENV: "1"}).returncode)


if __name__ == "__main__":  # python tests/browser/browserkit.py clip OUT.y4m [N]
    if len(sys.argv) >= 3 and sys.argv[1] == "clip":
        out = synthetic_clip(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 90)
        print(out, out.stat().st_size, "bytes")
    else:
        sys.exit("usage: browserkit.py clip OUT.y4m [N_FRAMES]")


# The Video lab ---------------------------------------------------------------------------------------

LAB_STATUS = re.compile(r"frame (\d+) / (\d+)")


def open_lab(page, app_server) -> None:
    open_page(page, app_server.url, "video_lab")
    # wait_idle can settle before a cold server's first run has drawn anything: wait for the lab itself
    page.get_by_text(LAB_STATUS).first.wait_for(timeout=90_000)
    wait_for_image(page)
    wait_idle(page)
    assert not page_problems(page), page_problems(page)


def main_image(page) -> tuple[str, bytes]:
    """The src and bytes of the first image in the main area (the lab's combined views)."""
    wait_for_image(page)
    srcs = image_sources(page)
    resp = page.request.get(srcs[0])
    assert resp.ok, f"GET {srcs[0]}: {resp.status}"
    return srcs[0], resp.body()


def lab_status(page) -> tuple[int, int, float]:
    """(frame, frames, foreground %) from the lab's status line."""
    text = page.get_by_text(LAB_STATUS).first.inner_text()
    m = LAB_STATUS.search(text)
    fg = re.search(r"foreground ([\d.]+)\s*%", text)
    return int(m.group(1)), int(m.group(2)), float(fg.group(1)) if fg else 0.0


def pick_method(page, app_server, title: str, marker: str) -> tuple[int, str, bytes]:
    """Open the lab, pick the method titled ``title`` and wait for its parameter ``marker``; the views
    change while the frame stays. Returns (frame, image src, image bytes) after the switch."""
    open_lab(page, app_server)
    _, img0 = main_image(page)
    frame0 = lab_status(page)[0]
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_role("combobox", name="Method", exact=True).click()
    page.get_by_role("option", name=title, exact=True).click()
    side.get_by_text(marker).first.wait_for(timeout=60_000)
    wait_idle(page, timeout=120)
    src1, img1 = main_image(page)
    assert img1 != img0 and lab_status(page)[0] == frame0
    return frame0, src1, img1
