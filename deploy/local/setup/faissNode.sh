#!/usr/bin/env bash
# Builds faiss-node's native addon against Debian's libfaiss-dev with node-gyp.
# faiss-node's own install step downloads a prebuilt binary from GitHub and then git-clones
# faiss; neither host is reachable from our machines, so npm installs it with scripts off and
# this script builds it. Idempotent: does nothing when the addon already loads.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
pkg="$root/node_modules/faiss-node"

[ -d "$pkg" ] || { echo "faissNode.sh: $pkg is missing; run npm ci first" >&2; exit 1; }
if (cd "$root" && node -e "const f=require('faiss-node'); const i=f.Index.fromFactory(2,'HNSW8,Flat'); i.add([0,0,1,1]); i.search([0,0],1)" 2>/dev/null); then
  exit 0
fi

echo "==> building faiss-node against the system libfaiss (node-gyp)"
cp "$here/faissNode/binding.gyp" "$pkg/binding.gyp"
gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
# nodedir: build against the headers of the running node instead of downloading them.
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
(cd "$pkg" && node "$gyp" rebuild --jobs=2 --nodedir="$nodedir" \
  -- -Dfaiss_compat_header="$here/faissNode/faissIdxCompat.h") >"$pkg/build.log" 2>&1 || {
  echo "faissNode.sh: node-gyp failed; last lines of $pkg/build.log:" >&2
  tail -n 30 "$pkg/build.log" >&2
  exit 1
}
(cd "$root" && node -e "const f=require('faiss-node'); const i=f.Index.fromFactory(2,'HNSW8,Flat'); i.add([0,0,1,1]); i.search([0,0],1)") || { echo "faissNode.sh: built addon does not load" >&2; exit 1; }
echo "==> faiss-node built"
