// Argument checks and conversions between JS values and the buffers FAISS reads and writes.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace reelstream {

/** The value as a Float32Array, or a JS TypeError-like error naming `what`. */
Napi::Float32Array expectFloat32Array(const Napi::Value& value, const char* what);

/** The value as a BigInt64Array of ids, or an error naming `what`. */
Napi::BigInt64Array expectIds(const Napi::Value& value, const char* what);

/** The number of `dimension`-sized vectors in `array`; throws when its length is not a multiple. */
int64_t vectorCount(const Napi::Float32Array& array, int dimension, const char* what);

/** The value as a safe integer in [min, max], or an error naming `what`. */
int64_t expectInteger(const Napi::Value& value, const char* what, int64_t min, int64_t max);

/** Optional integer property of an object: 0 when absent or undefined. */
int64_t optionalIntegerProperty(const Napi::Object& object, const char* name, int64_t max);

/** The value as a string, or an error naming `what`. */
std::string expectString(const Napi::Value& value, const char* what);

}  // namespace reelstream
