// Fuzz target: the npz/npy reader and the wafer-set reader on top of it (every layout of
// docs/DATA.md) on arbitrary bytes. Every input must end in a parsed archive
// or a DataError — never a crash, an out-of-bounds read or an allocation the input cannot
// justify (libFuzzer's -rss_limit_mb / -malloc_limit_mb catch the last).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/data_error.h"
#include "data/npy.h"
#include "data/npz.h"
#include "data/wafer_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const wdc::data::NpzFile npz =
        wdc::data::NpzFile::from_buffer(std::vector<uint8_t>(data, data + size), "fuzz.npz");
    for (const std::string& name : npz.names()) {
      try {
        const wdc::data::NpyArray array = npz.read(name);
        if (array.dtype() == wdc::data::DType::Unicode)
          wdc::data::unicode_strings(array);
        else
          array.to<int64_t>();
      } catch (const wdc::data::DataError&) {
      }
    }
    try {
      wdc::data::read_wafer_set(npz, size_t{64} << 20).validate("fuzz.npz");
    } catch (const wdc::data::DataError&) {
    }
  } catch (const wdc::data::DataError&) {
  }
  try {
    wdc::data::parse_npy(data, size, "fuzz.npy").to<double>();
  } catch (const wdc::data::DataError&) {
  }
  return 0;
}
