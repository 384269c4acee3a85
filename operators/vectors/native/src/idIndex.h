// One FAISS index with 64-bit ids, in plain C++ (no N-API), so the synchronous methods and the
// libuv workers share it. Ids are kept in one of two ways, chosen from the factory string:
//
// - IVF indexes store ids themselves (in their inverted lists): vectors are added with
//   add_with_ids, removed by id, and a hash-table direct map answers "is this id present".
//   An IndexIDMap/IndexIDMap2 around an IVF index would be wrong after a removal: IVF keeps its
//   remaining entries' positions while the id map compacts its table, so ids shift.
// - Every other index (Flat, HNSW, PQ, SQ, ...) is wrapped in an IndexIDMap2, whose reverse map
//   answers "is this id present"; those indexes compact in order on removal, as the map does.
//
// Checks that need no lock on the index (training state, ids present) are `check*` methods run
// on the main thread before any work starts.
#pragma once

#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace reelstream {

/** Per-call search parameters; 0 means "the index's default". */
struct SearchOptions {
  int64_t nprobe = 0;
  int64_t efSearch = 0;
};

class IdIndex {
 public:
  /** `index_factory(dimension, description, metric)` with ids kept as described above. */
  static std::unique_ptr<IdIndex> create(int dimension, const std::string& description,
                                         bool innerProduct);
  /** Reads what `serialize` wrote. */
  static std::unique_ptr<IdIndex> deserialize(const uint8_t* data, size_t size);

  std::vector<uint8_t> serialize() const;

  int dimension() const { return index_->d; }
  int64_t ntotal() const { return index_->ntotal; }
  bool isTrained() const { return index_->is_trained; }
  /** The FAISS class holding the vectors ("IndexIVFFlat", "IndexHNSWFlat", "IndexFlat", ...). */
  std::string typeName() const;

  void checkAdd(const int64_t* ids, int64_t n) const;
  void checkRemove() const;
  void checkSearch(int64_t k, const SearchOptions& options) const;

  void train(const float* vectors, int64_t n);
  void addWithIds(const float* vectors, const int64_t* ids, int64_t n);
  size_t removeIds(const int64_t* ids, int64_t n);
  void search(const float* queries, int64_t n, int64_t k, const SearchOptions& options,
              float* distances, int64_t* labels) const;

 private:
  explicit IdIndex(std::unique_ptr<faiss::Index> index);
  bool contains(int64_t id) const;

  std::unique_ptr<faiss::Index> index_;  // an IndexIDMap2, or an IndexIVF
  faiss::IndexIDMap2* idMap_ = nullptr;  // set when index_ is the IndexIDMap2
  faiss::IndexIVF* ivf_ = nullptr;       // set when index_ is the IndexIVF
  faiss::Index* vectors_ = nullptr;      // the index holding the vectors (idMap_->index or ivf_)
};

}  // namespace reelstream
