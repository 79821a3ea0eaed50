// Fuzz target: the .wdcm container on arbitrary bytes (header, checksum, section lengths).
// Every input must end in its three sections or a wdc::Error — never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/model_file.h"
#include "model/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    wdc::io::parse_model_file(std::string(reinterpret_cast<const char*>(data), size), "fuzz.wdcm");
  } catch (const wdc::Error&) {
  }
  return 0;
}
