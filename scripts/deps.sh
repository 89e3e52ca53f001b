#!/usr/bin/env bash
# Installs every Debian 12 package kefu needs to build, test and benchmark.
# Idempotent; needs root (or sudo). Used by setup.sh and .ci/run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(build-essential cmake ninja-build pkg-config git
      libsqlite3-dev libjansson-dev libcmocka-dev libzip-dev libexpat1-dev
      libfyaml-dev libsodium-dev libmicrohttpd-dev libxlsxwriter-dev
      libvectorscan-dev libpcre2-dev libutf8proc-dev libzstd-dev libpq-dev
      sqlite3 tzdata clang libclang-rt-14-dev valgrind time ca-certificates
      nodejs chromium wrk jq python3
      postgresql postgresql-client)
# npm: Debian's package, unless node already brings its own (nodesource).
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Front-end assets (ECharts, compiled into kefu) and playwright-core for the
# browser tests, pinned by web/package-lock.json.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$HERE/web/node_modules/echarts/dist/echarts.min.js" ] ||
   [ ! -d "$HERE/web/node_modules/playwright-core" ]; then
  (cd "$HERE/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
