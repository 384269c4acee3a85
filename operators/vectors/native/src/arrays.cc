#include "arrays.h"

#include <cmath>

#include "errors.h"

namespace reelstream {

Napi::Float32Array expectFloat32Array(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwError(value.Env(), codes::kInvalidArgument, std::string(what) + " must be a Float32Array");
  }
  return value.As<Napi::Float32Array>();
}

Napi::BigInt64Array expectIds(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throwError(value.Env(), codes::kInvalidArgument,
               std::string(what) + " must be a BigInt64Array");
  }
  return value.As<Napi::BigInt64Array>();
}

int64_t vectorCount(const Napi::Float32Array& array, int dimension, const char* what) {
  size_t length = array.ElementLength();
  if (length % static_cast<size_t>(dimension) != 0) {
    throwError(array.Env(), codes::kInvalidArgument,
               std::string(what) + " has " + std::to_string(length) +
                   " floats, not a multiple of the dimension " + std::to_string(dimension));
  }
  return static_cast<int64_t>(length / static_cast<size_t>(dimension));
}

int64_t expectInteger(const Napi::Value& value, const char* what, int64_t min, int64_t max) {
  if (!value.IsNumber()) {
    throwError(value.Env(), codes::kInvalidArgument, std::string(what) + " must be a number");
  }
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::floor(number) != number || number < static_cast<double>(min) ||
      number > static_cast<double>(max)) {
    throwError(value.Env(), codes::kInvalidArgument,
               std::string(what) + " must be an integer in [" + std::to_string(min) + ", " +
                   std::to_string(max) + "], got " + value.ToString().Utf8Value());
  }
  return static_cast<int64_t>(number);
}

int64_t optionalIntegerProperty(const Napi::Object& object, const char* name, int64_t max) {
  Napi::Value value = object.Get(name);
  if (value.IsUndefined()) return 0;
  return expectInteger(value, name, 1, max);
}

std::string expectString(const Napi::Value& value, const char* what) {
  if (!value.IsString()) {
    throwError(value.Env(), codes::kInvalidArgument, std::string(what) + " must be a string");
  }
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace reelstream
