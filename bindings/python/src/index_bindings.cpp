// wdc._wdc.MapIndex: search::MapIndex (an index of map embeddings for similar-map search) with
// numpy in and out, the GIL released around the work. The user-facing class is wdc.MapIndex
// (wdc/_index.py).
#include <pybind11/stl.h>

#include "bindings.h"
#include "base/error.h"
#include "model/classifier.h"
#include "model/map_search.h"
#include "search/map_index.h"

namespace wdc::python {
namespace {

search::MapIndex build(const Classifier& model, const py::tuple& data) {
  const data::WaferSet set = wafer_set(data, "MapIndex.build");
  py::gil_scoped_release release;
  return build_index(model, set);
}

search::MapIndex load(const std::string& path) {
  py::gil_scoped_release release;
  return search::load_index(path, Limits{}.max_file_bytes);
}

void save(const search::MapIndex& index, const std::string& path) {
  py::gil_scoped_release release;
  search::save_index(path, index);
}

// (indices (N, k) int64, similarities (N, k) float32) of the k most similar indexed maps of each
// query map, k = min(k, index size).
py::tuple nearest(const search::MapIndex& index, const Classifier& model, const py::object& maps,
                  int k) {
  const data::WaferSet set = map_set(maps, "MapIndex.search");
  if (k < 1) raise_error(static_cast<int>(ErrorCode::kInvalidArgument), "k must be at least 1");
  const int64_t keep = std::min<int64_t>(k, index.count());
  std::vector<int64_t> positions;
  std::vector<float> similarities;
  {
    py::gil_scoped_release release;
    require_index_of(model, index);
    const std::vector<float> queries = model.embed_set(set);
    for (const auto& row : search::nearest(index, queries.data(), set.count, k))
      for (const search::Neighbour& n : row) {
        positions.push_back(n.index);
        similarities.push_back(n.similarity);
      }
  }
  return py::make_tuple(to_numpy(std::move(positions), {set.count, keep}),
                        to_numpy(std::move(similarities), {set.count, keep}));
}

py::array_t<float> embeddings(const search::MapIndex& index) {
  std::vector<float> copy = index.embeddings;
  return to_numpy(std::move(copy), {index.count(), index.dim});
}

py::array_t<uint8_t> labels(const search::MapIndex& index) {
  std::vector<uint8_t> copy = index.labels.labels;
  return to_numpy(std::move(copy), {index.count(), index.labels.num_labels()});
}

}  // namespace

void register_index(py::module_& m) {
  py::class_<search::MapIndex>(m, "MapIndex", "search::MapIndex (internal; use wdc.MapIndex)")
      .def_static("build", &build, py::arg("model"), py::arg("data"))
      .def_static("load", &load, py::arg("path"))
      .def("save", &save, py::arg("path"))
      .def("nearest", &nearest, py::arg("model"), py::arg("maps"), py::arg("k"))
      .def_property_readonly("count", &search::MapIndex::count)
      .def_readonly("dim", &search::MapIndex::dim)
      .def_readonly("model", &search::MapIndex::model)
      .def_property_readonly("embeddings", &embeddings)
      .def_property_readonly("labels", &labels)
      .def_property_readonly("label_names",
                             [](const search::MapIndex& i) { return i.labels.names(); })
      .def_property_readonly("single_label",
                             [](const search::MapIndex& i) { return i.labels.single_label; });
}

}  // namespace wdc::python
