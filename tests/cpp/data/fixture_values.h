// The closed formulas behind the arrays of tests/fixtures/npz (documented in
// make_npz_fixtures.py), recomputed here independently of numpy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/npy.h"

namespace wdc::data::test {

inline constexpr uint64_t kGolden64 = 0x9E3779B97F4A7C15ull;

// Value of flat index i for dtype code ("b1", "u1", ..., "f8") as a double-free exact form:
// integers come back as the exact int64/uint64 bit pattern via the typed helpers below.
inline bool expected_b1(int64_t i) { return i % 3 == 0; }
inline uint8_t expected_u1(int64_t i) { return static_cast<uint8_t>((i * 7) % 256); }
inline int8_t expected_i1(int64_t i) { return static_cast<int8_t>((i * 7) % 256 - 128); }
inline uint16_t expected_u2(int64_t i) { return static_cast<uint16_t>((i * 2731) % 65536); }
inline int16_t expected_i2(int64_t i) { return static_cast<int16_t>((i * 2731) % 65536 - 32768); }
inline uint32_t expected_u4(int64_t i) {
  return static_cast<uint32_t>((static_cast<uint64_t>(i) * 2654435761ull) % (1ull << 32));
}
inline int32_t expected_i4(int64_t i) {
  return static_cast<int32_t>(static_cast<int64_t>(expected_u4(i)) - (int64_t{1} << 31));
}
inline uint64_t expected_u8(int64_t i) { return static_cast<uint64_t>(i) * kGolden64; }  // mod 2^64
// (v - 2^63) for v in [0, 2^64) is v with its top bit flipped, read as two's complement.
inline int64_t expected_i8(int64_t i) {
  return static_cast<int64_t>(expected_u8(i) ^ (uint64_t{1} << 63));
}
inline float expected_f4(int64_t i) { return static_cast<float>(i) * 0.25f - 3.5f; }
inline double expected_f8(int64_t i) { return (static_cast<double>(i) - 11) * 0.375; }

// Every element of `a` equals expected(flat index).
template <class T, class F>
::testing::AssertionResult values_match(const NpyArray& a, F expected) {
  if (a.dtype() != dtype_of<T>)
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(a.dtype()) << ", expected " << dtype_name(dtype_of<T>);
  const T* v = a.data_as<T>();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (!(v[i] == expected(i)))
      return ::testing::AssertionFailure()
             << "element " << i << " is " << +v[i] << ", expected " << +expected(i);
  return ::testing::AssertionSuccess();
}

// Checks an array named "<code>_..." against the formula for that code.
inline ::testing::AssertionResult matches_formula(const std::string& code, const NpyArray& a) {
  if (code == "b1") return values_match<bool>(a, expected_b1);
  if (code == "u1") return values_match<uint8_t>(a, expected_u1);
  if (code == "i1") return values_match<int8_t>(a, expected_i1);
  if (code == "u2") return values_match<uint16_t>(a, expected_u2);
  if (code == "i2") return values_match<int16_t>(a, expected_i2);
  if (code == "u4") return values_match<uint32_t>(a, expected_u4);
  if (code == "i4") return values_match<int32_t>(a, expected_i4);
  if (code == "u8") return values_match<uint64_t>(a, expected_u8);
  if (code == "i8") return values_match<int64_t>(a, expected_i8);
  if (code == "f4") return values_match<float>(a, expected_f4);
  if (code == "f8") return values_match<double>(a, expected_f8);
  return ::testing::AssertionFailure() << "unknown code " << code;
}

inline const std::vector<std::string> kCodes = {"b1", "u1", "i1", "u2", "i2", "u4",
                                                "i4", "u8", "i8", "f4", "f8"};

}  // namespace wdc::data::test
