#include "data/npy_format.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace wdc::data::detail {
namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMagicAndVersion = 8;
// numpy pads headers so that the payload is 64-byte aligned (format.ARRAY_ALIGN).
constexpr size_t kArrayAlign = 64;
// numpy >= 1.23 pads the dict so the first axis can grow in place (GROWTH_AXIS_MAX_DIGITS).
constexpr size_t kGrowthAxisMaxDigits = 21;

// A strict reader of the Python literal numpy writes as the header dict. It accepts the
// formatting variants that numpy versions and other writers produce (either quote style,
// any whitespace, optional trailing commas, Python 2 "L" suffixes) and nothing else.
class DictParser {
 public:
  DictParser(const char* text, size_t length, const std::string& what)
      : p_(text), end_(text + length), what_(what) {}

  void parse(NpyHeader& header) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{', "at the start of the header dict");
    while (!consume('}')) {
      const std::string key = parse_string("a dict key");
      expect(':', "after key '" + key + "'");
      if (key == "descr") {
        if (have_descr) bad("duplicate key 'descr'");
        have_descr = true;
        skip_ws();
        if (p_ < end_ && *p_ == '[') bad("structured dtypes (descr is a list) are not supported");
        parse_descr(parse_string("the descr value"), header);
      } else if (key == "fortran_order") {
        if (have_fortran) bad("duplicate key 'fortran_order'");
        have_fortran = true;
        header.fortran_order = parse_bool();
      } else if (key == "shape") {
        if (have_shape) bad("duplicate key 'shape'");
        have_shape = true;
        header.shape = parse_shape();
      } else {
        bad("unexpected key '" + key + "' in the header dict");
      }
      if (!consume(',')) {
        expect('}', "after the value of '" + key + "'");
        break;
      }
    }
    skip_ws();
    if (p_ != end_) bad("unexpected bytes after the header dict");
    if (!have_descr) bad("header dict has no 'descr'");
    if (!have_fortran) bad("header dict has no 'fortran_order'");
    if (!have_shape) bad("header dict has no 'shape'");
    if (header.dtype == DType::Unicode) {
      // Only 1-D string arrays (label names) are read: a Fortran-ordered block of strings would
      // need its own transposition, and nothing in wdc writes one.
      if (header.shape.size() > 1 && header.fortran_order)
        bad("Fortran-ordered string arrays are not supported");
      header.shape.push_back(header.string_length);
    }
  }

 private:
  [[noreturn]] void bad(const std::string& problem) const {
    fail(what_, "bad .npy header: " + problem);
  }

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool consume(char c) {
    skip_ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c, const std::string& where) {
    if (!consume(c)) bad(std::string("expected '") + c + "' " + where);
  }

  std::string parse_string(const std::string& role) {
    skip_ws();
    if (p_ >= end_ || (*p_ != '\'' && *p_ != '"')) bad("expected a quoted string as " + role);
    const char quote = *p_++;
    const char* start = p_;
    while (p_ < end_ && *p_ != quote) {
      // No real descr or key needs escapes; refusing them keeps the parser trivially correct.
      if (*p_ == '\\') bad("escape sequences in strings are not supported");
      if (*p_ == '\n') bad("unterminated string");
      ++p_;
    }
    if (p_ >= end_) bad("unterminated string");
    std::string s(start, p_);
    ++p_;
    return s;
  }

  bool parse_bool() {
    skip_ws();
    auto match = [&](const char* word) {
      const size_t n = std::strlen(word);
      if (static_cast<size_t>(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
        p_ += n;
        return true;
      }
      return false;
    };
    if (match("True")) return true;
    if (match("False")) return false;
    bad("fortran_order must be True or False");
  }

  int64_t parse_dim() {
    skip_ws();
    if (p_ < end_ && *p_ == '-') bad("negative dimension in shape");
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') bad("expected an integer in shape");
    int64_t value = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      const int digit = *p_++ - '0';
      if (value > (INT64_MAX - digit) / 10) bad("dimension in shape overflows int64");
      value = value * 10 + digit;
    }
    if (p_ < end_ && (*p_ == 'L' || *p_ == 'l')) ++p_;  // Python 2 long literal
    return value;
  }

  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(', "to open the shape tuple");
    if (consume(')')) return shape;
    for (;;) {
      shape.push_back(parse_dim());
      if (shape.size() > 64) bad("shape has more than 64 dimensions");
      const bool comma = consume(',');
      if (consume(')')) {
        // "(3)" is the integer 3 in Python, not a tuple; numpy never writes it.
        if (shape.size() == 1 && !comma) bad("one-element shape tuple without a comma");
        return shape;
      }
      if (!comma) bad("expected ',' or ')' in shape");
    }
  }

  void parse_descr(const std::string& descr, NpyHeader& header) {
    std::string code = descr;
    char order = '=';
    if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=')) {
      order = code[0];
      code.erase(0, 1);
    }
    static const std::pair<const char*, DType> kCodes[] = {
        {"b1", DType::Bool},  {"u1", DType::UInt8},   {"i1", DType::Int8},   {"u2", DType::UInt16},
        {"i2", DType::Int16}, {"u4", DType::UInt32},  {"i4", DType::Int32},  {"u8", DType::UInt64},
        {"i8", DType::Int64}, {"f4", DType::Float32}, {"f8", DType::Float64}};
    if (code.size() > 1 && code[0] == 'U' && order != '>') {
      // numpy's fixed-width UCS-4 string '<Un'; label names are a few characters long.
      int64_t n = 0;
      for (size_t i = 1; i < code.size(); ++i) {
        if (code[i] < '0' || code[i] > '9' || n > 4096) {
          n = -1;
          break;
        }
        n = n * 10 + (code[i] - '0');
      }
      if (n < 1 || n > 4096)
        fail(what_, "unsupported string dtype '" + descr + "' (at most <U4096)");
      header.dtype = DType::Unicode;
      header.string_length = n;
      return;
    }
    for (const auto& [name, dtype] : kCodes) {
      if (code == name) {
        header.dtype = dtype;
        // '=' is native order, and wdc only runs on little-endian hosts.
        header.big_endian = order == '>' && dtype_size(dtype) > 1;
        return;
      }
    }
    fail(what_, "unsupported dtype '" + descr +
                    "' (supported: bool, int8/16/32/64, uint8/16/32/64, float32, float64)");
  }

  const char* p_;
  const char* end_;
  const std::string& what_;
};

void read_exactly(ByteSource& source, void* dst, size_t n, const std::string& what,
                  const char* part) {
  if (source.read(dst, n) != n)
    fail(what, std::string("truncated .npy data (in the ") + part + ")");
}

void byteswap_in_place(unsigned char* p, size_t count, size_t itemsize) {
  for (size_t i = 0; i < count; ++i, p += itemsize) std::reverse(p, p + itemsize);
}

// Element (i0, ..., ik) sits at sum(i_j * stride_j) with stride_0 = 1 in Fortran order;
// walk the C-order output with an odometer and carry the Fortran offset along.
void fortran_to_c(const unsigned char* src, unsigned char* dst, const std::vector<int64_t>& shape,
                  size_t itemsize) {
  const size_t ndim = shape.size();
  std::vector<int64_t> stride(ndim), index(ndim, 0);
  int64_t s = 1;
  for (size_t d = 0; d < ndim; ++d) {
    stride[d] = s;
    s *= shape[d];
  }
  const int64_t total = s;
  int64_t offset = 0;
  for (int64_t out = 0; out < total; ++out) {
    std::memcpy(dst + static_cast<size_t>(out) * itemsize,
                src + static_cast<size_t>(offset) * itemsize, itemsize);
    for (size_t d = ndim; d-- > 0;) {
      if (++index[d] < shape[d]) {
        offset += stride[d];
        break;
      }
      offset -= stride[d] * (shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace

void parse_npy_dict(const char* text, size_t length, NpyHeader& header, const std::string& what) {
  DictParser(text, length, what).parse(header);
}

NpyArray read_npy_stream(ByteSource& source, uint64_t size, const std::string& what) {
  uint8_t pre[12] = {};
  const size_t first = static_cast<size_t>(std::min<uint64_t>(size, kMagicAndVersion));
  if (source.read(pre, first) != first) fail(what, "truncated .npy data (in the magic)");
  if (std::memcmp(pre, kMagic, std::min<size_t>(first, sizeof kMagic)) != 0)
    fail(what, "not a .npy array (bad magic string)");
  if (first < kMagicAndVersion) fail(what, "truncated .npy header");

  const int major = pre[6], minor = pre[7];
  size_t length_bytes;
  if (major == 1 && minor == 0)
    length_bytes = 2;
  else if ((major == 2 || major == 3) && minor == 0)
    length_bytes = 4;
  else
    fail(what,
         "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  if (size < kMagicAndVersion + length_bytes) fail(what, "truncated .npy header");
  read_exactly(source, pre + kMagicAndVersion, length_bytes, what, "header length");
  size_t dict_length = size_t{pre[8]} | size_t{pre[9]} << 8;
  if (length_bytes == 4) dict_length |= size_t{pre[10]} << 16 | size_t{pre[11]} << 24;

  NpyHeader header;
  header.header_bytes = kMagicAndVersion + length_bytes + dict_length;
  if (dict_length > kMaxNpyHeaderBytes)
    fail(what, "bad .npy header: header length " + std::to_string(dict_length) + " is implausible");
  if (header.header_bytes > size)
    fail(what, "truncated .npy header: it claims " + std::to_string(header.header_bytes) +
                   " bytes, the data holds " + std::to_string(size));
  std::vector<char> dict(dict_length);
  read_exactly(source, dict.data(), dict_length, what, "header dict");
  // Versions 1.0/2.0 are latin-1 and 3.0 is utf-8; the parser accepts only ASCII outside strings,
  // and a non-ASCII string can only be an unsupported descr, so one parser serves all three.
  parse_npy_dict(dict.data(), dict_length, header, what);

  const int64_t numel = checked_numel(header.shape, what);
  const size_t itemsize = dtype_size(header.dtype);
  const uint64_t available = size - header.header_bytes;
  if (static_cast<uint64_t>(numel) > available / itemsize)
    fail(what, "header announces shape " + shape_string(header.shape) + " of " +
                   dtype_name(header.dtype) + " (" + std::to_string(numel) +
                   " elements), but only " + std::to_string(available) +
                   " payload bytes are present");
  header.payload_bytes = static_cast<size_t>(numel) * itemsize;
  if (header.payload_bytes != available)
    fail(what, "header announces shape " + shape_string(header.shape) + " of " +
                   dtype_name(header.dtype) + " (" + std::to_string(header.payload_bytes) +
                   " bytes), but " + std::to_string(available) + " payload bytes are present");

  // Sizes are consistent with the data actually present: allocating is safe now.
  NpyArray array(header.dtype, header.shape);
  array.set_origin(what);
  auto* bytes = static_cast<unsigned char*>(array.data());
  read_exactly(source, bytes, header.payload_bytes, what, "array payload");
  unsigned char extra;
  if (source.read(&extra, 1) != 0) fail(what, "more data than the .npy header announces");

  if (header.dtype == DType::Bool) {
    // numpy treats any nonzero byte as True; a C++ bool must hold exactly 0 or 1.
    for (size_t i = 0; i < header.payload_bytes; ++i) bytes[i] = bytes[i] != 0;
  }
  if (header.big_endian) byteswap_in_place(bytes, static_cast<size_t>(numel), itemsize);
  if (header.fortran_order && header.shape.size() > 1 && numel > 1) {
    NpyArray c_order(header.dtype, header.shape);
    c_order.set_origin(what);
    fortran_to_c(bytes, static_cast<unsigned char*>(c_order.data()), header.shape, itemsize);
    return c_order;
  }
  return array;
}

std::vector<uint8_t> format_npy_header(DType dtype, const std::vector<int64_t>& array_shape) {
  // Byte-for-byte what numpy 1.24 writes (sorted keys, growth-axis spare, 64-byte alignment).
  std::string descr = dtype_descr(dtype);
  std::vector<int64_t> shape = array_shape;
  if (dtype == DType::Unicode) {  // the last axis is the string length, part of the dtype
    descr += std::to_string(shape.empty() ? 1 : shape.back());
    if (!shape.empty()) shape.pop_back();
  }
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  if (!shape.empty()) {
    const size_t digits = std::to_string(shape[0]).size();
    if (digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  size_t length_bytes = 2;
  int major = 1;
  size_t hlen = dict.size() + 1;  // + '\n'
  size_t pad = kArrayAlign - (kMagicAndVersion + length_bytes + hlen) % kArrayAlign;
  if (hlen + pad > 0xFFFF) {
    major = 2;
    length_bytes = 4;
    pad = kArrayAlign - (kMagicAndVersion + length_bytes + hlen) % kArrayAlign;
  }
  const size_t total = hlen + pad;
  std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  for (size_t i = 0; i < length_bytes; ++i) out.push_back(static_cast<uint8_t>(total >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), pad, ' ');
  out.push_back('\n');
  return out;
}

}  // namespace wdc::data::detail
