#include "idIndex.h"

#include <faiss/IVFlib.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cctype>
#include <typeinfo>
#include <unordered_set>

#include "errors.h"
#include "threads.h"

namespace reelstream {

namespace {

/** The unqualified class name of a faiss::X (Itanium mangling N5faiss<length>XE). */
std::string faissClassName(const faiss::Index& index) {
  std::string name = typeid(index).name();
  const std::string prefix = "N5faiss";
  if (name.rfind(prefix, 0) != 0) return name;
  size_t digits = prefix.size();
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) digits++;
  if (digits == prefix.size()) return name;
  size_t length = std::stoul(name.substr(prefix.size(), digits - prefix.size()));
  return name.substr(digits, length);
}

}  // namespace

IdIndex::IdIndex(std::unique_ptr<faiss::Index> index) : index_(std::move(index)) {
  idMap_ = dynamic_cast<faiss::IndexIDMap2*>(index_.get());
  ivf_ = dynamic_cast<faiss::IndexIVF*>(index_.get());
  vectors_ = idMap_ != nullptr ? idMap_->index : index_.get();
  if (ivf_ != nullptr) ivf_->set_direct_map_type(faiss::DirectMap::Hashtable);
}

std::unique_ptr<IdIndex> IdIndex::create(int dimension, const std::string& description,
                                         bool innerProduct) {
  if (description.find("IDMap") != std::string::npos) {
    throw BindingError(codes::kInvalidArgument,
                       "the factory string must not contain IDMap: the binding keeps 64-bit ids "
                       "itself (got \"" + description + "\")");
  }
  applyThreads();
  std::unique_ptr<faiss::Index> index(faiss::index_factory(
      dimension, description.c_str(),
      innerProduct ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2));
  if (dynamic_cast<faiss::IndexIVF*>(index.get()) != nullptr) {
    return std::unique_ptr<IdIndex>(new IdIndex(std::move(index)));
  }
  if (faiss::ivflib::try_extract_index_ivf(index.get()) != nullptr) {
    throw BindingError(codes::kUnsupported,
                       "an IVF index inside a transform or refinement (\"" + description +
                           "\") is not supported by this binding; use a plain IVF factory string");
  }
  auto idMap = std::make_unique<faiss::IndexIDMap2>(index.get());
  index.release();
  idMap->own_fields = true;
  return std::unique_ptr<IdIndex>(new IdIndex(std::move(idMap)));
}

std::unique_ptr<IdIndex> IdIndex::deserialize(const uint8_t* data, size_t size) {
  faiss::VectorIOReader reader;
  reader.data.assign(data, data + size);
  std::unique_ptr<faiss::Index> read(faiss::read_index(&reader));
  auto* idMap = dynamic_cast<faiss::IndexIDMap2*>(read.get());
  bool ivf = dynamic_cast<faiss::IndexIVF*>(read.get()) != nullptr;
  if ((idMap == nullptr && !ivf) ||
      (idMap != nullptr && faiss::ivflib::try_extract_index_ivf(idMap->index) != nullptr)) {
    throw BindingError(codes::kInvalidArgument,
                       "the buffer holds a FAISS index (" + faissClassName(*read) +
                           ") this binding did not write; fromBuffer reads what toBuffer wrote");
  }
  return std::unique_ptr<IdIndex>(new IdIndex(std::move(read)));
}

std::vector<uint8_t> IdIndex::serialize() const {
  faiss::VectorIOWriter writer;
  faiss::write_index(index_.get(), &writer);
  return std::move(writer.data);
}

std::string IdIndex::typeName() const { return faissClassName(*vectors_); }

bool IdIndex::contains(int64_t id) const {
  if (idMap_ != nullptr) return idMap_->rev_map.count(id) != 0;
  return ivf_->direct_map.hashtable.count(id) != 0;
}

void IdIndex::checkAdd(const int64_t* ids, int64_t n) const {
  if (!isTrained()) {
    throw BindingError(codes::kNotTrained,
                       "the index (" + typeName() +
                           ") is not trained: call train() with representative vectors before "
                           "adding");
  }
  std::unordered_set<int64_t> seen;
  seen.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) {
    int64_t id = ids[i];
    if (id < 0) {
      throw BindingError(codes::kInvalidArgument,
                         "ids must be >= 0 (-1 marks a missing result); ids[" +
                             std::to_string(i) + "] is " + std::to_string(id));
    }
    if (!seen.insert(id).second) {
      throw BindingError(codes::kInvalidArgument,
                         "id " + std::to_string(id) + " appears twice in the batch");
    }
    if (contains(id)) {
      throw BindingError(codes::kInvalidArgument,
                         "id " + std::to_string(id) +
                             " is already in the index: remove it first to replace its vector");
    }
  }
}

void IdIndex::checkRemove() const {
  if (dynamic_cast<const faiss::IndexHNSW*>(vectors_) != nullptr) {
    throw BindingError(codes::kUnsupported,
                       "removeIds is not supported on HNSW indexes (" + typeName() +
                           "): FAISS cannot remove from an HNSW graph; filter removed ids at "
                           "query time and rebuild the index");
  }
}

void IdIndex::checkSearch(int64_t k, const SearchOptions& options) const {
  if (k < 1) {
    throw BindingError(codes::kInvalidArgument, "k must be >= 1, got " + std::to_string(k));
  }
  if (!isTrained()) {
    throw BindingError(codes::kNotTrained, "the index (" + typeName() + ") is not trained");
  }
  if (options.nprobe != 0 && ivf_ == nullptr) {
    throw BindingError(codes::kInvalidArgument,
                       "nprobe applies to IVF indexes only; this index is " + typeName());
  }
  if (options.efSearch != 0 && dynamic_cast<const faiss::IndexHNSW*>(vectors_) == nullptr) {
    throw BindingError(codes::kInvalidArgument,
                       "efSearch applies to HNSW indexes only; this index is " + typeName());
  }
}

void IdIndex::train(const float* vectors, int64_t n) {
  applyThreads();
  index_->train(n, vectors);
}

void IdIndex::addWithIds(const float* vectors, const int64_t* ids, int64_t n) {
  applyThreads();
  index_->add_with_ids(n, vectors, ids);
}

size_t IdIndex::removeIds(const int64_t* ids, int64_t n) {
  applyThreads();
  if (ivf_ != nullptr) {
    // The hash-table direct map removes by id lookup, and only through an IDSelectorArray.
    faiss::IDSelectorArray selector(static_cast<size_t>(n), ids);
    return ivf_->remove_ids(selector);
  }
  faiss::IDSelectorBatch selector(static_cast<size_t>(n), ids);
  return index_->remove_ids(selector);
}

void IdIndex::search(const float* queries, int64_t n, int64_t k, const SearchOptions& options,
                     float* distances, int64_t* labels) const {
  applyThreads();
  faiss::SearchParametersIVF ivfParams;
  faiss::SearchParametersHNSW hnswParams;
  const faiss::SearchParameters* params = nullptr;
  if (options.nprobe != 0) {
    ivfParams.nprobe = static_cast<size_t>(options.nprobe);
    params = &ivfParams;
  } else if (options.efSearch != 0) {
    hnswParams.efSearch = static_cast<int>(options.efSearch);
    params = &hnswParams;
  }
  // The index holding the vectors is searched directly, so its own parameter type reaches it;
  // behind an id map, positions are then mapped to ids as IndexIDMap::search does.
  if (options.efSearch > k) {
    // FAISS 1.7.3 sizes HNSW's candidate heap from max(k, the index's own efSearch), ignoring
    // the per-call one (recall stops growing past the default 16). Asking for efSearch results
    // makes the heap that large without touching the shared index; the first k of each query's
    // sorted results are what a search with that efSearch returns.
    int64_t wide = options.efSearch;
    std::vector<float> wideDistances(static_cast<size_t>(n * wide));
    std::vector<int64_t> wideLabels(static_cast<size_t>(n * wide));
    vectors_->search(n, queries, wide, wideDistances.data(), wideLabels.data(), params);
    for (int64_t q = 0; q < n; q++) {
      std::copy_n(wideDistances.begin() + q * wide, k, distances + q * k);
      std::copy_n(wideLabels.begin() + q * wide, k, labels + q * k);
    }
  } else {
    vectors_->search(n, queries, k, distances, labels, params);
  }
  if (idMap_ == nullptr) return;
  const std::vector<int64_t>& idOf = idMap_->id_map;
  for (int64_t i = 0; i < n * k; i++) {
    int64_t position = labels[i];
    labels[i] = position < 0 ? -1 : idOf[static_cast<size_t>(position)];
  }
}

}  // namespace reelstream
