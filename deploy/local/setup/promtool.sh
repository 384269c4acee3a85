#!/usr/bin/env bash
# promtool, for the tests that lint the lag exporter's scrapes (`promtool check metrics`):
# taken out of Debian's prometheus package into the cache, without installing the package (it
# would add a server, a system user and a service this project does not want). Idempotent: does
# nothing when promtool is on PATH or already in the cache. Prints the directory to put on
# PATH on the last line of stdout. Exits 3 when the package cannot be fetched (no apt, no
# mirror): the tests then skip, saying so, and set-up goes on.
set -euo pipefail
cache="${REELSTREAM_CACHE_DIR:-${REELSTREAM_HOME:-$HOME/.cache/reelstream}}"
bin="$cache/bin"

if command -v promtool >/dev/null 2>&1; then
  dirname "$(command -v promtool)"
  exit 0
fi
if [ -x "$bin/promtool" ]; then
  echo "$bin"
  exit 0
fi
command -v apt-get >/dev/null || { echo "promtool.sh: no apt-get; promtool not installed" >&2; exit 3; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "==> promtool from Debian's prometheus package (cache: $bin)" >&2
# apt-get download writes into the current directory; as root it warns that _apt cannot read
# it, which is harmless.
if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null 2>&1 || true
  (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1) || {
    echo "promtool.sh: apt-get download prometheus failed; promtool not installed" >&2
    exit 3
  }
fi
dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
mkdir -p "$bin"
mv "$work/usr/bin/promtool" "$bin/promtool"
"$bin/promtool" --version >/dev/null
echo "$bin"
