// The weights section of a .wdcm file (format version 2): the network's parameters and buffers
// by name, each as element type, shape and raw little-endian bytes.
//
//   u64 tensor count, then per tensor:
//   u32 name length, name (UTF-8), u8 type (1 float32, 2 int64), u8 rank, i64 size per dim,
//   u64 byte count, bytes
//
// Our own format rather than LibTorch's archive: LibTorch's unpickler allocates whatever a
// length field in the file says (fuzzing made it ask for 31 GB) and leaks when it rejects a file.
// Here every size is checked against the network built from the (validated) config before
// anything is copied, so a file can never make the reader allocate.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace wdc::io {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

std::string encode_weights(const NamedTensors& tensors);

// Copies the section's tensors into `into` (the network's own tensors): every name must appear
// exactly once, with the same type and shape, and nothing else may follow. Error(kFormat)
// naming `what` otherwise, with `into` possibly partly overwritten.
void decode_weights_into(const std::string& bytes, const NamedTensors& into,
                         const std::string& what);

}  // namespace wdc::io
