// The .wdcm model file: one file holding the network config, the metadata (labels, thresholds,
// training history, library version) and the weights.
//
// Layout (little-endian):
//   8 bytes  magic "\x89WDCM\r\n\x1a" (PNG's trick: catches text-mode and 7-bit transfers)
//   u32      format version (kModelFormatVersion)
//   u32      CRC-32 (zlib) of everything after this 24-byte header
//   u64      payload length in bytes
//   payload: three sections, each u64 length + bytes: config JSON, metadata JSON, weights
//            (io/weights_section.h; version 1 stored a LibTorch archive there). A model with
//            novelty statistics has "novelty" in its metadata and the bank of training-map
//            embeddings as the weights' last tensor, "novelty.bank" (search/novelty.h).
// The checksum and every length are verified before any section is parsed, so a truncated or
// corrupted file is refused with a clear error instead of reaching the JSON or torch parsers.
#pragma once

#include <cstdint>
#include <string>

namespace wdc::io {

inline constexpr uint32_t kModelFormatVersion = 2;

struct ModelFileContents {
  std::string config_json;
  std::string metadata_json;
  std::string weights;
};

// Writes atomically (temporary file in the same directory, then rename): an interrupted save
// leaves the previous file intact. Throws wdc::Error(kIo).
void write_model_file(const std::string& path, const ModelFileContents& contents);

// Throws wdc::Error(kIo) when the file cannot be read, wdc::Error(kFormat) when it is not a
// model file, has another format version, fails its checksum or its lengths disagree, or is
// larger than `max_bytes` (checked before reading).
ModelFileContents read_model_file(const std::string& path, uint64_t max_bytes = UINT64_MAX);

// The same checks on bytes already in memory (for fuzzing and for embedded models).
ModelFileContents parse_model_file(const std::string& bytes, const std::string& what);

}  // namespace wdc::io
