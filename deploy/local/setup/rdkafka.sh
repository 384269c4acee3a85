#!/usr/bin/env bash
# Builds @confluentinc/kafka-javascript (librdkafka's Node binding), the optional second Kafka
# client (REELSTREAM_KAFKA_CLIENT=rdkafka; docs/kafkaClient.md). It is an optionalDependency that
# npm installs with scripts off (setup.sh): its own install step downloads a prebuilt binary
# from GitHub and, failing that, builds librdkafka with `--install-deps`, which downloads the
# sources of OpenSSL, zlib, zstd and friends; neither is reachable from our machines. This
# script builds it with node-gyp, linking librdkafka dynamically (CKJS_LINKING=dynamic) against
# Debian's libraries instead. kafkajs stays the default and needs none of this.
#
# Idempotent and cached: does nothing when the binding already loads; the build (about a minute
# on two cores) is copied to $REELSTREAM_CACHE_DIR/rdkafka/<version>-<node ABI> and reused by
# the next clone. Installs the Debian packages it needs when run as root (or with sudo);
# otherwise says which are missing and stops.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
pkg="$root/node_modules/@confluentinc/kafka-javascript"
step() { echo "==> rdkafka.sh: $*" >&2; }
fail() { echo "rdkafka.sh: $*" >&2; exit 1; }
loads() { (cd "$root" && node -e "require('@confluentinc/kafka-javascript').librdkafkaVersion" >/dev/null 2>&1); }

[ -d "$pkg" ] || fail "$pkg is missing; run npm ci first (it is an optionalDependency)"
if loads; then
  step "the binding already loads ($(cd "$root" && node -p "require('@confluentinc/kafka-javascript').librdkafkaVersion"))"
  exit 0
fi

version="$(node -p "require('$pkg/package.json').version")"
abi="$(node -p 'process.versions.modules')"
cache="${REELSTREAM_CACHE_DIR:-${REELSTREAM_HOME:-$HOME/.cache/reelstream}}/rdkafka/$version-node$abi-$(uname -m)"
if [ -f "$cache/Release/confluent-kafka-javascript.node" ]; then
  step "restoring the build from $cache"
  rm -rf "$pkg/build"
  mkdir -p "$pkg/build"
  cp -a "$cache/." "$pkg/build/"
  if loads; then
    step "binding loads"
    exit 0
  fi
  step "the cached build does not load (missing system library?); building again"
fi

# System libraries librdkafka links to (TLS, SASL, compression) and the toolchain.
missing=()
for p in g++ make python3 pkg-config libssl-dev zlib1g-dev libsasl2-dev libzstd-dev liblz4-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo_cmd=""; elif command -v sudo >/dev/null; then sudo_cmd="sudo"; else
    fail "needs the Debian packages ${missing[*]}: run as root, or apt-get install them, then run this again"
  fi
  step "installing Debian packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || fail "node-gyp not found next to npm"
# nodedir: build against the headers of the running node instead of downloading them.
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
log="$pkg/build.log"
step "building librdkafka $(node -p "require('$pkg/package.json').librdkafka") and the binding (node-gyp, dynamic linking; log: $log)"
started=$SECONDS
# librdkafka's configure first: node-gyp's parallel make otherwise races the action that makes
# its config.h ("No rule to make target '../deps/librdkafka/config.h'"). Without
# --install-deps (what CKJS_LINKING=dynamic leaves out) it uses the system libraries.
(cd "$pkg" && CKJS_LINKING=dynamic node util/configure.js) >"$log" 2>&1 || {
  echo "rdkafka.sh: librdkafka's configure failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
(cd "$pkg" && CKJS_LINKING=dynamic BUILD_LIBRDKAFKA=1 node "$gyp" rebuild --jobs="$(nproc)" \
  --nodedir="$nodedir") >>"$log" 2>&1 || {
  echo "rdkafka.sh: node-gyp failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
loads || fail "the built binding does not load (see $log)"
step "built in $((SECONDS - started)) s; caching it in $cache"
rm -rf "$cache"
mkdir -p "$cache"
cp -a "$pkg/build/Release" "$cache/"
# The dynamic build loads librdkafka from build/deps (its rpath).
[ -d "$pkg/build/deps" ] && cp -a "$pkg/build/deps" "$cache/"
step "binding loads ($(cd "$root" && node -p "require('@confluentinc/kafka-javascript').librdkafkaVersion"))"
