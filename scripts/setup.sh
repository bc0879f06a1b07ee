#!/usr/bin/env bash
# Create .venv and install bgapp with everything the app and the tests need, and BGSLibrary's wrapper
# (the bgapp[bgslibrary] extra) where this machine can compile it. BGAPP_BGSLIBRARY=0 skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt
.venv/bin/python -m pip install -q --no-deps -e .
# Exactly one OpenCV wheel: another package pulling opencv-python(-headless) would shadow cv2.bgsegm.
if .venv/bin/python -m pip list 2>/dev/null | grep -iE '^opencv-python' >/dev/null; then
  .venv/bin/python -m pip uninstall -y -q opencv-python opencv-python-headless
  .venv/bin/python -m pip install -q --force-reinstall --no-deps opencv-contrib-python-headless==5.0.0.93
fi

# BGSLibrary's Python wrapper (SuBSENSE, PAWCS, ...): an sdist compiled against the system's OpenCV,
# about 2 minutes on 2 cores the first time; pip keeps the wheel in its cache, so later set-ups reuse it.
if [ "${BGAPP_BGSLIBRARY:-1}" != 0 ] && ! .venv/bin/python -c "import pybgs" 2>/dev/null; then
  spec=$(.venv/bin/python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['bgslibrary'][0])")
  if command -v cmake >/dev/null && command -v c++ >/dev/null && pkg-config --exists opencv4 2>/dev/null; then
    echo "building BGSLibrary's wrapper ($spec) against the system OpenCV (about 2 min the first time)" >&2
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) .venv/bin/python -m pip install -q --no-deps "$spec" \
      || echo "building $spec failed: BGSLibrary's methods stay unavailable (the rest of bgapp is unaffected)" >&2
  else
    echo "BGSLibrary's methods (SuBSENSE, PAWCS, ...) stay unavailable: building $spec needs cmake, a C++" \
         "compiler and OpenCV's headers (apt-get install cmake build-essential pkg-config libopencv-dev;" \
         "scripts/test.sh installs them when run as root)" >&2
  fi
fi
