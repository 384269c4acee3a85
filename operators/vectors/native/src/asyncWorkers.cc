#include "asyncWorkers.h"

#include <cstring>
#include <string>
#include <utility>

#include "errors.h"

namespace reelstream {

namespace {

/** Runs `run()` off the main thread; settles a promise with `result()` or the error. */
class IndexWorker : public Napi::AsyncWorker {
 public:
  IndexWorker(NativeIndex& owner, Napi::Object self, Access access, const char* name)
      : Napi::AsyncWorker(self.Env(), name),
        owner_(owner),
        deferred_(Napi::Promise::Deferred::New(self.Env())),
        self_(Napi::Persistent(self)),  // keeps the index alive until the call settles
        access_(access) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  virtual void run() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;

  void Execute() final {
    try {
      run();
    } catch (...) {
      failed_ = true;
      error_ = describeCurrentException();
    }
  }

  void OnOK() final {
    Napi::Env env = Env();
    owner_.end(access_);
    if (failed_) {
      deferred_.Reject(makeError(env, error_.code, error_.message).Value());
      return;
    }
    try {
      deferred_.Resolve(result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) final {  // only if Execute called SetError; it does not
    owner_.end(access_);
    deferred_.Reject(e.Value());
  }

  NativeIndex& owner_;

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  Access access_;
  bool failed_ = false;
  ErrorInfo error_;
};

class TrainWorker : public IndexWorker {
 public:
  TrainWorker(NativeIndex& owner, Napi::Object self, std::vector<float> vectors, int64_t n)
      : IndexWorker(owner, self, Access::write, "reelstream.faiss.train"),
        vectors_(std::move(vectors)),
        n_(n) {}

 protected:
  void run() override { owner_.index().train(vectors_.data(), n_); }
  Napi::Value result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::vector<float> vectors_;
  int64_t n_;
};

class AddWorker : public IndexWorker {
 public:
  AddWorker(NativeIndex& owner, Napi::Object self, std::vector<float> vectors,
            std::vector<int64_t> ids)
      : IndexWorker(owner, self, Access::write, "reelstream.faiss.addWithIds"),
        vectors_(std::move(vectors)),
        ids_(std::move(ids)) {}

 protected:
  void run() override {
    owner_.index().addWithIds(vectors_.data(), ids_.data(), static_cast<int64_t>(ids_.size()));
  }
  Napi::Value result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::vector<float> vectors_;
  std::vector<int64_t> ids_;
};

class SearchWorker : public IndexWorker {
 public:
  SearchWorker(NativeIndex& owner, Napi::Object self, SearchRequest request)
      : IndexWorker(owner, self, Access::read, "reelstream.faiss.search"),
        request_(std::move(request)) {}

 protected:
  void run() override {
    size_t size = static_cast<size_t>(request_.n * request_.k);
    distances_.resize(size);
    labels_.resize(size);
    if (request_.n == 0) return;
    owner_.index().search(request_.queries.data(), request_.n, request_.k, request_.options,
                          distances_.data(), labels_.data());
  }
  Napi::Value result(Napi::Env env) override { return searchResult(env, distances_, labels_); }

 private:
  SearchRequest request_;
  std::vector<float> distances_;
  std::vector<int64_t> labels_;
};

template <typename TWorker, typename... TArgs>
Napi::Promise queue(NativeIndex& owner, Napi::Object self, TArgs&&... args) {
  auto* worker = new TWorker(owner, self, std::forward<TArgs>(args)...);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Promise queueTrain(NativeIndex& owner, Napi::Object self, std::vector<float> vectors,
                         int64_t n) {
  return queue<TrainWorker>(owner, self, std::move(vectors), n);
}

Napi::Promise queueAdd(NativeIndex& owner, Napi::Object self, std::vector<float> vectors,
                       std::vector<int64_t> ids) {
  return queue<AddWorker>(owner, self, std::move(vectors), std::move(ids));
}

Napi::Promise queueSearch(NativeIndex& owner, Napi::Object self, SearchRequest request) {
  return queue<SearchWorker>(owner, self, std::move(request));
}

Napi::Object searchResult(Napi::Env env, const std::vector<float>& distances,
                          const std::vector<int64_t>& labels) {
  Napi::Float32Array distanceArray = Napi::Float32Array::New(env, distances.size());
  if (!distances.empty()) {
    std::memcpy(distanceArray.Data(), distances.data(), distances.size() * sizeof(float));
  }
  Napi::BigInt64Array idArray = Napi::BigInt64Array::New(env, labels.size());
  if (!labels.empty()) {
    std::memcpy(idArray.Data(), labels.data(), labels.size() * sizeof(int64_t));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("distances", distanceArray);
  out.Set("ids", idArray);
  return out;
}

}  // namespace reelstream
