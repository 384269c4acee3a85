#include "faissIndex.h"

#include <limits>
#include <utility>
#include <vector>

#include "arrays.h"
#include "asyncWorkers.h"
#include "errors.h"

namespace reelstream {

namespace {

constexpr int64_t kMaxDimension = 1 << 20;
constexpr int64_t kMaxK = 1 << 20;
constexpr int64_t kMaxParam = std::numeric_limits<int32_t>::max();

std::vector<float> copyFloats(const Napi::Float32Array& array) {
  return std::vector<float>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<int64_t> copyIds(const Napi::BigInt64Array& array) {
  return std::vector<int64_t>(array.Data(), array.Data() + array.ElementLength());
}

SearchOptions searchOptions(const Napi::Value& value) {
  SearchOptions options;
  if (value.IsUndefined() || value.IsNull()) return options;
  if (!value.IsObject()) {
    throwError(value.Env(), codes::kInvalidArgument,
               "search params must be an object { nprobe?, efSearch? }");
  }
  Napi::Object object = value.As<Napi::Object>();
  options.nprobe = optionalIntegerProperty(object, "nprobe", kMaxParam);
  options.efSearch = optionalIntegerProperty(object, "efSearch", kMaxParam);
  return options;
}

/** Vectors and ids of an add, checked against each other and the index. */
struct AddArguments {
  Napi::Float32Array vectors;
  Napi::BigInt64Array ids;
  int64_t n;
};

AddArguments addArguments(const Napi::CallbackInfo& info, NativeIndex& owner) {
  Napi::Float32Array vectors = expectFloat32Array(info[0], "vectors");
  Napi::BigInt64Array ids = expectIds(info[1], "ids");
  int64_t n = vectorCount(vectors, owner.dimension(), "vectors");
  if (static_cast<size_t>(n) != ids.ElementLength()) {
    throwError(info.Env(), codes::kInvalidArgument,
               "vectors holds " + std::to_string(n) + " vectors but ids holds " +
                   std::to_string(ids.ElementLength()) + " ids");
  }
  return {vectors, ids, n};
}

struct SearchArguments {
  Napi::Float32Array queries;
  int64_t n;
  int64_t k;
  SearchOptions options;
};

SearchArguments searchArguments(const Napi::CallbackInfo& info, NativeIndex& owner) {
  Napi::Float32Array queries = expectFloat32Array(info[0], "queries");
  int64_t n = vectorCount(queries, owner.dimension(), "queries");
  int64_t k = expectInteger(info[1], "k", 1, kMaxK);
  SearchOptions options = searchOptions(info[2]);
  return {queries, n, k, options};
}

}  // namespace

Napi::Function NativeIndex::define(Napi::Env env) {
  return DefineClass(
      env, "NativeIndex",
      {
          InstanceMethod<&NativeIndex::Train>("train"),
          InstanceMethod<&NativeIndex::TrainAsync>("trainAsync"),
          InstanceMethod<&NativeIndex::AddWithIds>("addWithIds"),
          InstanceMethod<&NativeIndex::AddWithIdsAsync>("addWithIdsAsync"),
          InstanceMethod<&NativeIndex::RemoveIds>("removeIds"),
          InstanceMethod<&NativeIndex::Search>("search"),
          InstanceMethod<&NativeIndex::SearchAsync>("searchAsync"),
          InstanceMethod<&NativeIndex::ToBuffer>("toBuffer"),
          InstanceMethod<&NativeIndex::Dispose>("dispose"),
          InstanceAccessor<&NativeIndex::GetNtotal>("ntotal"),
          InstanceAccessor<&NativeIndex::GetDimension>("dimension"),
          InstanceAccessor<&NativeIndex::GetIsTrained>("isTrained"),
          InstanceAccessor<&NativeIndex::GetIndexType>("indexType"),
          InstanceAccessor<&NativeIndex::GetBusy>("busy"),
      });
}

// new NativeIndex({ dimension, description, metric: 'l2' | 'innerProduct' })
// new NativeIndex({ buffer: Uint8Array })  (what toBuffer wrote)
NativeIndex::NativeIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeIndex>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    throwError(env, codes::kInvalidArgument, "NativeIndex expects an options object");
  }
  Napi::Object options = info[0].As<Napi::Object>();
  Napi::Value buffer = options.Get("buffer");
  if (!buffer.IsUndefined()) {
    if (!buffer.IsTypedArray() ||
        buffer.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throwError(env, codes::kInvalidArgument, "buffer must be a Buffer or Uint8Array");
    }
    Napi::Uint8Array bytes = buffer.As<Napi::Uint8Array>();
    index_ = guarded(env, [&] { return IdIndex::deserialize(bytes.Data(), bytes.ElementLength()); });
  } else {
    int64_t dimension = expectInteger(options.Get("dimension"), "dimension", 1, kMaxDimension);
    std::string description = expectString(options.Get("description"), "description");
    std::string metric = expectString(options.Get("metric"), "metric");
    if (metric != "l2" && metric != "innerProduct") {
      throwError(env, codes::kInvalidArgument,
                 "metric must be 'l2' or 'innerProduct', got '" + metric + "'");
    }
    index_ = guarded(env, [&] {
      return IdIndex::create(static_cast<int>(dimension), description, metric == "innerProduct");
    });
  }
  dimension_ = index_->dimension();
}

void NativeIndex::begin(Napi::Env env, Access access, const char* operation) {
  if (!index_) {
    throwError(env, codes::kDisposed,
               std::string(operation) + ": the index has been disposed");
  }
  if (writer_) {
    throwError(env, codes::kBusy,
               std::string(operation) + ": the index is busy: " + runningWrite_ +
                   " is running; await its promise first");
  }
  if (access == Access::write && readers_ > 0) {
    throwError(env, codes::kBusy,
               std::string(operation) + ": the index is busy: " + std::to_string(readers_) +
                   " searchAsync call(s) are running; await them first");
  }
  if (access == Access::write) {
    writer_ = true;
    runningWrite_ = operation;
  } else {
    readers_++;
  }
}

void NativeIndex::end(Access access) {
  if (access == Access::write) {
    writer_ = false;
    runningWrite_.clear();
  } else {
    readers_--;
  }
}

Napi::Value NativeIndex::Train(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array vectors = expectFloat32Array(info[0], "vectors");
  int64_t n = vectorCount(vectors, dimension_, "vectors");
  AccessScope scope(*this, env, Access::write, "train");
  guarded(env, [&] { index_->train(vectors.Data(), n); });
  return env.Undefined();
}

Napi::Value NativeIndex::TrainAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array vectors = expectFloat32Array(info[0], "vectors");
  int64_t n = vectorCount(vectors, dimension_, "vectors");
  begin(env, Access::write, "trainAsync");
  try {
    return queueTrain(*this, info.This().As<Napi::Object>(), copyFloats(vectors), n);
  } catch (...) {
    end(Access::write);
    throw;
  }
}

Napi::Value NativeIndex::AddWithIds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddArguments args = addArguments(info, *this);
  AccessScope scope(*this, env, Access::write, "addWithIds");
  guarded(env, [&] {
    index_->checkAdd(args.ids.Data(), args.n);
    index_->addWithIds(args.vectors.Data(), args.ids.Data(), args.n);
  });
  return env.Undefined();
}

Napi::Value NativeIndex::AddWithIdsAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddArguments args = addArguments(info, *this);
  begin(env, Access::write, "addWithIdsAsync");
  try {
    guarded(env, [&] { index_->checkAdd(args.ids.Data(), args.n); });
    return queueAdd(*this, info.This().As<Napi::Object>(), copyFloats(args.vectors),
                    copyIds(args.ids));
  } catch (...) {
    end(Access::write);
    throw;
  }
}

Napi::Value NativeIndex::RemoveIds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::BigInt64Array ids = expectIds(info[0], "ids");
  AccessScope scope(*this, env, Access::write, "removeIds");
  size_t removed = guarded(env, [&] {
    index_->checkRemove();
    return index_->removeIds(ids.Data(), static_cast<int64_t>(ids.ElementLength()));
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

Napi::Value NativeIndex::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SearchArguments args = searchArguments(info, *this);
  AccessScope scope(*this, env, Access::read, "search");
  size_t size = static_cast<size_t>(args.n * args.k);
  Napi::Float32Array distances = Napi::Float32Array::New(env, size);
  Napi::BigInt64Array ids = Napi::BigInt64Array::New(env, size);
  guarded(env, [&] {
    index_->checkSearch(args.k, args.options);
    if (args.n > 0) {
      index_->search(args.queries.Data(), args.n, args.k, args.options, distances.Data(),
                     ids.Data());
    }
  });
  Napi::Object out = Napi::Object::New(env);
  out.Set("distances", distances);
  out.Set("ids", ids);
  return out;
}

Napi::Value NativeIndex::SearchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SearchArguments args = searchArguments(info, *this);
  begin(env, Access::read, "searchAsync");
  try {
    guarded(env, [&] { index_->checkSearch(args.k, args.options); });
    SearchRequest request{copyFloats(args.queries), args.n, args.k, args.options};
    return queueSearch(*this, info.This().As<Napi::Object>(), std::move(request));
  } catch (...) {
    end(Access::read);
    throw;
  }
}

Napi::Value NativeIndex::ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AccessScope scope(*this, env, Access::read, "toBuffer");
  std::vector<uint8_t> bytes = guarded(env, [&] { return index_->serialize(); });
  return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
}

Napi::Value NativeIndex::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!index_) return env.Undefined();  // disposing twice is a no-op
  begin(env, Access::write, "dispose");
  index_.reset();
  end(Access::write);
  return env.Undefined();
}

Napi::Value NativeIndex::GetNtotal(const Napi::CallbackInfo& info) {
  AccessScope scope(*this, info.Env(), Access::read, "ntotal");
  return Napi::Number::New(info.Env(), static_cast<double>(index_->ntotal()));
}

Napi::Value NativeIndex::GetDimension(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), dimension_);
}

Napi::Value NativeIndex::GetIsTrained(const Napi::CallbackInfo& info) {
  AccessScope scope(*this, info.Env(), Access::read, "isTrained");
  return Napi::Boolean::New(info.Env(), index_->isTrained());
}

Napi::Value NativeIndex::GetIndexType(const Napi::CallbackInfo& info) {
  AccessScope scope(*this, info.Env(), Access::read, "indexType");
  return Napi::String::New(info.Env(), index_->typeName());
}

Napi::Value NativeIndex::GetBusy(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), writer_ || readers_ > 0);
}

}  // namespace reelstream
