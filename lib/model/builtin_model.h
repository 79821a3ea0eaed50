// The MixedWM38 model shipped with wdc (models/mixedwm38-dcn.wdcm), compiled into the library so
// that C, Python and C# programs and the CLI have a trained model without a path to find. The
// bytes are generated at build time by cmake/embed_file.cmake (lib/CMakeLists.txt).
#pragma once

#include <cstddef>

namespace wdc {

inline constexpr const char* kBuiltinModelName = "mixedwm38-dcn";

// The .wdcm file's bytes, checked like any model file when loaded.
extern const unsigned char kBuiltinModel[];
extern const std::size_t kBuiltinModel_size;

}  // namespace wdc
