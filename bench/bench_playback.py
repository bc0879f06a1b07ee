"""Playback as a user sees it: distinct frames shown per second in a real Chromium, and time to
the first frame, with one and with several sessions on one server.

    python bench/bench_playback.py [--seconds 10] [--sessions 1,4] [--clips demo,640]

For each clip it starts ``streamlit run app.py``, opens the Video lab in N Chromium pages at once
(separate browser contexts, so separate Streamlit sessions), presses Play in each and counts, in
the page itself (a requestAnimationFrame probe), how many distinct lab frames were decoded and
shown per second, and how far the clip advanced (the "frame i / n" status line). It also times
the Home page: from navigation to the page shell, and from the shell to the demo's first frame.

The reference figure, measured in the same run, is the bare work: the same player processing and
rendering the same frames in a plain Python loop with no server or browser (frames per second it
could deliver). Targets (idle 2-core machine): the demo at its own 25 fps, a 640x480 clip at 15 fps
or more, Home's first frame within 3 s of the shell.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import browserkit as bk  # noqa: E402

PROBE = """() => {
  window.__shown = [];
  let last = null;
  const tick = () => {
    const img = document.querySelector('[data-testid="stMain"] img[alt="lab frame"], '
                                       + '[data-testid="stMain"] [data-testid="stImage"] img');
    if (img && img.complete && img.naturalWidth > 0) {
      const s = img.currentSrc || img.src;
      const key = s.length + ':' + s.slice(-48);
      if (key !== last) { last = key; window.__shown.push(performance.now()); }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

STATUS = re.compile(r"frame (\d+) / (\d+)")


def make_clip(folder: Path, width: int, height: int, frames: int = 300) -> Path:
    """The demo scene rendered at ``width``x``height`` as an H.264 MP4 (a real upload)."""
    from bgapp.synthetic import SyntheticScene
    from bgapp.video import Mp4Writer

    scene = SyntheticScene(width, height, n_frames=frames)
    path = folder / f"scene_{width}x{height}.mp4"
    with Mp4Writer(path, scene.fps) as out:
        for i in range(frames):
            out.write(scene.frame(i))
    return path


def bare_fps(clip: str, frames: int = 90) -> float:
    """Frames per second the lab's own work (process + render one combined JPEG) reaches alone."""
    from bgapp.config import Config
    from bgapp.player import Player
    from bgapp.sources import open_source

    player = Player(open_source(clip), Config())
    player.seek(10)
    t = time.perf_counter()
    for _ in range(frames):
        if player.step() is None:
            player.seek(0)
    return frames / (time.perf_counter() - t)


def status(page) -> tuple[int, int] | None:
    """(frame shown, frames in the clip) from the lab's status line, 1-based as the page shows it."""
    loc = page.get_by_text(STATUS).first
    try:
        m = STATUS.search(loc.inner_text(timeout=2000))
    except Exception:  # noqa: BLE001 - the line is replaced while we read it
        return None
    return (int(m.group(1)), int(m.group(2))) if m else None


def status_index(page) -> int | None:
    got = status(page)
    return got[0] if got else None


def open_lab(page, url: str, upload: Path | None) -> None:
    bk.open_page(page, url, "video_lab")
    if upload is not None:
        page.locator('[data-testid="stSidebar"]').get_by_text("Upload a video", exact=True).click()
        bk.wait_idle(page)
        page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(str(upload))
        page.get_by_text(STATUS).first.wait_for(timeout=120_000)
        bk.wait_idle(page, timeout=120)
    page.get_by_text(STATUS).first.wait_for(timeout=120_000)
    # back to the first frame, so the whole clip is ahead: a clip that ends inside the window
    # would count its stopped seconds as slow playback
    slider = page.locator('input[type="range"][aria-label="Frame"]')
    slider.focus()
    slider.press("Home")
    page.get_by_text(re.compile(r"frame 1 / \d+")).first.wait_for(timeout=120_000)
    bk.wait_idle(page, timeout=120)


def measure_lab(pages: list, seconds: float) -> list[tuple[float, float]]:
    """(shown fps, clip frames advanced per second) of each page, all playing at once."""
    for p in pages:
        p.evaluate(PROBE)
    for p in pages:
        p.get_by_role("button", name="Play").click()
    for p in pages:
        p.get_by_role("button", name="Pause").wait_for(timeout=60_000)
    pages[0].wait_for_timeout(1000)  # past the first rerun
    start = [(p.evaluate("performance.now()"), p.evaluate("window.__shown.length"), status_index(p)) for p in pages]
    pages[0].wait_for_timeout(seconds * 1000)
    out = []
    for p, (t0, n0, i0) in zip(pages, start):
        t1, n1, i1 = p.evaluate("performance.now()"), p.evaluate("window.__shown.length"), status_index(p)
        span = (t1 - t0) / 1000.0
        end = status(p)
        if end is not None and end[0] >= end[1]:
            sys.exit(f"the clip ended inside the {seconds:g} s window: use a shorter --seconds")
        adv = (i1 - i0) / span if i0 is not None and i1 is not None and i1 >= i0 else float("nan")
        out.append(((n1 - n0) / span, adv))
    for p in pages:
        btn = p.get_by_role("button", name="Pause")
        if btn.count():
            btn.click()
    return out


def measure_home(browser, url: str) -> tuple[float, float]:
    """(seconds to the page shell, seconds from the shell to the demo's first frame) on a new session."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    try:
        t0 = time.monotonic()
        page.goto(url + "/", wait_until="commit")
        page.locator('[data-testid="stApp"]').wait_for(state="attached", timeout=60_000)
        shell = time.monotonic()
        page.wait_for_function(
            """() => { const v = document.querySelector('[data-testid="stMain"] video');
                       if (v && v.readyState >= 2 && v.videoWidth > 0) return true;
                       const i = document.querySelector('[data-testid="stMain"] [data-testid="stImage"] img');
                       return !!(i && i.complete && i.naturalWidth > 0); }""", timeout=120_000, polling=50)
        first = time.monotonic()
        return shell - t0, first - shell
    finally:
        ctx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0,
                    help="measuring window per case (the clips play 12 s from their first frame)")
    ap.add_argument("--sessions", default="1,4", help="comma-separated session counts")
    ap.add_argument("--clips", default="demo,640", help="demo and/or 640 (a 640x480 H.264 upload)")
    args = ap.parse_args()
    if bk.missing_browser_reason():
        sys.exit(bk.missing_browser_reason())
    from playwright.sync_api import sync_playwright

    sessions = [int(s) for s in args.sessions.split(",")]
    clips = args.clips.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bgapp-bench-") as tmp, ExitStack() as stack:
        upload = make_clip(Path(tmp), 640, 480) if "640" in clips else None
        print("bare loop (process + render, no server):", flush=True)
        for clip in clips:
            src = "demo" if clip == "demo" else str(upload)
            print(f"  {clip}: {bare_fps(src):.1f} frames/s", flush=True)
        server = stack.enter_context(bk.streamlit_server(log=Path(tmp) / "server.log"))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True, args=bk.CHROMIUM_ARGS)
        stack.callback(browser.close)
        homes = [measure_home(browser, server.url) for _ in range(3)]
        print(f"Home: shell {statistics.median(h[0] for h in homes):.2f} s, first demo frame "
              f"{statistics.median(h[1] for h in homes):.2f} s after the shell (median of 3: "
              + ", ".join(f"{h[1]:.2f}" for h in homes) + ")", flush=True)
        for clip in clips:
            for n in sessions:
                contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(n)]
                try:
                    pages = [c.new_page() for c in contexts]
                    for p in pages:
                        p.set_default_timeout(60_000)
                        open_lab(p, server.url, upload if clip == "640" else None)
                    res = measure_lab(pages, args.seconds)
                finally:
                    for c in contexts:
                        c.close()
                shown = [r[0] for r in res]
                adv = [r[1] for r in res]
                rows.append((clip, n, min(shown), statistics.median(shown), statistics.median(adv)))
                print(f"{clip} x{n}: shown fps per session min {min(shown):.1f} median {statistics.median(shown):.1f}; "
                      f"clip advanced {statistics.median(adv):.1f} frames/s", flush=True)
    print("\n| clip | sessions | shown fps (min) | shown fps (median) | clip frames/s |")
    print("|---|---:|---:|---:|---:|")
    for clip, n, lo, med, adv in rows:
        print(f"| {clip} | {n} | {lo:.1f} | {med:.1f} | {adv:.1f} |")


if __name__ == "__main__":
    main()
