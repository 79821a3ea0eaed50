#include "io/model_file.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "data/atomic_write.h"

namespace wdc::io {
namespace {

constexpr char kMagic[8] = {'\x89', 'W', 'D', 'C', 'M', '\r', '\n', '\x1a'};
constexpr size_t kHeaderSize = 24;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

uint32_t crc32_of(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large payloads in chunks.
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

void write_model_file(const std::string& path, const ModelFileContents& c) {
  std::string payload;
  for (const std::string* section : {&c.config_json, &c.metadata_json, &c.weights}) {
    put_u64(payload, section->size());
    payload += *section;
  }
  std::string header(kMagic, sizeof kMagic);
  put_u32(header, kModelFormatVersion);
  put_u32(header, crc32_of(payload.data(), payload.size()));
  put_u64(header, payload.size());

  const std::string temp = data::temp_path_for(path);
  try {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(header.data(), header.size());
    out.write(payload.data(), payload.size());
    out.close();
    if (!out) fail(ErrorCode::kIo, "cannot write model file " + path);
    data::commit_temp_file(temp, path);
  } catch (const Error&) {
    data::discard_temp_file(temp);
    throw;
  } catch (const std::exception& e) {
    data::discard_temp_file(temp);
    fail(ErrorCode::kIo, e.what());
  }
}

ModelFileContents parse_model_file(const std::string& bytes, const std::string& what) {
  auto format_error = [&](const std::string& problem) {
    fail(ErrorCode::kFormat, what + ": " + problem);
  };
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    format_error("not a wdc model file (no WDCM header)");
  const uint32_t version = static_cast<uint32_t>(get_le(bytes, 8, 4));
  if (version != kModelFormatVersion)
    format_error("model format version " + std::to_string(version) + " is not supported (this " +
                 "library reads version " + std::to_string(kModelFormatVersion) + ")" +
                 (version == 1 ? "; scripts/upgrade-model-v1.py converts version 1 files" : ""));
  const uint32_t crc = static_cast<uint32_t>(get_le(bytes, 12, 4));
  const uint64_t length = get_le(bytes, 16, 8);
  if (length != bytes.size() - kHeaderSize)
    format_error("truncated or extended: header says " + std::to_string(length) +
                 " payload bytes, file has " + std::to_string(bytes.size() - kHeaderSize));
  if (crc32_of(bytes.data() + kHeaderSize, length) != crc)
    format_error("checksum mismatch: the file is corrupted");

  ModelFileContents c;
  size_t at = kHeaderSize;
  for (std::string* section : {&c.config_json, &c.metadata_json, &c.weights}) {
    if (bytes.size() - at < 8) format_error("section table is truncated");
    const uint64_t n = get_le(bytes, at, 8);
    at += 8;
    if (n > bytes.size() - at) format_error("a section runs past the end of the file");
    section->assign(bytes, at, n);
    at += n;
  }
  if (at != bytes.size()) format_error("unexpected bytes after the last section");
  return c;
}

ModelFileContents read_model_file(const std::string& path, uint64_t max_bytes) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status))
    fail(ErrorCode::kIo, "cannot open model file " + path + ": it does not exist");
  // Devices and pipes have no size to check and may never end (/dev/zero).
  if (!std::filesystem::is_regular_file(status))
    fail(ErrorCode::kIo, "model file " + path + " is not a regular file");
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) fail(ErrorCode::kIo, "cannot read model file " + path + ": " + error.message());
  if (size > max_bytes)
    fail(ErrorCode::kFormat, "model file " + path + " holds " + std::to_string(size) +
                                 " bytes, more than the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::kIo, "cannot open model file " + path);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    fail(ErrorCode::kIo, "cannot read model file " + path + " (it shrank while being read?)");
  return parse_model_file(bytes, path);
}

}  // namespace wdc::io
