// Internal: the .npy wire format shared by the memory, file and zip-entry readers, so that all
// three run exactly the same checks (and a fuzzer of parse_npy exercises the npz path too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/npy.h"

namespace wdc::data::detail {

// A sequential byte stream of known total size.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into dst; returns fewer than n only at the end of the stream. Throws
  // DataError on an I/O or integrity (CRC) error.
  virtual size_t read(void* dst, size_t n) = 0;
};

// Headers larger than this are refused as malformed: a real one is under 200 bytes, and numpy
// itself refuses anything over 10000 by default.
inline constexpr size_t kMaxNpyHeaderBytes = size_t{1} << 20;

struct NpyHeader {
  DType dtype = DType::Float64;
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<int64_t> shape;  // for DType::Unicode with the string length as the last axis
  int64_t string_length = 0;   // DType::Unicode: n of '<Un'
  size_t header_bytes = 0;   // magic, version, length field, dict and padding
  size_t payload_bytes = 0;  // numel(shape) * itemsize, overflow-checked
};

// Parses the dict of a .npy header, e.g. "{'descr': '<i4', 'fortran_order': False, 'shape': (3,),
// }". Exactly these three keys, Python literal syntax, nothing but whitespace after the closing
// brace.
void parse_npy_dict(const char* text, size_t length, NpyHeader& header, const std::string& what);

// Reads a whole .npy image of exactly `size` bytes from `source`. Allocates only after the header
// has been validated and the payload it announces fits in `size`.
NpyArray read_npy_stream(ByteSource& source, uint64_t size, const std::string& what);

// The header (magic through the '\n' that ends the padding) numpy would write for this array,
// padded so that the payload starts on a 64-byte boundary.
std::vector<uint8_t> format_npy_header(DType dtype, const std::vector<int64_t>& shape);

}  // namespace wdc::data::detail
