#include "data/npy.h"

#include <sys/stat.h>

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
      {1, "bool", "|b1"},  {1, "uint8", "|u1"},   {1, "int8", "|i1"},   {2, "uint16", "<u2"},
      {2, "int16", "<i2"}, {4, "uint32", "<u4"},  {4, "int32", "<i4"},  {8, "uint64", "<u8"},
      {8, "int64", "<i8"}, {4, "float32", "<f4"}, {8, "float64", "<f8"}};
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

bool dtype_is_integer(DType dtype) { return dtype != DType::Bool && !dtype_is_float(dtype); }
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
