"""A ten-minute 1080p video, end to end, in bounded memory: frames are streamed, never all held.

The clip is made here: FFmpeg's ``testsrc2`` pattern (moving shapes and a counter; without the ffmpeg
binary, a moving pattern through PyAV's libx264) at 1920x1080,
600 s at 1 frame per second, H.264 ultrafast (about 3 s to make, 78 MB). One frame per second
keeps the whole module to about a minute and a half on 2 cores, and 600 decoded 1080p frames
would take 3.7 GB, so staying under 1.5 GB shows that nothing holds them.

* CLI: ``python -m bgapp process BIG.mp4 --out masks.mp4`` at full size; peak RSS of that child
  from ``os.wait4``.
* App: the Video lab (AppTest, in a child process so its peak RSS is its own) uploads the clip,
  picks "original" (1920 px, the app's cap, so 1080p stays 1080p) and runs **Re-run from start**:
  all 600 frames into the mask and composite videos and the zip of masks.

Run as a script (``python tests/test_long_video.py BIG.mp4``) it is that app driver.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECONDS, FPS, SIZE = 600, 1, (1920, 1080)
FRAMES = SECONDS * FPS
MAX_RSS_MB = 1500


def make_clip(path: Path, frames: int = FRAMES, size: tuple[int, int] = SIZE) -> Path:
    """The test clip at ``FPS``: FFmpeg's ``testsrc2`` when the binary is here, else PyAV's libx264."""
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size={size[0]}x{size[1]}:rate={FPS}:duration={frames / FPS:g}",
                        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "30", str(path)],
                       check=True, timeout=300)
        return path
    return make_clip_pyav(path, frames, size)


def make_clip_pyav(path: Path, frames: int = FRAMES, size: tuple[int, int] = SIZE) -> Path:
    """No ffmpeg binary: a colour ramp that cycles and a white box that moves, through PyAV's libx264."""
    import av
    import numpy as np

    w, h = size
    ramp = np.add.outer(np.arange(h) // 4, np.arange(w) // 4).astype(np.uint8)  # wraps past 255 on purpose
    box_w, top, bottom = max(1, w // 6), h // 5, h // 2
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=Fraction(FPS))
        s.width, s.height, s.pix_fmt, s.options = w, h, "yuv420p", {"preset": "ultrafast"}
        for i in range(frames):
            # np.uint8 + np.uint8 wraps; numpy 2 refuses a Python int past 255 (frame 256 onwards)
            img = np.dstack([ramp + np.uint8(i % 256), ramp, 255 - ramp])
            x = (i * 37) % (w - box_w)
            img[top:bottom, x:x + box_w] = 255
            for pkt in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return path


def _run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> tuple[int, float, float, str,
                                                                                       str]:
    """(exit status, seconds, peak RSS in MB, stdout, stderr) of ``cmd``; the peak is that child's own
    (``os.wait4``), not the largest of every child this test process ever had."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, time.monotonic() - t0, usage.ru_maxrss / 1024, out.read(), err.read()


# the app driver (run in a child process) -------------------------------------------------------------------

def drive_app(clip: str) -> None:
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.switch_page("app_pages/video_lab.py").run()
    at.radio(key="src.kind").set_value("video").run()
    at.select_slider(key="src.max_side").set_value(0).run()  # "original": the app's 1920 px cap
    data = Path(clip).read_bytes()
    at.file_uploader(key="src.video").set_value(("ten_minutes.mp4", data, "video/mp4")).run()
    del data
    t0 = time.monotonic()
    at.button(key="lab.rerun").click().run()
    player = at.session_state["lab.player"][1]
    files = player.outputs.files if player.outputs else {}
    print(json.dumps({
        "seconds": time.monotonic() - t0,
        "errors": [e.value for e in at.error] + [str(e.value) for e in at.exception],
        "captions": [c.value for c in at.caption],
        "frames": player.outputs.frames if player.outputs else 0,
        "size": list(player.clip.source.size),
        "files": {k: p.stat().st_size for k, p in files.items()},
        "workdir": str(at.session_state["bgapp.workdir"].path),
    }))


if __name__ == "__main__":
    drive_app(sys.argv[1])
    sys.exit(0)


# the tests -------------------------------------------------------------------------------------------------

import pytest  # noqa: E402 - the driver above runs without pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory) -> Path:
    t0 = time.monotonic()
    path = make_clip(tmp_path_factory.mktemp("long") / "ten_minutes_1080p.mp4")
    print(f"made {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.monotonic() - t0:.1f} s")
    return path


def test_clip_fallback_without_ffmpeg_runs_past_frame_255(tmp_path, monkeypatch):
    """The PyAV path that CI takes when the ffmpeg binary is absent, forced even where it is present."""
    import av
    import numpy as np

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "ffmpeg" else real_which(name, *a, **k))
    path = make_clip(tmp_path / "small.mp4", frames=300, size=(160, 96))
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    assert len(frames) == 300 and frames[0].shape == (96, 160, 3)
    assert not np.array_equal(frames[255], frames[256])  # still moving across the uint8 wrap


def test_cli_processes_ten_minutes_of_1080p_in_bounded_memory(big_clip, tmp_path):
    import av

    out = tmp_path / "masks.mp4"
    code, seconds, peak, _, err = _run([sys.executable, "-m", "bgapp", "process", str(big_clip), "--out", str(out)])
    print(f"CLI: {FRAMES} frames of {SIZE[0]}x{SIZE[1]} in {seconds:.1f} s, peak RSS {peak:.0f} MB")
    assert code == 0, err
    assert f"wrote {FRAMES} frames" in err
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == SIZE and s.frames == FRAMES
    assert peak < MAX_RSS_MB, f"peak RSS {peak:.0f} MB"


def test_app_reruns_ten_minutes_of_1080p_in_bounded_memory(big_clip, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    code, seconds, peak, out, err = _run([sys.executable, __file__, str(big_clip)], env=env)
    assert code == 0, err[-3000:]
    doc = json.loads(out.strip().splitlines()[-1])
    print(f"app: re-run of {doc['frames']} frames at {doc['size'][0]}x{doc['size'][1]} in {doc['seconds']:.1f} s "
          f"({seconds:.1f} s with the upload), peak RSS {peak:.0f} MB")
    assert not doc["errors"], doc["errors"]
    assert doc["frames"] == FRAMES and doc["size"] == list(SIZE)
    assert f"frame {FRAMES} / {FRAMES}" in "\n".join(doc["captions"])
    assert set(doc["files"]) == {"mask", "composite", "zip"} and min(doc["files"].values()) > 0
    assert peak < MAX_RSS_MB, f"peak RSS {peak:.0f} MB"
    assert not Path(doc["workdir"]).exists(), "the session folder outlived the session"
    assert not list(tmp.iterdir()), f"left in TMPDIR: {list(tmp.iterdir())}"
