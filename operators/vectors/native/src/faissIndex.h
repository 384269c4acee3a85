// The JS class `NativeIndex`: one FAISS index_factory index with 64-bit ids (idIndex.h).
//
// Concurrency: an asynchronous call takes the index for reading (searchAsync) or writing
// (trainAsync, addWithIdsAsync) when it is issued, on the main thread, and gives it back when
// its promise settles. Any call that cannot get the access it needs throws ERR_FAISS_INDEX_BUSY
// at once, never waits: reads share the index with other reads, a write excludes everything.
// All the bookkeeping happens on the main thread, so it needs no lock.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "idIndex.h"

namespace reelstream {

enum class Access { read, write };

class NativeIndex : public Napi::ObjectWrap<NativeIndex> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit NativeIndex(const Napi::CallbackInfo& info);

  /** Takes the index for `access` or throws (busy, disposed); `operation` names the caller. */
  void begin(Napi::Env env, Access access, const char* operation);
  /** Gives back what `begin` took. */
  void end(Access access);

  IdIndex& index() { return *index_; }
  int dimension() const { return dimension_; }

 private:
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value TrainAsync(const Napi::CallbackInfo& info);
  Napi::Value AddWithIds(const Napi::CallbackInfo& info);
  Napi::Value AddWithIdsAsync(const Napi::CallbackInfo& info);
  Napi::Value RemoveIds(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value ToBuffer(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetNtotal(const Napi::CallbackInfo& info);
  Napi::Value GetDimension(const Napi::CallbackInfo& info);
  Napi::Value GetIsTrained(const Napi::CallbackInfo& info);
  Napi::Value GetIndexType(const Napi::CallbackInfo& info);
  Napi::Value GetBusy(const Napi::CallbackInfo& info);

  std::unique_ptr<IdIndex> index_;
  int dimension_ = 0;
  int readers_ = 0;
  bool writer_ = false;
  std::string runningWrite_;
};

/** Holds `begin`/`end` around a synchronous call. */
class AccessScope {
 public:
  AccessScope(NativeIndex& owner, Napi::Env env, Access access, const char* operation)
      : owner_(owner), access_(access) {
    owner_.begin(env, access, operation);
  }
  ~AccessScope() { owner_.end(access_); }
  AccessScope(const AccessScope&) = delete;
  AccessScope& operator=(const AccessScope&) = delete;

 private:
  NativeIndex& owner_;
  Access access_;
};

}  // namespace reelstream
