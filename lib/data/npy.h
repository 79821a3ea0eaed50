// numpy .npy arrays: an in-memory value type and the reader/writer of the .npy format
// (versions 1.0, 2.0 and 3.0; see numpy/lib/format.py).
//
// Whatever the file's byte order and memory order, an NpyArray always holds its elements native
// little-endian and in C (row-major) order, so consumers never care how the file was written.
// Readers trust nothing in the file: every size is checked against the bytes actually present
// before anything is allocated, and every problem is reported as a DataError.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "data/data_error.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wdc::data assumes a little-endian host"
#endif

namespace wdc::data {

// clang-format off
enum class DType : uint8_t { Bool, UInt8, Int8, UInt16, Int16, UInt32, Int32, UInt64, Int64,
                             Float32, Float64, Unicode };
// clang-format on
// DType::Unicode is numpy's fixed-width string '<Un' (e.g. label names, '<U9'). An NpyArray holds
// it as one more, last axis of n UCS-4 code points (4 bytes each, zero-padded), so numpy's (L,)
// '<U9' is shape (L, 9) here; visit() hands the code points over as uint32_t. Use
// unicode_strings / unicode_array below rather than the raw code points.

size_t dtype_size(DType dtype);
// numpy's name: "bool", "uint8", ..., "float64".
const char* dtype_name(DType dtype);
// The descr numpy writes on a little-endian machine: "|b1", "|u1", "<i4", "<f8", ...
const char* dtype_descr(DType dtype);
bool dtype_is_integer(DType dtype);  // bool excluded
bool dtype_is_float(DType dtype);

// clang-format off
template <class T> struct DTypeOf;
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::UInt16; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::UInt32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::UInt64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };
template <class T> inline constexpr DType dtype_of = DTypeOf<T>::value;
// clang-format on

// Product of dims, each >= 0, or DataError(what: ...) on a negative dim or int64 overflow.
int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what);
// "(2, 3)" in numpy's own notation, for messages.
std::string shape_string(const std::vector<int64_t>& shape);

class NpyArray {
 public:
  // An empty float64 array of shape (0,).
  NpyArray();
  // Zero-filled. Throws DataError on a negative or overflowing shape.
  NpyArray(DType dtype, std::vector<int64_t> shape);

  // A copy of numel(shape) values; dtype follows T.
  template <class T>
  static NpyArray from(std::vector<int64_t> shape, const T* values) {
    NpyArray a(dtype_of<T>, std::move(shape));
    if (a.nbytes_ > 0) std::memcpy(a.bytes_.get(), values, a.nbytes_);
    return a;
  }
  template <class T>
  static NpyArray from(std::vector<int64_t> shape, const std::vector<T>& values) {
    NpyArray a(dtype_of<T>, std::move(shape));
    if (values.size() != static_cast<size_t>(a.numel_))
      fail("NpyArray::from",
           std::to_string(values.size()) + " values for shape " + shape_string(a.shape_));
    if (a.nbytes_ > 0) std::memcpy(a.bytes_.get(), values.data(), a.nbytes_);
    return a;
  }

  NpyArray(const NpyArray& other);
  NpyArray& operator=(const NpyArray& other);
  // A moved-from array is an empty float64 array of shape (0,), like a default-constructed one.
  NpyArray(NpyArray&& other) noexcept;
  NpyArray& operator=(NpyArray&& other) noexcept;

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  size_t ndim() const { return shape_.size(); }
  int64_t numel() const { return numel_; }
  size_t itemsize() const { return dtype_size(dtype_); }
  size_t nbytes() const { return nbytes_; }
  // Where the array came from ("file.npz:arr_0.npy"), used to name it in error messages.
  const std::string& origin() const { return origin_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

  const void* data() const { return bytes_.get(); }
  void* data() { return bytes_.get(); }

  // Typed access; DataError when T is not exactly the stored dtype.
  template <class T>
  const T* data_as() const {
    check_dtype(dtype_of<T>);
    return reinterpret_cast<const T*>(bytes_.get());
  }
  template <class T>
  T* data_as() {
    check_dtype(dtype_of<T>);
    return reinterpret_cast<T*>(bytes_.get());
  }

  // Calls f(const T* values, size_t count) with T the stored element type, and returns its result.
  // Lets consumers handle every dtype with one generic lambda and no copy.
  template <class F>
  decltype(auto) visit(F&& f) const;

  // All elements converted to T (uint8, int8, ..., int64, float, double), checked:
  //  - integer T: each value must be integral and within T's range; a float NaN/inf, a fraction
  //    or an out-of-range value throws DataError naming the flat index and the value.
  //    bool converts to 0/1.
  //  - float/double T: integers round to nearest; a finite float64 beyond float's range throws;
  //    NaN and infinities are kept.
  // Nothing is clamped here; callers that want clamping (MixedWM38 map values) do their own.
  template <class T>
  std::vector<T> to() const;

 private:
  void check_dtype(DType want) const;
  [[noreturn]] void conversion_error(size_t index, const std::string& value,
                                     const char* target) const;

  DType dtype_ = DType::Float64;
  std::vector<int64_t> shape_{0};
  int64_t numel_ = 0;
  size_t nbytes_ = 0;
  // new unsigned char[]: aligned for every dtype, and may provide storage for objects of any type.
  std::unique_ptr<unsigned char[]> bytes_;
  std::string origin_;
};

// The strings of a Unicode array of shape (L, n) as UTF-8 (trailing zero code points dropped,
// like numpy); DataError for any other dtype or shape, or a code point that is not a character.
std::vector<std::string> unicode_strings(const NpyArray& array);
// A Unicode array of shape (strings.size(), longest) from UTF-8 strings (numpy's '<Un'); DataError
// on invalid UTF-8.
NpyArray unicode_array(const std::vector<std::string>& strings);

// Parses a complete .npy image. `what` names the buffer in error messages. The buffer must hold
// exactly the header and the payload the header announces: a short or over-long buffer is an error.
NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& what);
NpyArray read_npy(const std::string& path);

// The .npy image of `array` (format 1.0, or 2.0 when the header would not fit 1.0, like numpy).
std::vector<uint8_t> serialize_npy(const NpyArray& array);
// Writes via a temporary file and a rename, so an interrupted write leaves any old file intact.
void write_npy(const std::string& path, const NpyArray& array);

// ---- implementation of the templates --------------------------------------------------------

template <class F>
decltype(auto) NpyArray::visit(F&& f) const {
  const size_t n = static_cast<size_t>(numel_);
  const unsigned char* p = bytes_.get();
  switch (dtype_) {
    case DType::Bool: return f(reinterpret_cast<const bool*>(p), n);
    case DType::UInt8: return f(reinterpret_cast<const uint8_t*>(p), n);
    case DType::Int8: return f(reinterpret_cast<const int8_t*>(p), n);
    case DType::UInt16: return f(reinterpret_cast<const uint16_t*>(p), n);
    case DType::Int16: return f(reinterpret_cast<const int16_t*>(p), n);
    case DType::UInt32: return f(reinterpret_cast<const uint32_t*>(p), n);
    case DType::Int32: return f(reinterpret_cast<const int32_t*>(p), n);
    case DType::UInt64: return f(reinterpret_cast<const uint64_t*>(p), n);
    case DType::Int64: return f(reinterpret_cast<const int64_t*>(p), n);
    case DType::Float32: return f(reinterpret_cast<const float*>(p), n);
    case DType::Unicode:
      return f(reinterpret_cast<const uint32_t*>(p), n);
    case DType::Float64: break;
  }
  return f(reinterpret_cast<const double*>(p), n);
}

namespace detail {

// True when integral value v is representable in T (sign-aware, no implicit conversions).
template <class T, class S>
constexpr bool int_fits(S v) {
  // if constexpr on the widths keeps -Wtype-limits quiet about comparisons that always hold.
  constexpr T tmax = std::numeric_limits<T>::max();
  if constexpr (std::is_signed_v<S> && std::is_signed_v<T>) {
    if constexpr (sizeof(S) <= sizeof(T))
      return true;
    else
      return v >= static_cast<S>(std::numeric_limits<T>::min()) && v <= static_cast<S>(tmax);
  } else if constexpr (!std::is_signed_v<S> && !std::is_signed_v<T>) {
    if constexpr (sizeof(S) <= sizeof(T))
      return true;
    else
      return v <= static_cast<S>(tmax);
  } else if constexpr (std::is_signed_v<S>) {  // signed -> unsigned
    if (v < 0) return false;
    if constexpr (sizeof(S) <= sizeof(T))
      return true;
    else
      return static_cast<std::make_unsigned_t<S>>(v) <= static_cast<std::make_unsigned_t<S>>(tmax);
  } else {  // unsigned -> signed
    if constexpr (sizeof(S) < sizeof(T))
      return true;
    else
      return v <= static_cast<S>(static_cast<std::make_unsigned_t<T>>(tmax));
  }
}

// True when floating value v is an integer representable in T.
template <class T, class S>
bool float_fits_int(S v) {
  if (!std::isfinite(v) || std::trunc(v) != v) return false;
  // 2^digits is exactly representable as a double, and T's range is [min, 2^digits).
  const double upper = std::ldexp(1.0, std::numeric_limits<T>::digits);
  const double lower = std::is_signed_v<T> ? -upper : 0.0;
  const double d = static_cast<double>(v);
  return d >= lower && d < upper;
}

template <class S>
std::string value_string(S v) {
  if constexpr (std::is_same_v<S, bool>)
    return v ? "True" : "False";
  else
    return std::to_string(v);
}

}  // namespace detail

template <class T>
std::vector<T> NpyArray::to() const {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>,
                "NpyArray::to<T>: T must be an integer or floating type other than bool");
  if (dtype_ == DType::Unicode)
    fail(origin_.empty() ? "NpyArray" : origin_,
         std::string("holds strings, not numbers (") + dtype_name(dtype_of<T>) + " expected)");
  std::vector<T> out(static_cast<size_t>(numel_));
  visit([&](const auto* src, size_t n) {
    using S = std::remove_cv_t<std::remove_pointer_t<decltype(src)>>;
    for (size_t i = 0; i < n; ++i) {
      const S v = src[i];
      if constexpr (std::is_same_v<S, bool>) {
        out[i] = static_cast<T>(v ? 1 : 0);
      } else if constexpr (std::is_integral_v<T> && std::is_integral_v<S>) {
        if (!detail::int_fits<T>(v))
          conversion_error(i, detail::value_string(v), dtype_name(dtype_of<T>));
        out[i] = static_cast<T>(v);
      } else if constexpr (std::is_integral_v<T>) {
        if (!detail::float_fits_int<T>(v))
          conversion_error(i, detail::value_string(v), dtype_name(dtype_of<T>));
        out[i] = static_cast<T>(v);
      } else if constexpr (std::is_same_v<T, float> && std::is_same_v<S, double>) {
        if (std::isfinite(v) &&
            std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
          conversion_error(i, detail::value_string(v), "float");
        out[i] = static_cast<T>(v);
      } else {
        out[i] = static_cast<T>(v);
      }
    }
  });
  return out;
}

}  // namespace wdc::data
