#!/usr/bin/env bash
# Set up (the system packages the tests need, then .venv) and run the whole test suite.
# As root with apt-get, installs whichever of chromium chromium-driver ffmpeg iproute2 util-linux
# cmake build-essential pkg-config libopencv-dev haproxy coturn postgresql is missing; otherwise says which are missing and which
# tests skip (or run differently) without them.
set -euo pipefail
cd "$(dirname "$0")/.."

have() {  # is Debian package $1 here? judged by the program the tests call
  case $1 in
    chromium) [ -x "${BGAPP_CHROMIUM:-/usr/bin/chromium}" ] ;;
    chromium-driver) command -v chromedriver >/dev/null ;;
    ffmpeg) command -v ffmpeg >/dev/null ;;
    iproute2) command -v ip >/dev/null ;;
    util-linux) command -v unshare >/dev/null ;;
    cmake) command -v cmake >/dev/null ;;
    build-essential) command -v c++ >/dev/null && command -v make >/dev/null ;;
    pkg-config) command -v pkg-config >/dev/null ;;
    libopencv-dev) pkg-config --exists opencv4 2>/dev/null ;;
    haproxy) command -v haproxy >/dev/null ;;
    coturn) command -v turnserver >/dev/null ;;
    postgresql) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 ;;
  esac
}

without() {  # what happens to the tests without package $1
  case $1 in
    chromium) echo "the real-browser tests (tests/browser/) skip" ;;
    chromium-driver) echo "no test skips (Playwright drives Chromium itself)" ;;
    ffmpeg) echo "tests/test_long_video.py makes its clip with PyAV instead (slower); nothing skips" ;;
    iproute2) echo "the webcam browser tests skip (they need 'ip' for a loopback-only network namespace)" ;;
    util-linux) echo "the webcam browser tests skip (they need 'unshare -n')" ;;
    cmake|build-essential|pkg-config|libopencv-dev)
      echo "BGSLibrary's wrapper (pybgs) cannot be built: its methods' tests skip" ;;
    haproxy|coturn) echo "the class-hosting tests (replicas behind HAProxy, TURN through coturn) skip" ;;
    postgresql) echo "the class challenge's PostgreSQL tests skip (its SQLite tests still run)" ;;
  esac
}

missing=()
for pkg in chromium chromium-driver ffmpeg iproute2 util-linux cmake build-essential pkg-config libopencv-dev haproxy coturn \
  postgresql; do
  have "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} with apt-get (about 2 min)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing system packages: ${missing[*]} (run this script as root, or apt-get install them):" >&2
    for pkg in "${missing[@]}"; do
      echo "  $pkg: $(without "$pkg")" >&2
    done
  fi
fi

bash scripts/setup.sh
.venv/bin/python -m pip install -q -r requirements-train.txt  # torch (CPU) and onnx: a quick training is tested
mkdir -p artifacts
.venv/bin/python -m ruff check bgapp ui app_pages app.py tests bench train
.venv/bin/python -m mypy  # the engine (bgapp/); files and settings in pyproject.toml [tool.mypy]
exec .venv/bin/python -m pytest "$@"
