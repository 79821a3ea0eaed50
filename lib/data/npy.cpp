#include "data/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "data/atomic_write.h"
#include "data/npy_format.h"

namespace wdc::data {
namespace {

struct DTypeInfo {
  size_t size;
  const char* name;
  const char* descr;
};

const DTypeInfo& info(DType dtype) {
  static const DTypeInfo kInfo[] = {
      {1, "bool", "|b1"},  {1, "uint8", "|u1"},   {1, "int8", "|i1"},    {2, "uint16", "<u2"},
      {2, "int16", "<i2"}, {4, "uint32", "<u4"},  {4, "int32", "<i4"},   {8, "uint64", "<u8"},
      {8, "int64", "<i8"}, {4, "float32", "<f4"}, {8, "float64", "<f8"}, {4, "str", "<U"}};
  return kInfo[static_cast<size_t>(dtype)];
}

class MemorySource : public detail::ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), left_(size) {}
  size_t read(void* dst, size_t n) override {
    n = std::min(n, left_);
    if (n > 0) std::memcpy(dst, data_, n);
    data_ += n;
    left_ -= n;
    return n;
  }

 private:
  const uint8_t* data_;
  size_t left_;
};

class FileSource : public detail::ByteSource {
 public:
  FileSource(std::FILE* file, const std::string& what) : file_(file), what_(what) {}
  size_t read(void* dst, size_t n) override {
    const size_t got = std::fread(dst, 1, n, file_);
    if (got < n && std::ferror(file_))
      fail_io(what_, std::string("read error: ") + std::strerror(errno));
    return got;
  }

 private:
  std::FILE* file_;
  const std::string& what_;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

size_t dtype_size(DType dtype) { return info(dtype).size; }
const char* dtype_name(DType dtype) { return info(dtype).name; }
const char* dtype_descr(DType dtype) { return info(dtype).descr; }

bool dtype_is_integer(DType dtype) {
  return dtype != DType::Bool && dtype != DType::Unicode && !dtype_is_float(dtype);
}
bool dtype_is_float(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail(what, "negative dimension in shape " + shape_string(shape));
    if (d != 0 && n > INT64_MAX / d)
      fail(what, "shape " + shape_string(shape) + " overflows int64");
    n *= d;
  }
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

NpyArray::NpyArray() : bytes_(new unsigned char[0]) {}

NpyArray::NpyArray(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  numel_ = checked_numel(shape_, "NpyArray");
  const size_t itemsize = dtype_size(dtype_);
  if (static_cast<uint64_t>(numel_) > SIZE_MAX / itemsize)
    fail("NpyArray", "shape " + shape_string(shape_) + " is too large for memory");
  nbytes_ = static_cast<size_t>(numel_) * itemsize;
  bytes_.reset(new unsigned char[nbytes_]());
}

NpyArray::NpyArray(const NpyArray& other)
    : dtype_(other.dtype_),
      shape_(other.shape_),
      numel_(other.numel_),
      nbytes_(other.nbytes_),
      bytes_(new unsigned char[other.nbytes_]),
      origin_(other.origin_) {
  if (nbytes_ > 0) std::memcpy(bytes_.get(), other.bytes_.get(), nbytes_);
}

NpyArray::NpyArray(NpyArray&& other) noexcept { *this = std::move(other); }

NpyArray& NpyArray::operator=(NpyArray&& other) noexcept {
  if (this != &other) {
    dtype_ = std::exchange(other.dtype_, DType::Float64);
    shape_ = std::exchange(other.shape_, std::vector<int64_t>{0});
    numel_ = std::exchange(other.numel_, 0);
    nbytes_ = std::exchange(other.nbytes_, 0);
    bytes_ = std::move(other.bytes_);
    origin_ = std::move(other.origin_);
    other.origin_.clear();
  }
  return *this;
}

NpyArray& NpyArray::operator=(const NpyArray& other) {
  if (this != &other) *this = NpyArray(other);
  return *this;
}

void NpyArray::check_dtype(DType want) const {
  if (want != dtype_)
    fail(origin_.empty() ? "NpyArray" : origin_,
         std::string("array holds ") + dtype_name(dtype_) + ", not " + dtype_name(want));
}

void NpyArray::conversion_error(size_t index, const std::string& value, const char* target) const {
  fail(origin_.empty() ? "NpyArray" : origin_, "value " + value + " at flat index " +
                                                   std::to_string(index) + " does not convert to " +
                                                   target + " exactly");
}

std::vector<std::string> unicode_strings(const NpyArray& array) {
  const std::string what = array.origin().empty() ? "NpyArray" : array.origin();
  if (array.dtype() != DType::Unicode || array.ndim() != 2)
    fail(what, std::string("expected a 1-D array of strings, found ") + dtype_name(array.dtype()) +
                   " of " +
                   std::to_string(
                       array.ndim() == 0 ? 0 : array.ndim() - (array.dtype() == DType::Unicode)) +
                   " dimensions");
  const int64_t count = array.shape()[0], width = array.shape()[1];
  const auto* points = static_cast<const uint32_t*>(array.data());
  std::vector<std::string> out;
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t* s = points + i * width;
    int64_t length = width;
    while (length > 0 && s[length - 1] == 0) --length;
    std::string utf8;
    for (int64_t k = 0; k < length; ++k) {
      const uint32_t c = s[k];
      if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        fail(what, "string " + std::to_string(i) + " holds code point " + std::to_string(c) +
                       ", which is not a character");
      if (c < 0x80) {
        utf8 += static_cast<char>(c);
      } else if (c < 0x800) {
        utf8 += static_cast<char>(0xC0 | c >> 6);
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        utf8 += static_cast<char>(0xE0 | c >> 12);
        utf8 += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        utf8 += static_cast<char>(0xF0 | c >> 18);
        utf8 += static_cast<char>(0x80 | (c >> 12 & 0x3F));
        utf8 += static_cast<char>(0x80 | (c >> 6 & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    out.push_back(std::move(utf8));
  }
  return out;
}

NpyArray unicode_array(const std::vector<std::string>& strings) {
  std::vector<std::vector<uint32_t>> decoded;
  size_t width = 1;  // numpy's narrowest string dtype is '<U1'
  for (const std::string& s : strings) {
    std::vector<uint32_t> points;
    for (size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      const int extra = b < 0x80         ? 0
                        : (b >> 5) == 6  ? 1
                        : (b >> 4) == 14 ? 2
                        : (b >> 3) == 30 ? 3
                                         : -1;
      if (extra < 0 || i + static_cast<size_t>(extra) >= s.size() + (extra == 0))
        fail("unicode_array", "string " + std::to_string(decoded.size()) + " is not valid UTF-8");
      uint32_t c = extra == 0 ? b : b & (0x3F >> extra);
      for (int k = 1; k <= extra; ++k) {
        const auto t = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
        if ((t >> 6) != 2)
          fail("unicode_array", "string " + std::to_string(decoded.size()) + " is not valid UTF-8");
        c = c << 6 | (t & 0x3F);
      }
      if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        fail("unicode_array", "string " + std::to_string(decoded.size()) + " is not valid UTF-8");
      points.push_back(c);
      i += static_cast<size_t>(extra) + 1;
    }
    width = std::max(width, points.size());
    decoded.push_back(std::move(points));
  }
  NpyArray array(DType::Unicode,
                 {static_cast<int64_t>(strings.size()), static_cast<int64_t>(width)});
  auto* out = static_cast<uint32_t*>(array.data());
  for (size_t i = 0; i < decoded.size(); ++i)
    std::copy(decoded[i].begin(), decoded[i].end(), out + i * width);
  return array;
}

NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& what) {
  if (data == nullptr && size > 0) fail(what, "null buffer");
  MemorySource source(data, size);
  return detail::read_npy_stream(source, size, what);
}

NpyArray read_npy(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) fail_io(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(file.get()), &st) != 0 || !S_ISREG(st.st_mode))
    fail(path, "not a regular file");
  FileSource source(file.get(), path);
  return detail::read_npy_stream(source, static_cast<uint64_t>(st.st_size), path);
}

std::vector<uint8_t> serialize_npy(const NpyArray& array) {
  std::vector<uint8_t> out = detail::format_npy_header(array.dtype(), array.shape());
  const auto* bytes = static_cast<const uint8_t*>(array.data());
  out.insert(out.end(), bytes, bytes + array.nbytes());
  return out;
}

void write_npy(const std::string& path, const NpyArray& array) {
  const std::string temp = temp_path_for(path);
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) fail_io(path, "cannot create " + temp + ": " + std::strerror(errno));
  const std::vector<uint8_t> header = detail::format_npy_header(array.dtype(), array.shape());
  bool ok = std::fwrite(header.data(), 1, header.size(), file) == header.size();
  ok = ok && std::fwrite(array.data(), 1, array.nbytes(), file) == array.nbytes();
  const std::string reason = std::strerror(errno);
  ok = (std::fclose(file) == 0) && ok;
  if (!ok) {
    discard_temp_file(temp);
    fail_io(path, "write failed: " + reason);
  }
  commit_temp_file(temp, path);
}

}  // namespace wdc::data
