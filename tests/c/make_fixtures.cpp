// Writes the data files the C ABI tests read, so that they need no checked-in binaries and no
// Python: usage `make_fixtures DIR` writes
//   DIR/synth64.npz      64 synthetic 52x52 maps with labels (MixedWM38 layout), seed 7
//   DIR/labels_only.npz  a valid npz with arr_1 but no arr_0 (a malformed dataset)
//   DIR/garbage.bin      4 KiB of pseudo-random bytes (neither zip nor model file)
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <vector>

#include "data/wafer_file.h"
#include "data/npz.h"
#include "data/synth.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);

    const wdc::data::WaferSet set = wdc::data::synthesize(64, 7);
    wdc::data::save_wafer_npz((dir / "synth64.npz").string(), set);

    std::vector<int32_t> labels(set.labels.begin(), set.labels.end());
    const auto arr_1 = wdc::data::NpyArray::from<int32_t>(
        {set.count, wdc::data::kNumLabels}, labels);
    wdc::data::write_npz((dir / "labels_only.npz").string(), {{"arr_1", arr_1}}, true);

    std::ofstream garbage(dir / "garbage.bin", std::ios::binary | std::ios::trunc);
    uint32_t state = 12345;
    for (int i = 0; i < 4096; ++i) {
      state = state * 1664525u + 1013904223u;
      garbage.put(static_cast<char>(state >> 24));
    }
    if (!garbage.flush()) throw std::runtime_error("cannot write garbage.bin");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fixtures: %s\n", e.what());
    return 1;
  }
  return 0;
}
