#!/usr/bin/env bash
# One-time (and idempotent) set-up of a machine for reelstream: system packages, npm
# dependencies, the faiss-node native build, the TypeScript build, and the local stack's
# artifacts (Kafka jars, schema registry). Every step checks first and skips when done, so the
# README commands can run it every time. Progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
cache="${REELSTREAM_CACHE_DIR:-${REELSTREAM_HOME:-$HOME/.cache/reelstream}}"
step() { echo "==> $*" >&2; }
fail() { echo "setup: $*" >&2; exit 1; }

# 1. Toolchains the project cannot install by itself.
command -v node >/dev/null || fail "Node.js 20+ is required (https://nodejs.org)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  fail "Node.js 20+ is required; found $(node --version)"
command -v java >/dev/null || fail "a JDK 17+ is required (Kafka and the registry run on it)"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || fail "JDK 17+ is required; found ${java_major:-unknown}"
command -v mvn >/dev/null || fail "Maven is required (it fetches Kafka and the registry from Maven Central)"

# 2. Debian packages: faiss for the faiss-node addon, and a compiler toolchain for node-gyp.
missing=()
for pkg in libfaiss-dev g++ make python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 3. npm dependencies. Install scripts are off: faiss-node's would fetch from GitHub (see
# setup/faissNode.sh) and onnxruntime-node's would fetch CUDA files we do not use.
stamp="node_modules/.reelstream-installed"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  step "installing npm dependencies (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
# Fixes to dependencies, in patches/ (each patch says why); applying twice is a no-op. kafkajs's
# read_committed filter loses committed records when aborted transactions interleave.
npx --no-install patch-package --error-on-fail >/dev/null

# 4. Native addons: rocksdb and onnxruntime-node ship prebuilt binaries; faiss-node is built here.
bash deploy/local/setup/faissNode.sh
bash deploy/local/setup/faissBinding.sh
# The optimized FAISS binding (FAISS 1.7.3 compiled for AVX2 with OpenBLAS; ~3 min the first
# time, cached after): every process loads it instead of the default build when it is there
# (operators/vectors/nativeBinding.ts). Where it cannot be built (no AVX2, no apt), the default
# build serves and set-up goes on. REELSTREAM_FAISS_OPTIMIZED=0 skips it.
if [ "${REELSTREAM_FAISS_OPTIMIZED:-1}" != 0 ]; then
  step "the optimized FAISS binding (cache: $cache/faiss-avx2-1.7.3)"
  bash deploy/local/setup/faissOptimized.sh ||
    echo "setup: the optimized FAISS binding was not built; processes use the default build" >&2
fi

# pyarrow in a cached venv: the tests read the training examples' Arrow files as a Python
# trainer would. Without PyPI they skip, saying so; set-up goes on.
step "pyarrow for the Arrow checks (cache: ~/.cache/reelstream/venv)"
bash deploy/local/setup/pyarrowVenv.sh >/dev/null ||
  echo "setup: pyarrow could not be installed; the checks that need it will skip" >&2

# The trainer's Python (`reelstream train`): Debian's python3-torch and a cached venv that sees it,
# with pyarrow. Without apt or PyPI the trainer's test skips, saying so; set-up goes on.
step "PyTorch and pyarrow for the trainer (cache: ~/.cache/reelstream/trainer-venv)"
bash deploy/local/setup/trainerDeps.sh >/dev/null ||
  echo "setup: the trainer's Python could not be set up; reelstream train and its test will say so" >&2

# promtool, for the tests that lint the lag exporter's Prometheus scrapes (test.sh puts the
# cache's bin/ on PATH). Without apt they skip, saying so; set-up goes on.
step "promtool for the scrape checks (cache: $cache/bin)"
bash deploy/local/setup/promtool.sh >/dev/null ||
  echo "setup: promtool could not be installed; the scrape checks will skip" >&2

# librdkafka's Node binding, the optional second Kafka client (docs/kafkaClient.md), built
# against Debian's libraries (about a minute the first time, cached after) so that its tests run
# beside kafkajs's. kafkajs stays the default; where it cannot be built, those tests skip,
# saying so, and set-up goes on. REELSTREAM_RDKAFKA=0 skips it.
if [ "${REELSTREAM_RDKAFKA:-1}" != 0 ]; then
  step "the librdkafka client (optional; cache: $cache/rdkafka)"
  bash deploy/local/setup/rdkafka.sh ||
    echo "setup: the librdkafka client was not built; jobs run on kafkajs and its tests skip" >&2
fi

# 5. The TypeScript build (the `reelstream` CLI runs from dist/).
step "building TypeScript (tsc)"
npx --no-install tsc -p tsconfig.build.json

# 6. The local stack's artifacts, fetched once into the cache.
step "fetching Kafka jars (cache: $cache)"
bash deploy/local/kafka/fetch.sh "$cache" >/dev/null
step "fetching the schema registry (cache: $cache)"
bash deploy/local/registry/fetch.sh "$cache" >/dev/null
step "set-up complete"
