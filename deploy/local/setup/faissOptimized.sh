#!/usr/bin/env bash
# Builds an optimised variant of reelstream's FAISS binding, beside the default one
# (faissBinding.sh, Debian's generic libfaiss + reference BLAS, which stays as it is, the fallback);
# deploy/local/setup.sh runs both:
#   1. FAISS 1.7.3 (the version the binding targets; Debian's own source tarball from
#      deb.debian.org, checked against a pinned SHA-256) built with FAISS's cmake for AVX2
#      (FAISS_OPT_LEVEL=avx2: the static libfaiss_avx2.a, -mavx2 -mfma -mf16c -mpopcnt), Release;
#   2. our addon (operators/vectors/native/src) compiled against it and linked with OpenBLAS
#      (Debian's libopenblas, which also provides LAPACK) instead of -lblas: its OpenMP build
#      (libopenblas0-openmp, found through the addon's RUNPATH), like the faiss-cpu wheels', so
#      BLAS calls use FAISS's OpenMP thread count (setFaissThreads) instead of a pool of their
#      own; FAISS_OPT_OPENBLAS=pthread links Debian's default pthread build instead.
# Everything lands in ${REELSTREAM_CACHE_DIR:-~/.cache/reelstream}/faiss-avx2-1.7.3/ (nothing in
# the repository); the addon is build/Release/reelstream_faiss.node under its addon/ directory.
# Processes load it instead of the default build wherever it is built (REELSTREAM_FAISS_BUILD
# unset or `auto`; `default` or `optimized` pins one: operators/vectors/nativeBinding.ts).
# Idempotent: each step is skipped when its output is there (the addon also when it loads and
# searches with every symbol resolved). Refuses on a CPU without AVX2 (and FMA/F16C).
# FAISS_OPT_JOBS (default 2) sets make's parallelism; FAISS_OPT_CXXFLAGS adds compiler flags
# to the FAISS build (a new value needs a new cache directory: FAISS_OPT_CACHE_DIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
native="$root/operators/vectors/native"
version=1.7.3
orig_sha256=3e4fac26d8c9e9008ecea4ae5fc414c658998fce4ba75835058b1a71d3516002
orig_url="http://deb.debian.org/debian/pool/main/f/faiss/faiss_${version}.orig.tar.gz"
cache="${FAISS_OPT_CACHE_DIR:-${REELSTREAM_CACHE_DIR:-$HOME/.cache/reelstream}/faiss-avx2-$version}"
jobs="${FAISS_OPT_JOBS:-2}"
openblas_variant="${FAISS_OPT_OPENBLAS:-openmp}"
case "$openblas_variant" in openmp | pthread) ;; *)
  echo "faissOptimized.sh: FAISS_OPT_OPENBLAS=$openblas_variant: openmp or pthread" >&2
  exit 2
  ;;
esac
openblas_dir="/usr/lib/x86_64-linux-gnu/openblas-$openblas_variant"
src="$cache/src/faiss-$version"
build="$cache/build"
prefix="$cache/prefix"
lib="$prefix/lib/libfaiss_avx2.a"
addon_dir="$cache/addon"
addon="$addon_dir/build/Release/reelstream_faiss.node"
say() { echo "faissOptimized.sh: $*" >&2; }
started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started)) s"; }

# --- the CPU: the AVX2 build's code runs unconditionally (no run-time dispatch in 1.7.3) ---
for flag in avx2 fma f16c popcnt; do
  grep -qw "$flag" /proc/cpuinfo || {
    say "this CPU has no $flag: FAISS's AVX2 build would die with SIGILL here; use the default build (faissBinding.sh)"
    exit 2
  }
done

# --- the addon check (as faissBinding.sh's): resolve every symbol, train IVF, search 32 via BLAS ---
check='const b=require(process.argv[1]); const i=new b.NativeIndex({dimension:8,description:"Flat",metric:"l2"});
const v=new Float32Array(800).map(Math.random); i.addWithIds(v, BigInt64Array.from({length:100},(_,j)=>BigInt(j)));
const r=i.search(v.subarray(0,256),1); if (r.ids[31]!==31n) throw new Error("self-match failed");
const q=new b.NativeIndex({dimension:8,description:"IVF2,Flat",metric:"l2"}); q.train(v);
q.addWithIds(v, BigInt64Array.from({length:100},(_,j)=>BigInt(j)));'
addon_ok() {
  [ -f "$addon" ] || return 1
  [ "$(cat "$addon_dir/openblas-variant" 2>/dev/null)" = "$openblas_variant" ] || return 1
  [ -z "$(find "$native/src" "$native/binding.optimized.gyp" "$lib" -newer "$addon" -print -quit)" ] || return 1
  LD_BIND_NOW=1 node -e "$check" "$addon" 2>/dev/null
}
if addon_ok; then
  say "up to date: $addon"
  exit 0
fi
mkdir -p "$cache"

# --- prerequisites: compiler, cmake, OpenBLAS (apt; we run as root on the dev machines) ---
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
# libopenblas-dev: what FAISS's cmake finds (BLA_VENDOR=OpenBLAS); the addon links the variant.
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || missing+=(libopenblas-dev)
[ -e "$openblas_dir/libopenblas.so.0" ] || missing+=("libopenblas0-$openblas_variant")
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  # Installing OpenBLAS makes it the system's libblas.so.3 / liblapack.so.3 through Debian's
  # alternatives (priority 100 over netlib's 10), which would change the default build's BLAS
  # under every process. Keep whatever they pointed to before.
  saved=()
  for alt in libblas.so.3 liblapack.so.3 libblas.so liblapack.so; do
    name="$alt-x86_64-linux-gnu"
    cur="$(update-alternatives --query "$name" 2>/dev/null | sed -n 's/^Value: //p')" || true
    [ -n "$cur" ] && saved+=("$name=$cur")
  done
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  # A fresh machine's package lists may be missing or stale: refresh them once if needed.
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}" >"$cache/apt.log" 2>&1 ||
    { $sudo_cmd apt-get update -qq >>"$cache/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}" >>"$cache/apt.log" 2>&1; } || {
    say "apt-get install failed; last lines of $cache/apt.log:"
    tail -n 20 "$cache/apt.log" >&2
    exit 1
  }
  for pair in "${saved[@]}"; do
    $sudo_cmd update-alternatives --set "${pair%%=*}" "${pair#*=}" >/dev/null 2>&1 || true
  done
fi
openblas="$openblas_dir/libopenblas.so.0"

# --- FAISS sources (Debian's orig tarball: upstream's v1.7.3 tag) ---
if [ ! -f "$src/faiss/CMakeLists.txt" ]; then
  mkdir -p "$cache/src"
  tarball="$cache/src/faiss_${version}.orig.tar.gz"
  if [ ! -f "$tarball" ] || ! echo "$orig_sha256  $tarball" | sha256sum -c --quiet 2>/dev/null; then
    say "downloading $orig_url"
    curl -fsS --retry 3 -m 300 -o "$tarball.part" "$orig_url" || {
      say "cannot download $orig_url"
      exit 1
    }
    mv "$tarball.part" "$tarball"
  fi
  echo "$orig_sha256  $tarball" | sha256sum -c --quiet || {
    say "SHA-256 of $tarball does not match"
    exit 1
  }
  tar xzf "$tarball" -C "$cache/src"
fi

# --- FAISS: static libfaiss_avx2.a with FAISS's own cmake ---
if [ ! -f "$lib" ]; then
  say "configuring FAISS $version (cmake, FAISS_OPT_LEVEL=avx2, OpenBLAS, Release) in $build"
  # PIC: the static library ends up inside a shared object (the .node addon).
  cmake -S "$src" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DFAISS_OPT_LEVEL=avx2 \
    -DFAISS_ENABLE_GPU=OFF \
    -DFAISS_ENABLE_PYTHON=OFF \
    -DBUILD_TESTING=OFF \
    -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBLA_VENDOR=OpenBLAS \
    -DCMAKE_CXX_FLAGS="${FAISS_OPT_CXXFLAGS:-}" \
    >"$cache/cmake.log" 2>&1 || {
    say "cmake failed; last lines of $cache/cmake.log:"
    tail -n 30 "$cache/cmake.log" >&2
    exit 1
  }
  say "building libfaiss_avx2.a (make -j$jobs; about 3 min on 2 idle cores, more on busy ones; log: $cache/make.log)"
  t0=$(date +%s)
  # Progress: make prints "[ nn%]" lines; show one every 10% as they come.
  make -C "$build" -j"$jobs" faiss_avx2 2>&1 | tee "$cache/make.log" |
    awk '/^\[ *[0-9]+%\]/ { p = substr($0, 2, 4) + 0; if (p >= next_p) { printf "faissOptimized.sh:   %d%%\n", p > "/dev/stderr"; fflush("/dev/stderr"); next_p = p - p % 10 + 10 } }'
  [ "${PIPESTATUS[0]}" -eq 0 ] || {
    say "make failed; last lines of $cache/make.log:"
    grep -E "error|Error" "$cache/make.log" | tail -n 20 >&2
    exit 1
  }
  built="$(find "$build" -name libfaiss_avx2.a -print -quit)"
  [ -n "$built" ] || {
    say "make finished but libfaiss_avx2.a is not in $build"
    exit 1
  }
  # Stage the library and the headers of these sources (the addon compiles against them, not
  # against Debian's /usr/include/faiss).
  rm -rf "$prefix"
  mkdir -p "$prefix/lib" "$prefix/include"
  (cd "$src" && find faiss -name '*.h' -not -path 'faiss/gpu/*' -exec cp --parents {} "$prefix/include/" \;)
  cp "$built" "$lib.part" && mv "$lib.part" "$lib"
  say "libfaiss_avx2.a built in $(($(date +%s) - t0)) s: $lib"
fi

# --- our addon, against libfaiss_avx2.a + OpenBLAS, in the cache (not native/build) ---
[ -d "$root/node_modules/node-addon-api" ] || {
  say "node_modules/node-addon-api is missing; run npm ci first"
  exit 1
}
say "building the addon against $lib and $openblas (node-gyp, in $addon_dir)"
mkdir -p "$addon_dir"
cp "$native/binding.optimized.gyp" "$addon_dir/binding.gyp"
ln -sfn "$native/src" "$addon_dir/src"
gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
(cd "$addon_dir" && NODE_PATH="$root/node_modules" node "$gyp" rebuild --jobs="$jobs" --nodedir="$nodedir" \
  -- -Dfaiss_prefix="$prefix" -Dopenblas_dir="$openblas_dir") >"$addon_dir/build.log" 2>&1 || {
  say "node-gyp failed; last lines of $addon_dir/build.log:"
  tail -n 30 "$addon_dir/build.log" >&2
  exit 1
}
LD_BIND_NOW=1 node -e "$check" "$addon" || {
  say "the built addon does not load or search (see above)"
  exit 1
}
echo "$openblas_variant" >"$addon_dir/openblas-variant"
say "optimised FAISS binding built ($(elapsed)): $addon"
say "every process now loads it (REELSTREAM_FAISS_BUILD=default pins the default build)"
