#!/usr/bin/env bash
# Idempotent setup used by `npm test`, `npm run demo` and the grid scripts.
# Installs what timefs needs on this machine, and says clearly what is missing when it can't.
#   system packages (as root):  rdiff, libfuse2, fuse, fio and stress-ng (mount tests); for
#                               `timefs serve`'s client tests: rclone, davfs2, cadaver, litmus,
#                               chromium (headless), unzip
#   Python venv:                .venv with tahoe-lafs==1.20.0 (unless `tahoe` is already on PATH)
#   npm packages:               node_modules (npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------
need_pkgs=()
for pkg in rdiff libfuse2 fuse fio stress-ng rclone davfs2 cadaver litmus chromium unzip restic time; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$pkg")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    say "missing system packages: ${need_pkgs[*]} (run: sudo apt-get install ${need_pkgs[*]});"
    say "tests that need rdiff or FUSE will fail until they are installed"
  fi
fi

# --- Tahoe-LAFS --------------------------------------------------------------
if [ -n "${TIMEFS_TAHOE:-}" ]; then
  :
elif command -v tahoe >/dev/null 2>&1; then
  :
elif [ ! -x .venv/bin/tahoe ]; then
  py=""
  for cand in python3.11 python3.12 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      py="$cand"; break
    fi
  done
  if [ -z "$py" ]; then
    say "tahoe-lafs 1.20.0 needs Python 3.9-3.12, and none was found; install python3.11 and re-run"
    exit 1
  fi
  say "creating .venv with tahoe-lafs==1.20.0 (first run only, about 1-2 minutes)"
  rm -rf .venv
  "$py" -m venv .venv
  if ! .venv/bin/pip install -q --disable-pip-version-check 'tahoe-lafs==1.20.0' >.venv-install.log 2>&1; then
    say "pip install tahoe-lafs==1.20.0 failed; see .venv-install.log (a C compiler and Python headers are needed for netifaces)"
    rm -rf .venv
    exit 1
  fi
  rm -f .venv-install.log
fi

# --- npm packages -------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
