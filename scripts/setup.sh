#!/usr/bin/env bash
# Create .venv and install bgapp with everything the app and the tests need.
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
