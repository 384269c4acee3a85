// Promise-returning versions of train, addWithIds and search: the FAISS call runs on a libuv
// pool thread (Napi::AsyncWorker) on copies of the inputs, so the event loop keeps running and the
// caller may reuse its arrays at once. The caller has already taken the index (NativeIndex::begin);
// the worker gives it back on the main thread before the promise settles.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "faissIndex.h"

namespace reelstream {

Napi::Promise queueTrain(NativeIndex& owner, Napi::Object self, std::vector<float> vectors,
                         int64_t n);

Napi::Promise queueAdd(NativeIndex& owner, Napi::Object self, std::vector<float> vectors,
                       std::vector<int64_t> ids);

struct SearchRequest {
  std::vector<float> queries;
  int64_t n = 0;
  int64_t k = 0;
  SearchOptions options;
};

Napi::Promise queueSearch(NativeIndex& owner, Napi::Object self, SearchRequest request);

/** `{ distances: Float32Array, ids: BigInt64Array }` from search output. */
Napi::Object searchResult(Napi::Env env, const std::vector<float>& distances,
                          const std::vector<int64_t>& labels);

}  // namespace reelstream
