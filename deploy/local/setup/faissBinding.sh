#!/usr/bin/env bash
# Builds reelstream's own FAISS binding (operators/vectors/native/) with node-gyp against
# Debian's static libfaiss (libfaiss-dev), linked with BLAS, LAPACK and OpenMP. The addon lands in
# operators/vectors/native/build/ (gitignored). Idempotent: does nothing when the built addon
# loads with every symbol resolved and is newer than its sources.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
native="$root/operators/vectors/native"
addon="$native/build/Release/reelstream_faiss.node"
log="$native/build.log"

# LD_BIND_NOW makes the dynamic linker resolve every symbol at load, so a missing BLAS or LAPACK
# symbol fails here instead of killing the first process that calls it. The search of 32
# queries takes FAISS's BLAS path (20 or more queries), which is what crashed faiss-node.
check='const b=require(process.argv[1]); const i=new b.NativeIndex({dimension:8,description:"Flat",metric:"l2"});
const v=new Float32Array(800).map(Math.random); i.addWithIds(v, BigInt64Array.from({length:100},(_,j)=>BigInt(j)));
const r=i.search(v.subarray(0,256),1); if (r.ids[31]!==31n) throw new Error("self-match failed")'

up_to_date() {
  [ -f "$addon" ] || return 1
  [ -z "$(find "$native/src" "$native/binding.gyp" -newer "$addon" -print -quit)" ] || return 1
  LD_BIND_NOW=1 node -e "$check" "$addon" 2>/dev/null
}
up_to_date && exit 0

[ -f /usr/lib/x86_64-linux-gnu/libfaiss.a ] || [ -n "$(find /usr/lib -name libfaiss.a -print -quit)" ] ||
  { echo "faissBinding.sh: libfaiss.a not found; install libfaiss-dev" >&2; exit 1; }
[ -d "$root/node_modules/node-addon-api" ] ||
  { echo "faissBinding.sh: node_modules/node-addon-api is missing; run npm ci first" >&2; exit 1; }

echo "==> building the FAISS binding (operators/vectors/native, node-gyp)" >&2
gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
# nodedir: build against the headers of the running node instead of downloading them.
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
# node-addon-api's include_dir is resolved from the binding's directory: point NODE_PATH at ours.
(cd "$native" && NODE_PATH="$root/node_modules" node "$gyp" rebuild --jobs=2 --nodedir="$nodedir") \
  >"$log" 2>&1 || {
  echo "faissBinding.sh: node-gyp failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
LD_BIND_NOW=1 node -e "$check" "$addon" || {
  echo "faissBinding.sh: the built addon does not load or search (see above)" >&2
  exit 1
}
echo "==> FAISS binding built: $addon" >&2
