"""How many students a server holds: the server processes' CPU per webcam session and per playing
Video lab session, through the class topology (``bgapp.hosting.Cluster``: replicas behind HAProxy).

    python bench/bench_capacity.py [--kinds webcam,lab] [--sessions 1,2,4] [--replicas 1,2]
                                   [--capture 640x480@30] [--seconds 15]

For each (kind, replicas, sessions) it opens that many browser sessions in one headless Chromium
(a fake camera plays a synthetic clip for the webcam), lets them run, and reads, over ``--seconds``:

* server cores: the CPU time of the replica processes and their children (psutil), never the
  browser's or the proxy's, divided by the wall time;
* fps each session got: frames processed per second (webcam: the page's counter; lab: the frame
  number's advance);
* the processing itself: the CPU time of the same work in a bare loop measured in this run, with
  OpenCV on one thread as the replicas run it (webcam: MOG2 + threshold + open/close + overlay at
  the capture size; lab: the player's step on the demo at 320x240, i.e. the model and the combined
  JPEG of its views), times the fps the session got, in cores;
* cores per student and the ratio server / processing (the target is 1.5 or less).

WebRTC pairs over loopback only, so the script re-runs itself in a loopback-only network namespace
(``unshare -n``, as root), as the webcam tests do. Figures are only meaningful on an otherwise idle
machine: the browsers share its cores, which is why each session's fps is printed beside the cost.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_live import bare_ms  # noqa: E402

from bgapp.hosting import Capture, Cluster, Topology  # noqa: E402
from tests.browser import browserkit as bk  # noqa: E402

PROCESSED = re.compile(r"processed: (\d+)")


def bare_webcam_ms(frames: list[np.ndarray]) -> float:
    """CPU ms per frame of the webcam page's default work in a plain OpenCV loop."""
    return bare_ms(frames, clock=time.process_time)


def bare_lab_ms(n: int = 120) -> float:
    """CPU ms per frame of the lab's own work on the demo (the player's step: process and render the
    combined JPEG), as ``bench_playback.py`` measures it."""
    from bgapp.config import Config
    from bgapp.player import Player
    from bgapp.sources import open_source

    player = Player(open_source("demo"), Config())
    player.seek(10)
    t = time.process_time()
    for _ in range(n):
        if player.step() is None:
            player.seek(0)
    return (time.process_time() - t) * 1000 / n


@dataclass
class Row:
    kind: str
    replicas: int
    sessions: int
    server_cores: float
    fps: list[float]
    bare_ms: float

    @property
    def per_student(self) -> float:
        return self.server_cores / self.sessions

    @property
    def processing(self) -> float:
        return self.bare_ms * statistics.mean(self.fps) / 1000 if self.fps else float("nan")

    def line(self) -> str:
        fps = " ".join(f"{f:.1f}" for f in self.fps)
        return (f"{self.kind:6s} {self.replicas:8d} {self.sessions:8d} {self.server_cores:12.2f} "
                f"{self.per_student:11.2f} {self.processing:10.3f} {self.per_student / self.processing:6.2f}   {fps}")


def cpu_seconds(cluster: Cluster) -> float:
    import psutil

    total = 0.0
    for s in cluster.servers:
        p = cluster.processes[s.name].proc
        if p is None:
            continue
        try:
            proc = psutil.Process(p.pid)
            for q in [proc, *proc.children(recursive=True)]:
                t = q.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def thread_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of process ``pid``, by thread id (Linux /proc)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def thread_names(pid: int) -> dict[str, str]:
    """Python's names of the threads of ``pid`` (py-spy dump; threads it does not know: native)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        dump = subprocess.run([spy, "dump", "-p", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    names = {m.group(1): m.group(2) for m in re.finditer(r'Thread (\d+) \((?:idle|active)\): "([^"]+)"', dump)}
    return {tid: re.sub(r"[-_]([0-9a-f]{6,}|\d+)$", "", name) for tid, name in names.items()}


def lab_frame(page) -> int:
    m = bk.LAB_STATUS.search(page.get_by_text(bk.LAB_STATUS).first.inner_text())
    return int(m.group(1)) if m else 0


def webcam_processed(page) -> int:
    m = PROCESSED.search(page.get_by_text(PROCESSED).first.inner_text())
    return int(m.group(1)) if m else 0


def start_sessions(browser, url: str, kind: str, n: int) -> list:
    """``n`` sessions of ``kind``, running: webcams streaming, labs playing (all started together,
    so none reaches the end of the demo before the others begin)."""
    pages = []
    for _ in range(n):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(120_000)
        if kind == "webcam":
            page.goto(f"{url}/webcam")
            bk.wait_idle(page, timeout=120)
            page.frame_locator("iframe").first.get_by_role("button", name=re.compile("start", re.I)).click()
            deadline = time.monotonic() + 120
            while webcam_processed(page) < 20:
                if time.monotonic() > deadline:
                    raise RuntimeError("a webcam session did not start")
                page.wait_for_timeout(300)
        else:
            page.goto(f"{url}/video_lab?source=demo&method=mog2")
            page.get_by_text(bk.LAB_STATUS).first.wait_for()
            bk.wait_idle(page, timeout=120)
        pages.append(page)
    if kind == "lab":
        for page in pages:
            page.get_by_role("button", name=re.compile("Play")).click()
        for page in pages:
            page.get_by_text("playing at").first.wait_for()
    return pages


def measure(kind: str, replicas: int, sessions: int, capture: Capture, seconds: float, browser, bare: float,
            work: Path, threads: bool = False) -> Row:
    env = {"BGAPP_ICE_SERVERS": "[]", "PYTHONPATH": f"{bk.NETNS_SITE}:{ROOT}"}
    t = Topology(replicas=replicas, port=bk.free_port(), app_port=bk.free_port(), turn_port=bk.free_port(),
                 capture=capture)
    with Cluster(t, work / f"{kind}-{replicas}-{sessions}", env=env) as cluster:
        pages = start_sessions(browser, cluster.url, kind, sessions)
        read = webcam_processed if kind == "webcam" else lab_frame
        time.sleep(3 if kind == "webcam" else 0)  # past the start (the lab's "playing at" shows after 1 s)
        pid = cluster.processes[cluster.servers[0].name].proc.pid
        names = thread_names(pid) if threads else {}
        th0 = thread_seconds(pid)
        c0, w0, n0 = cpu_seconds(cluster), time.monotonic(), [read(p) for p in pages]
        # the demo has 300 frames and Play starts at frame 101: a lab row measures at most 6 s of playing
        time.sleep(seconds if kind == "webcam" else min(seconds, 6.0))
        c1, w1 = cpu_seconds(cluster), time.monotonic()
        th1 = thread_seconds(pid)
        n1 = [read(p) for p in pages]
        for p in pages:
            p.context.close()
    wall = w1 - w0
    fps = [(b - a) / wall for a, b in zip(n0, n1)]
    if threads:
        by_name: dict[str, float] = {}
        for tid, sec in th1.items():
            name = names.get(tid, "native (OpenCV, codecs)")
            by_name[name] = by_name.get(name, 0.0) + (sec - th0.get(tid, 0.0)) / wall
        print("    replica app1's threads, cores: " + ", ".join(
            f"{name} {c:.3f}" for name, c in sorted(by_name.items(), key=lambda kv: -kv[1]) if c >= 0.005))
    return Row(kind, replicas, sessions, (c1 - c0) / wall, fps, bare)


def run(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    from bgapp.synthetic import SyntheticScene

    cap = args.capture
    cv2.setNumThreads(1)  # as each replica runs it (bgapp.hosting.apply_cv_threads)
    scene = SyntheticScene(cap.width, cap.height, n_frames=160, fps=cap.fps)
    frames = [scene.frame(i) for i in range(150)]
    bare = {"webcam": min(bare_webcam_ms(frames) for _ in range(3)), "lab": min(bare_lab_ms() for _ in range(3))}
    print(f"bare loop (idle, this run, CPU time, OpenCV on one thread): webcam work {bare['webcam']:.2f} ms "
          f"a frame at {cap.width}x{cap.height}; "
          f"lab work {bare['lab']:.2f} ms a frame at 320x240")
    print(f"camera asked for {cap}; {args.seconds:.0f} s per row; {os.cpu_count()} cores\n")
    print("kind   replicas sessions server cores  per student processing  ratio   fps per session")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bgapp-capacity-") as tmp, sync_playwright() as pw:
        clip = bk.write_y4m(Path(tmp) / "camera.y4m", frames, cap.fps)
        browser = pw.chromium.launch(executable_path=str(bk.CHROMIUM), headless=True,
                                     args=bk.CHROMIUM_ARGS + bk.fake_camera_args(clip))
        for kind in args.kinds:
            for replicas in args.replicas:
                for sessions in args.sessions:
                    row = measure(kind, replicas, sessions, cap, args.seconds, browser, bare[kind], Path(tmp),
                                  args.threads)
                    rows.append(row)
                    print(row.line(), flush=True)
        browser.close()


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", type=lambda s: s.split(","), default=["webcam", "lab"])
    ap.add_argument("--sessions", type=_ints, default=[1, 2, 4])
    ap.add_argument("--replicas", type=_ints, default=[1, 2])
    ap.add_argument("--capture", type=Capture.parse, default=Capture(640, 480, 30))
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--threads", action="store_true",
                    help="also print the first replica's CPU by thread (names from py-spy: pip install py-spy)")
    args = ap.parse_args()
    if bk.missing_browser_reason():
        sys.exit(bk.missing_browser_reason())
    bk.rerun_in_loopback_namespace(__file__, sys.argv[1:])
    run(args)


if __name__ == "__main__":
    main()
