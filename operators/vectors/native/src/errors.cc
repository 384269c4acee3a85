#include "errors.h"

#include <faiss/impl/FaissException.h>

#include <exception>
#include <new>

namespace reelstream {

ErrorInfo describeCurrentException() {
  try {
    throw;
  } catch (const BindingError& e) {
    return {e.code, e.what()};
  } catch (const faiss::FaissException& e) {
    return {codes::kFaiss, e.what()};
  } catch (const std::bad_alloc& e) {
    return {codes::kOutOfMemory, std::string("out of memory: ") + e.what()};
  } catch (const std::exception& e) {
    return {codes::kNative, e.what()};
  } catch (...) {
    return {codes::kNative, "unknown native exception"};
  }
}

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throwError(Napi::Env env, const char* code, const std::string& message) {
  throw makeError(env, code, message);
}

}  // namespace reelstream
