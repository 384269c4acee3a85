// Every failure the binding reports is a JS Error with a stable `code` (see errors.cc); no FAISS
// or C++ exception may escape into Node, where it would abort the process.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>

namespace reelstream {

/** Error codes, mirrored by `faissErrorCodes` in operators/vectors/faissIndex.ts. */
namespace codes {
inline constexpr const char* kFaiss = "ERR_FAISS";  // FAISS threw (its message is kept)
inline constexpr const char* kInvalidArgument = "ERR_FAISS_INVALID_ARGUMENT";
inline constexpr const char* kNotTrained = "ERR_FAISS_NOT_TRAINED";
inline constexpr const char* kUnsupported = "ERR_FAISS_UNSUPPORTED";
inline constexpr const char* kBusy = "ERR_FAISS_INDEX_BUSY";
inline constexpr const char* kDisposed = "ERR_FAISS_INDEX_DISPOSED";
inline constexpr const char* kOutOfMemory = "ERR_FAISS_OUT_OF_MEMORY";
inline constexpr const char* kNative = "ERR_FAISS_NATIVE";  // any other C++ exception
}  // namespace codes

/** A failure detected by the binding itself (not by FAISS); carries its code. */
struct BindingError : std::runtime_error {
  BindingError(const char* code, const std::string& message)
      : std::runtime_error(message), code(code) {}
  const char* code;
};

/** Code and message of a caught exception, for crossing from a worker thread to JS. */
struct ErrorInfo {
  std::string code;
  std::string message;
};

/** Describes the exception being handled; call only inside a catch block. */
ErrorInfo describeCurrentException();

/** Builds a JS Error with `code` set. */
Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);

/** Throws a JS Error with `code` set (as a Napi::Error C++ exception). */
[[noreturn]] void throwError(Napi::Env env, const char* code, const std::string& message);

/**
 * Runs `body` and turns any exception it throws (FAISS's, the binding's, the standard library's)
 * into a JS Error. Napi::Error passes through unchanged.
 */
template <typename TBody>
auto guarded(Napi::Env env, TBody&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    ErrorInfo info = describeCurrentException();
    throw makeError(env, info.code, info.message);
  }
}

}  // namespace reelstream
