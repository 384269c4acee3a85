// Module entry: the NativeIndex class and the process-wide OpenMP thread count.
#include <faiss/Index.h>
#include <napi.h>

#include <string>

#include "arrays.h"
#include "errors.h"
#include "faissIndex.h"
#include "threads.h"

namespace reelstream {

namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int64_t n = expectInteger(info[0], "threads", 1, 1024);
  setThreads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), configuredThreads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeIndex", NativeIndex::define(env));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("getThreads", Napi::Function::New<GetThreads>(env, "getThreads"));
  exports.Set("faissVersion",
              Napi::String::New(env, std::to_string(FAISS_VERSION_MAJOR) + "." +
                                         std::to_string(FAISS_VERSION_MINOR) + "." +
                                         std::to_string(FAISS_VERSION_PATCH)));
  return exports;
}

}  // namespace

}  // namespace reelstream

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return reelstream::Init(env, exports);
}

NODE_API_MODULE(reelstream_faiss, InitModule)
