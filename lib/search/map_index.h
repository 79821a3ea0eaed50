// Similar-map search: an index of wafer maps (one embedding per map, with the maps' labels, made
// by one model) that answers "which maps look most like this one?" by exact cosine similarity.
// Saved as an npz file so that a library of past maps is embedded once and queried many times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/wafer_set.h"

namespace wdc::search {

struct MapIndex {
  int64_t dim = 0;
  std::vector<float> embeddings;  // count x dim, each row of unit length (or all zero)
  data::WaferSet labels;          // the indexed maps' labels and label names (no maps)
  std::string model;              // fingerprint of the model that made the embeddings
  int64_t count() const { return labels.count; }
};

// An index of `labels.count` maps from their embeddings (count x dim), scaled to unit length
// here; DataError when the sizes disagree or a value is not finite.
MapIndex make_index(std::vector<float> embeddings, int64_t dim, data::WaferSet labels,
                    std::string model);

// npz arrays: "embeddings" (N, D) float32, "labels" and "label_names" as in a data file
// (docs/DATA.md), "model" (1,) string. Loading checks every array (DataError naming it) and
// scales rows to unit length; `max_array_bytes` caps each array as for data files.
void save_index(const std::string& path, const MapIndex& index);
MapIndex load_index(const std::string& path, uint64_t max_array_bytes = UINT64_MAX);

struct Neighbour {
  int64_t index;     // in the index
  float similarity;  // cosine similarity, in [-1, 1]
};

// For each of `count` query embeddings (count x index.dim, unit length), the min(k, index size)
// indexed maps of highest cosine similarity, most similar first; k >= 1.
std::vector<std::vector<Neighbour>> nearest(const MapIndex& index, const float* queries,
                                            int64_t count, int k);

}  // namespace wdc::search
