// Data files and the synthetic generator: wdc::data's npz loader/saver and synthesize().
#include <pybind11/stl.h>

#include "bindings.h"
#include "base/error.h"
#include "data/data_error.h"
#include "data/mixedwm38.h"
#include "data/split.h"
#include "data/synth.h"
#include "io/cam_png.h"
#include "model/config_file.h"

namespace wdc::python {
namespace {

py::tuple to_arrays(data::WaferSet&& set) {
  py::array_t<uint8_t> maps = to_numpy(std::move(set.maps), {set.count, set.height, set.width});
  py::array_t<uint8_t> labels = to_numpy(std::move(set.labels), {set.count, data::kNumLabels});
  return py::make_tuple(std::move(maps), std::move(labels));
}

py::tuple load_npz(const std::string& path) {
  data::WaferSet set;
  {
    py::gil_scoped_release release;
    set = data::load_wafer_npz(path);
  }
  return to_arrays(std::move(set));
}

void save_npz(const std::string& path, const py::array& maps, const py::array& labels,
              bool compressed) {
  const data::WaferSet set = wafer_set(maps, labels, "save_npz");
  py::gil_scoped_release release;
  data::save_wafer_npz(path, set, compressed);
}

// (train, val, test) index arrays of data::stratified_split over (N, 8) labels.
py::tuple split(const py::array& labels_, double val, double test, uint64_t seed) {
  const auto labels = require_uint8(labels_, 2, "labels");
  if (labels.shape(1) != data::kNumLabels)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                "split: labels must have shape (N, 8), got (" + std::to_string(labels.shape(0)) +
                    ", " + std::to_string(labels.shape(1)) + ")");
  data::WaferSet set;
  set.count = labels.shape(0);
  set.labels.assign(labels.data(), labels.data() + labels.size());
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

data::WaferSet wafer_set(const py::array& maps_, const py::array& labels_, const char* what) {
  const auto maps = require_uint8(maps_, 3, "maps");
  const auto labels = require_uint8(labels_, 2, "labels");
  if (labels.shape(0) != maps.shape(0) || labels.shape(1) != data::kNumLabels)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                std::string(what) + ": labels must have shape (" + std::to_string(maps.shape(0)) +
                    ", " + std::to_string(data::kNumLabels) + ") to match maps, got (" +
                    std::to_string(labels.shape(0)) + ", " + std::to_string(labels.shape(1)) +
                    ")");
  data::WaferSet set;
  set.count = maps.shape(0);
  set.height = maps.shape(1);
  set.width = maps.shape(2);
  set.maps.assign(maps.data(), maps.data() + maps.size());
  set.labels.assign(labels.data(), labels.data() + labels.size());
  try {
    set.validate(what);
  } catch (const data::DataError& e) {
    // Bad arrays from the caller are argument errors, not malformed files.
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument), e.what());
  }
  return set;
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
  m.def("save_npz", &save_npz, py::arg("path"), py::arg("maps"), py::arg("labels"),
        py::arg("compressed"));
  m.def("synth", &synth, py::arg("count"), py::arg("seed"));
  m.def("synth_type", &synth_type, py::arg("type"), py::arg("seed"), py::arg("count"));
  m.def("split", &split, py::arg("labels"), py::arg("val"), py::arg("test"), py::arg("seed"));
  m.def("write_map_png", &write_map_png, py::arg("path"), py::arg("map"), py::arg("cam"),
        py::arg("scale"), py::arg("alpha"));
  m.def("read_config", &read_config, py::arg("path"));
  m.def("parse_config", &parse_config, py::arg("text"));
}

}  // namespace wdc::python
