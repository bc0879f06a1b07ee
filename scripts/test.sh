#!/usr/bin/env bash
# Set up (venv, and Chromium from Debian when run as root) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! [ -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver ffmpeg iproute2 util-linux >/dev/null
fi
bash scripts/setup.sh
mkdir -p artifacts
.venv/bin/python -m ruff check bgapp ui pages app.py tests bench
exec .venv/bin/python -m pytest "$@"
