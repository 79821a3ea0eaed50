#include "search/map_index.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "data/data_error.h"
#include "data/npz.h"
#include "data/wafer_file.h"

namespace wdc::search {

MapIndex make_index(std::vector<float> embeddings, int64_t dim, data::WaferSet labels,
                    std::string model) {
  if (dim < 1) data::fail("index", "embeddings need at least one dimension");
  if (embeddings.size() != static_cast<size_t>(labels.count) * static_cast<size_t>(dim))
    data::fail("index", std::to_string(embeddings.size()) + " embedding values for " +
                            std::to_string(labels.count) + " maps of " + std::to_string(dim));
  for (size_t i = 0; i < embeddings.size(); ++i)
    if (!std::isfinite(embeddings[i]))
      data::fail("index", "embedding value at index " + std::to_string(i) + " is not finite");
  // Unit rows make the dot product the cosine similarity whoever wrote the file.
  for (int64_t r = 0; r < labels.count; ++r) {
    float* row = embeddings.data() + r * dim;
    double norm = 0;
    for (int64_t c = 0; c < dim; ++c) norm += static_cast<double>(row[c]) * row[c];
    if (norm > 0)
      for (int64_t c = 0; c < dim; ++c) row[c] = static_cast<float>(row[c] / std::sqrt(norm));
  }
  MapIndex index;
  index.dim = dim;
  index.embeddings = std::move(embeddings);
  index.labels = std::move(labels);
  index.model = std::move(model);
  return index;
}

void save_index(const std::string& path, const MapIndex& index) {
  const data::NpyArray embeddings =
      data::NpyArray::from({index.count(), index.dim}, index.embeddings);
  const auto [labels, names] = data::label_arrays(index.labels);
  const data::NpyArray model = data::unicode_array({index.model});
  data::write_npz(
      path,
      {{"embeddings", embeddings}, {"labels", labels}, {"label_names", names}, {"model", model}},
      true);
}

MapIndex load_index(const std::string& path, uint64_t max_array_bytes) {
  const data::NpzFile npz = data::NpzFile::open(path);
  if (!npz.contains("embeddings") || !npz.contains("model"))
    data::fail(path,
               "not a map index: expected arrays 'embeddings', 'labels', 'label_names' and "
               "'model' (as `wdc embed` writes them)");
  data::WaferSet labels = data::read_label_set(npz, max_array_bytes);
  const data::NpyArray embeddings = npz.read("embeddings", max_array_bytes);
  if (embeddings.ndim() != 2 || embeddings.shape()[0] != labels.count || embeddings.shape()[1] < 1)
    data::fail(path + ": embeddings", "expected shape (" + std::to_string(labels.count) +
                                          ", D) with D >= 1 to match the labels, found " +
                                          data::shape_string(embeddings.shape()));
  const std::vector<std::string> model = data::unicode_strings(npz.read("model", 1 << 16));
  if (model.size() != 1) data::fail(path + ": model", "expected one string");
  try {
    return make_index(embeddings.to<float>(), embeddings.shape()[1], std::move(labels), model[0]);
  } catch (const data::DataError& e) {
    data::fail(path, e.what());
  }
}

std::vector<std::vector<Neighbour>> nearest(const MapIndex& index, const float* queries,
                                            int64_t count, int k) {
  if (k < 1) data::fail("nearest", "k must be at least 1");
  std::vector<std::vector<Neighbour>> out(static_cast<size_t>(count));
  const int64_t n = index.count();
  if (n == 0 || count == 0) return out;
  const int64_t keep = std::min<int64_t>(k, n);
  c10::InferenceMode inference;
  const torch::Tensor library =
      torch::from_blob(const_cast<float*>(index.embeddings.data()), {n, index.dim}, torch::kFloat);
  // Queries in blocks bound the similarity matrix's memory (block x n floats).
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / n);
  for (int64_t first = 0; first < count; first += block) {
    const int64_t m = std::min(block, count - first);
    const torch::Tensor q = torch::from_blob(const_cast<float*>(queries + first * index.dim),
                                             {m, index.dim}, torch::kFloat);
    const auto [values, positions] = torch::mm(q, library.t()).topk(keep, 1);
    const auto v = values.accessor<float, 2>();
    const auto p = positions.accessor<int64_t, 2>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < keep; ++j)
        // Rounding can put a map's similarity to itself a hair above 1.
        out[static_cast<size_t>(first + i)].push_back({p[i][j], std::clamp(v[i][j], -1.0f, 1.0f)});
  }
  return out;
}

}  // namespace wdc::search
