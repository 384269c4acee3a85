// Force-included when building faiss-node against Debian's libfaiss-dev 1.7.3.
// faiss-node's source is written for faiss >= 1.7.4, where the vector id type is the
// namespace-level `faiss::idx_t`; faiss 1.7.3 only names it as the member type
// `faiss::Index::idx_t`. This alias makes the newer spelling resolve against the older headers
// without patching faiss-node's source.
#pragma once
#include <faiss/Index.h>

namespace faiss {
using idx_t = Index::idx_t;
}
