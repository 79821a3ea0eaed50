// Embeddings and similar-map search: wdc_embed*, the wdc_index handle and wdc_similar*. The
// index itself (search/map_index.h) knows nothing of models; here each query is embedded by the
// model that built the index, which its fingerprint proves.
#include <algorithm>

#include "capi_internal.h"
#include "model/map_search.h"

using namespace wdc::capi;
using wdc::ErrorCode;
namespace data = wdc::data;
namespace search = wdc::search;
using nlohmann::json;

namespace {

wdc_index* register_index(search::MapIndex index) {
  auto handle = std::make_unique<wdc_index>();
  handle->index = std::move(index);
  live_table<wdc_index>().add(handle.get());
  return handle.release();
}

const search::MapIndex& live_index(const wdc_index* handle) {
  if (handle == nullptr) fail(ErrorCode::kMisuse, "index is NULL");
  if (!live_table<wdc_index>().contains(handle))
    fail(ErrorCode::kMisuse,
         "index is not a live handle (already freed, or not made by wdc_index_build/load)");
  if (handle->magic != wdc_index::kLiveMagic)
    fail(ErrorCode::kMisuse, "index handle is corrupt (bad magic value)");
  return handle->index;
}

void require_embedding_room(const wdc_model& m, int64_t count, int64_t embeddings_len) {
  const int64_t needed = checked_mul(count, m.classifier->embedding_size(), "count * size");
  if (embeddings_len < needed)
    fail(ErrorCode::kInvalidArgument,
         "embeddings_len is " + std::to_string(embeddings_len) +
             ", the result needs count * wdc_embedding_size = " + std::to_string(needed));
}

// The maps [first, first + count) of a set, copied only when they are not the whole set.
std::vector<float> embed_range(const wdc_model& m, const data::WaferSet& set, int64_t first,
                               int64_t count) {
  if (first == 0 && count == set.count) return m.classifier->embed_set(set);
  return m.classifier->embed_set(dataset_range(set, first, count));
}

// The neighbours of each query as wdc_similar's JSON; query i is called `first + i`.
json similar_json(const search::MapIndex& index, const std::vector<float>& queries, int32_t k,
                  int64_t first) {
  const int64_t count = static_cast<int64_t>(queries.size()) / std::max<int64_t>(index.dim, 1);
  const auto found = search::nearest(index, queries.data(), count, k);
  const std::vector<std::string>& names = index.labels.names();
  json out = json::array();
  for (int64_t i = 0; i < count; ++i) {
    json neighbours = json::array();
    for (const search::Neighbour& n : found[static_cast<size_t>(i)])
      neighbours.push_back({{"index", n.index},
                            {"similarity", shortest(n.similarity)},
                            {"labels", names_present(names, index.labels.label(n.index))}});
    out.push_back({{"index", first + i}, {"neighbours", std::move(neighbours)}});
  }
  return out;
}

}  // namespace

extern "C" {

WDC_API int64_t wdc_embedding_size(const wdc_model* model) {
  int64_t size = -1;
  guarded("wdc_embedding_size", [&] { size = live_model(model).classifier->embedding_size(); });
  return size;
}

WDC_API wdc_status wdc_embed(wdc_model* model, const uint8_t* maps, int64_t count, int64_t height,
                             int64_t width, float* embeddings, int64_t embeddings_len) {
  return guarded("wdc_embed", [&] {
    const wdc_model& m = live_model(model);
    check_maps(maps, count, height, width);
    require(embeddings != nullptr, "embeddings is NULL");
    require_embedding_room(m, count, embeddings_len);
    const std::vector<float> result = m.classifier->embed(maps, count, height, width);
    std::copy(result.begin(), result.end(), embeddings);
  });
}

WDC_API wdc_status wdc_embed_dataset(wdc_model* model, const wdc_dataset* data, int64_t first,
                                     int64_t count, float* embeddings, int64_t embeddings_len) {
  return guarded("wdc_embed_dataset", [&] {
    const wdc_model& m = live_model(model);
    const data::WaferSet& set = live_dataset(data);
    require_range(first, count, set.count);
    require(embeddings != nullptr, "embeddings is NULL");
    require_embedding_room(m, count, embeddings_len);
    const std::vector<float> result = embed_range(m, set, first, count);
    std::copy(result.begin(), result.end(), embeddings);
  });
}

WDC_API wdc_status wdc_index_build(wdc_model* model, const wdc_dataset* data, wdc_index** out) {
  return guarded("wdc_index_build", [&] {
    const wdc_model& m = live_model(model);
    const data::WaferSet& set = live_dataset(data);
    require(out != nullptr, "out is NULL");
    *out = register_index(wdc::build_index(*m.classifier, set));
  });
}

WDC_API wdc_status wdc_index_load(const char* path, const char* options_json, wdc_index** out) {
  return guarded("wdc_index_load", [&] {
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    require(out != nullptr, "out is NULL");
    uint64_t max_bytes = wdc::Limits{}.max_file_bytes;
    const nlohmann::json options = options_object(options_json);  // outlives the loop
    for (const auto& [key, value] : options.items()) {
      if (key != "max_file_bytes") unknown_option(key, "\"max_file_bytes\"");
      max_bytes = static_cast<uint64_t>(integer_option(value, key, 1, INT64_MAX));
    }
    *out = register_index(search::load_index(path, max_bytes));
  });
}

WDC_API wdc_status wdc_index_save(const wdc_index* index, const char* path) {
  return guarded("wdc_index_save", [&] {
    const search::MapIndex& live = live_index(index);
    require(path != nullptr, "path is NULL");
    require(*path != '\0', "path is empty");
    search::save_index(path, live);
  });
}

WDC_API void wdc_index_free(wdc_index* index) {
  if (index == nullptr) return;
  if (!live_table<wdc_index>().remove(index)) {
    set_last_error("wdc_index_free",
                   "index is not a live handle (already freed, or not made by "
                   "wdc_index_build/load); ignored");
    return;
  }
  index->magic = wdc_index::kDeadMagic;
  delete index;
}

WDC_API int64_t wdc_index_count(const wdc_index* index) {
  int64_t count = -1;
  guarded("wdc_index_count", [&] { count = live_index(index).count(); });
  return count;
}

WDC_API wdc_status wdc_similar(wdc_model* model, const wdc_index* index, const uint8_t* maps,
                               int64_t count, int64_t height, int64_t width, int32_t k,
                               char** result_json) {
  return guarded("wdc_similar", [&] {
    const wdc_model& m = live_model(model);
    const search::MapIndex& live = live_index(index);
    check_maps(maps, count, height, width);
    require(k >= 1, "k must be at least 1");
    require(result_json != nullptr, "result_json is NULL");
    wdc::require_index_of(*m.classifier, live);
    const json out = similar_json(live, m.classifier->embed(maps, count, height, width), k, 0);
    *result_json = copy_string(out.dump());
  });
}

WDC_API wdc_status wdc_similar_dataset(wdc_model* model, const wdc_index* index,
                                       const wdc_dataset* data, int64_t first, int64_t count,
                                       int32_t k, char** result_json) {
  return guarded("wdc_similar_dataset", [&] {
    const wdc_model& m = live_model(model);
    const search::MapIndex& live = live_index(index);
    const data::WaferSet& set = live_dataset(data);
    require_range(first, count, set.count);
    require(k >= 1, "k must be at least 1");
    require(result_json != nullptr, "result_json is NULL");
    wdc::require_index_of(*m.classifier, live);
    *result_json =
        copy_string(similar_json(live, embed_range(m, set, first, count), k, first).dump());
  });
}

}  // extern "C"
