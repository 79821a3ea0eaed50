// Data files and the synthetic generator: wdc::data's npz loader/saver and synthesize().
#include <pybind11/stl.h>

#include "bindings.h"
#include "base/error.h"
#include "data/data_error.h"
#include "data/wafer_file.h"
#include "data/split.h"
#include "data/synth.h"
#include "io/cam_png.h"
#include "model/config_file.h"

namespace wdc::python {
namespace {

// (maps, labels, label names, single_label): maps an (N, H, W) array when the maps share a size,
// else a list of (H, W) arrays; labels (N, L) 0/1.
py::tuple to_arrays(data::WaferSet&& set) {
  const int64_t L = set.num_labels();
  py::object maps;
  if (!set.mixed_sizes()) {
    maps = to_numpy(std::move(set.maps), {set.count, set.height, set.width});
  } else {
    py::list list;
    for (int64_t i = 0; i < set.count; ++i) {
      py::array_t<uint8_t> one({set.rows(i), set.cols(i)});
      std::copy(set.map(i), set.map(i) + set.rows(i) * set.cols(i), one.mutable_data());
      list.append(std::move(one));
    }
    maps = std::move(list);
  }
  py::list names;
  for (const std::string& n : set.names()) names.append(n);
  py::array_t<uint8_t> labels = to_numpy(std::move(set.labels), {set.count, L});
  return py::make_tuple(std::move(maps), std::move(labels), std::move(names), set.single_label);
}

py::tuple load_npz(const std::string& path) {
  data::WaferSet set;
  {
    py::gil_scoped_release release;
    set = data::load_wafer_npz(path);
  }
  return to_arrays(std::move(set));
}

void save_npz(const std::string& path, const py::tuple& data, bool compressed) {
  const data::WaferSet set = wafer_set(data, "save_npz");
  py::gil_scoped_release release;
  data::save_wafer_npz(path, set, compressed);
}

// (train, val, test) index arrays of data::stratified_split over (N, 8) labels.
py::tuple split(const py::array& labels_, const py::object& names, bool single_label, double val,
                double test, uint64_t seed) {
  const auto labels = require_uint8(labels_, 2, "labels");
  data::WaferSet set;
  set.count = labels.shape(0);
  set.labels.assign(labels.data(), labels.data() + labels.size());
  if (!names.is_none()) set.label_names = names.cast<std::vector<std::string>>();
  set.single_label = single_label;
  if (set.num_labels() != labels.shape(1))
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "split: labels have " + std::to_string(labels.shape(1)) + " columns for " +
                    std::to_string(set.num_labels()) + " label names");
  data::Split parts;
  try {
    parts = data::stratified_split(set, val, test, seed);
  } catch (const data::DataError& e) {
    raise_error(static_cast<int>(ErrorCode::kConfig), e.what());
  }
  auto indices = [](std::vector<int64_t>& v) {
    const auto n = static_cast<py::ssize_t>(v.size());
    return to_numpy(std::move(v), {n});
  };
  return py::make_tuple(indices(parts.train), indices(parts.val), indices(parts.test));
}

void write_map_png(const std::string& path, const py::array& map_, const py::object& cam_,
                   int scale, double alpha) {
  const auto map = require_uint8(map_, 2, "map");
  const int64_t h = map.shape(0), w = map.shape(1);
  if (cam_.is_none()) {
    py::gil_scoped_release release;
    io::write_map_png(path, map.data(), h, w, scale);
    return;
  }
  const auto cam = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(cam_);
  if (!cam || cam.ndim() != 2 || cam.shape(0) != h || cam.shape(1) != w)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "write_map_png: cam must be a float array of the map's shape (" +
                    std::to_string(h) + ", " + std::to_string(w) + ")");
  py::gil_scoped_release release;
  io::write_cam_png(path, map.data(), h, w, cam.data(), scale, alpha);
}

py::tuple read_config(const std::string& path) {
  const ConfigFile config = read_config_file(path);
  return py::make_tuple(config.network_json, config.train_json);
}

py::tuple parse_config(const std::string& text) {
  const ConfigFile config = parse_config_file(text, "config");
  return py::make_tuple(config.network_json, config.train_json);
}

py::tuple synth(int64_t count, uint64_t seed) {
  if (count < 0)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "synth: count must be >= 0, got " + std::to_string(count));
  data::WaferSet set;
  {
    py::gil_scoped_release release;
    set = data::synthesize(count, seed);
  }
  return to_arrays(std::move(set));
}

py::tuple synth_type(int type, uint64_t seed, int64_t count) {
  if (count < 0)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "synth: count must be >= 0, got " + std::to_string(count));
  if (type < 0 || type >= data::kNumPatternTypes)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "synth: pattern type must be in [0, " + std::to_string(data::kNumPatternTypes) +
                    "), got " + std::to_string(type));
  data::WaferSet set;
  {
    py::gil_scoped_release release;
    set = data::synthesize_type(type, seed, count);
  }
  return to_arrays(std::move(set));
}

}  // namespace

data::WaferSet map_set(const py::object& maps_, const char* what) {
  data::WaferSet set;
  if (!py::isinstance<py::list>(maps_)) {
    const auto maps = require_uint8(maps_.cast<py::array>(), 3, "maps");
    set.count = maps.shape(0);
    set.height = maps.shape(1);
    set.width = maps.shape(2);
    set.maps.assign(maps.data(), maps.data() + maps.size());
    return set;
  }
  const py::list list = maps_.cast<py::list>();
  std::vector<int64_t> shapes;
  for (const py::handle item : list) {
    const auto map = require_uint8(item.cast<py::array>(), 2, "each map");
    set.maps.insert(set.maps.end(), map.data(), map.data() + map.size());
    shapes.insert(shapes.end(),
                  {static_cast<int64_t>(map.shape(0)), static_cast<int64_t>(map.shape(1))});
  }
  set.count = static_cast<int64_t>(list.size());
  try {
    set.set_shapes(std::move(shapes), what);
  } catch (const data::DataError& e) {
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument), e.what());
  }
  return set;
}

data::WaferSet wafer_set(const py::object& maps, const py::array& labels_, const py::object& names,
                         bool single_label, const char* what) {
  data::WaferSet set = map_set(maps, what);
  const auto labels = require_uint8(labels_, 2, "labels");
  if (!names.is_none()) set.label_names = names.cast<std::vector<std::string>>();
  set.single_label = single_label;
  if (labels.shape(0) != set.count || labels.shape(1) != set.num_labels())
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                std::string(what) + ": labels must have shape (" + std::to_string(set.count) +
                    ", " + std::to_string(set.num_labels()) +
                    ") to match the maps and names, got (" + std::to_string(labels.shape(0)) +
                    ", " + std::to_string(labels.shape(1)) + ")");
  set.labels.assign(labels.data(), labels.data() + labels.size());
  try {
    set.validate(what);
  } catch (const data::DataError& e) {
    // Bad arrays from the caller are argument errors, not malformed files.
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument), e.what());
  }
  return set;
}

data::WaferSet wafer_set(const py::tuple& data, const char* what) {
  return wafer_set(data[0], data[1].cast<py::array>(), data[2], data[3].cast<bool>(), what);
}

void register_data(py::module_& m) {
  py::list names, short_names, types;
  for (const char* n : data::kLabelNames) names.append(n);
  for (const char* n : data::kLabelShortNames) short_names.append(n);
  for (const data::PatternType& t : data::kPatternTypes) {
    py::list labels;
    for (uint8_t v : t.labels) labels.append(static_cast<int>(v));
    types.append(py::make_tuple(t.id, t.name, py::tuple(labels), t.count));
  }
  m.attr("LABEL_NAMES") = py::tuple(names);
  m.attr("LABEL_SHORT_NAMES") = py::tuple(short_names);
  m.attr("PATTERN_TYPES") = py::tuple(types);
  m.def("load_npz", &load_npz, py::arg("path"));
  m.def("save_npz", &save_npz, py::arg("path"), py::arg("data"), py::arg("compressed"));
  m.def("synth", &synth, py::arg("count"), py::arg("seed"));
  m.def("synth_type", &synth_type, py::arg("type"), py::arg("seed"), py::arg("count"));
  m.def("split", &split, py::arg("labels"), py::arg("names"), py::arg("single_label"),
        py::arg("val"), py::arg("test"), py::arg("seed"));
  m.def("write_map_png", &write_map_png, py::arg("path"), py::arg("map"), py::arg("cam"),
        py::arg("scale"), py::arg("alpha"));
  m.def("read_config", &read_config, py::arg("path"));
  m.def("parse_config", &parse_config, py::arg("text"));
}

}  // namespace wdc::python
