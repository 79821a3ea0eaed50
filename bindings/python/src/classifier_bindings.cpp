// wdc._wdc.Classifier: wdc::Classifier with numpy in and out and the GIL released around every
// call into the core. The user-facing class is wdc.Model (wdc/_model.py).
#include <nlohmann/json.hpp>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>

#include "bindings.h"
#include "base/error.h"
#include "data/data_error.h"
#include "model/classifier.h"
#include "model/cross_validation.h"
#include "model/report.h"

namespace wdc::python {
namespace {

using LimitMap = std::map<std::string, int64_t>;

RuntimeOptions runtime(const std::string& device, int threads, const LimitMap& limits,
                       std::optional<float> novelty_threshold, int openblas_threads,
                       const std::string& precision) {
  RuntimeOptions options;
  options.device = device;
  options.precision = precision;
  options.threads = threads;
  options.openblas_threads = openblas_threads;
  for (const auto& [name, value] : limits) set_limit(options.limits, name, value);
  if (novelty_threshold) options.novelty_threshold = *novelty_threshold;
  return options;
}

std::unique_ptr<Classifier> create(const std::string& config_json, const std::string& device,
                                   int threads, const LimitMap& limits,
                                   std::optional<float> novelty_threshold, int openblas_threads,
                                   const std::string& precision) {
  const RuntimeOptions options =
      runtime(device, threads, limits, novelty_threshold, openblas_threads, precision);
  py::gil_scoped_release release;
  return Classifier::create(config_json, options);
}

std::unique_ptr<Classifier> load(const std::string& path, const std::string& device, int threads,
                                 const LimitMap& limits, std::optional<float> novelty_threshold,
                                 int openblas_threads, const std::string& precision) {
  const RuntimeOptions options =
      runtime(device, threads, limits, novelty_threshold, openblas_threads, precision);
  py::gil_scoped_release release;
  return Classifier::load(path, options);
}

std::unique_ptr<Classifier> load_builtin(const std::string& device, int threads,
                                         const LimitMap& limits,
                                         std::optional<float> novelty_threshold,
                                         int openblas_threads, const std::string& precision) {
  const RuntimeOptions options =
      runtime(device, threads, limits, novelty_threshold, openblas_threads, precision);
  py::gil_scoped_release release;
  return Classifier::load_builtin(options);
}

py::array_t<float> predict(const Classifier& c, const py::object& maps) {
  const data::WaferSet set = map_set(maps, "predict");
  const int64_t n = set.count;
  std::vector<float> p;
  {
    py::gil_scoped_release release;
    p = set.mixed_sizes() ? c.classify_set(set).probabilities
                          : c.predict(set.maps.data(), n, set.height, set.width);
  }
  return to_numpy(std::move(p), {n, c.num_labels()});
}

py::array_t<float> embed(const Classifier& c, const py::object& maps) {
  const data::WaferSet set = map_set(maps, "embed");
  std::vector<float> e;
  {
    py::gil_scoped_release release;
    e = c.embed_set(set);
  }
  return to_numpy(std::move(e), {set.count, c.embedding_size()});
}

py::array_t<float> cam(const Classifier& c, const py::array& map_, int label) {
  const auto map = require_uint8(map_, 2, "map");
  const int64_t h = map.shape(0), w = map.shape(1);
  std::vector<float> v;
  {
    py::gil_scoped_release release;
    v = c.cam(map.data(), h, w, label);
  }
  return to_numpy(std::move(v), {h, w});
}

py::dict progress_dict(const TrainProgress& p) {
  py::dict d;
  d["epoch"] = p.epoch;
  d["epochs"] = p.epochs;
  d["step"] = p.step;
  d["steps"] = p.steps;
  d["loss"] = p.loss;
  d["val_exact_match"] = p.val_exact_match < 0 ? py::none() : py::object(py::float_(p.val_exact_match));
  if (p.folds > 0) {
    d["fold"] = p.fold;
    d["folds"] = p.folds;
  }
  return d;
}

// The Python layer's (maps, labels, names, single_label) tuple as a labelled set, or nothing
// for None.
std::optional<data::WaferSet> optional_set(const py::object& data, const char* what) {
  if (data.is_none()) return std::nullopt;
  return wafer_set(data.cast<py::tuple>(), what);
}

// The progress function of a training run called from Python: before every report it takes the
// GIL, lets Python handle pending signals (Ctrl-C) and calls `callback` (None: no call); a Python
// exception from either is kept in `python_error` and cancels training.
ProgressFn python_progress(const py::object& callback,
                           std::optional<py::error_already_set>& python_error) {
  return [&callback, &python_error](const TrainProgress& p) -> bool {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (callback.is_none()) return false;
      const py::object result = callback(progress_dict(p));
      const int stop = PyObject_IsTrue(result.ptr());
      if (stop < 0) throw py::error_already_set();
      return stop == 1;
    } catch (py::error_already_set& e) {
      python_error.emplace(std::move(e));
      return true;
    }
  };
}

// Runs `work` (a training run reporting to `progress`) with the GIL released; a Python exception
// kept by the progress function is re-raised here in place of wdc.Cancelled.
template <typename Work>
std::string run_training(Work work, std::optional<py::error_already_set>& python_error) {
  std::string report;
  {
    py::gil_scoped_release release;
    try {
      report = work();
    } catch (...) {
      if (!python_error) throw;
    }
  }
  if (python_error) throw std::move(*python_error);
  return report;
}

// Trains on the (maps, labels) pairs `data` and `val` when given (else on what train_json names).
std::string train(Classifier& c, const std::string& train_json, const py::object& callback,
                  const py::object& data, const py::object& val) {
  const std::optional<data::WaferSet> data_set = optional_set(data, "train data");
  const std::optional<data::WaferSet> val_set = optional_set(val, "train val");
  TrainSets given;
  if (data_set) given.train = &*data_set;
  if (val_set) given.val = &*val_set;
  std::optional<py::error_already_set> python_error;
  const ProgressFn progress = python_progress(callback, python_error);
  return run_training([&] { return c.train(train_json, progress, given); }, python_error);
}

// k-fold cross-validation of the recipe `c` (model/cross_validation.h) on `data` and `val`
// (None, or more maps pooled with `data`).
std::string cross_validate(const Classifier& c, const std::string& options_json,
                           const py::object& callback, const py::object& data,
                           const py::object& val) {
  const data::WaferSet first = wafer_set(data.cast<py::tuple>(), "cross_validate data");
  const std::optional<data::WaferSet> more = optional_set(val, "cross_validate val");
  std::optional<py::error_already_set> python_error;
  const ProgressFn progress = python_progress(callback, python_error);
  return run_training(
      [&] {
        return wdc::cross_validate(c, options_json, first, more ? &*more : nullptr, progress);
      },
      python_error);
}

// (probabilities (N, L) float32, decisions (N, L) uint8, per map its MixedWM38 pattern type
// (id, name) or None, novelty (N,) float32 (NaN without statistics), unknown (N,) uint8):
// Classifier::classify, the decisions wdc_classify reports.
py::tuple classify(const Classifier& c, const py::object& maps) {
  const data::WaferSet set = map_set(maps, "classify");
  const int64_t n = set.count;
  Classification result;
  {
    py::gil_scoped_release release;
    result = set.mixed_sizes() ? c.classify_set(set)
                               : c.classify(set.maps.data(), n, set.height, set.width);
  }
  const auto& names = c.label_names();
  const int64_t labels = c.num_labels();
  py::list types;
  for (int64_t i = 0; i < n; ++i) {
    const int t = data::pattern_type_of_named(names, result.present.data() + i * labels);
    types.append(t < 0 ? py::object(py::none())
                       : py::object(py::make_tuple(data::kPatternTypes[t].id,
                                                   data::kPatternTypes[t].name)));
  }
  return py::make_tuple(to_numpy(std::move(result.probabilities), {n, labels}),
                        to_numpy(std::move(result.present), {n, labels}), std::move(types),
                        to_numpy(std::move(result.novelty), {n}),
                        to_numpy(std::move(result.unknown), {n}));
}

py::array_t<float> novelty(const Classifier& c, const py::object& maps) {
  const data::WaferSet set = map_set(maps, "novelty");
  std::vector<float> v;
  {
    py::gil_scoped_release release;
    v = set.mixed_sizes() ? c.novelty_set(set)
                          : c.novelty(set.maps.data(), set.count, set.height, set.width);
  }
  return to_numpy(std::move(v), {set.count});
}

py::dict fit_novelty(Classifier& c, const py::tuple& train, const py::tuple& val, int64_t k,
                     int64_t bank, double share, uint64_t seed) {
  const data::WaferSet train_set = wafer_set(train, "fit_novelty");
  const data::WaferSet val_set = wafer_set(val, "fit_novelty");
  NoveltySummary s;
  {
    py::gil_scoped_release release;
    s = c.fit_novelty(train_set, val_set, k, bank, share, seed);
  }
  py::dict d;
  d["method"] = "knn";
  d["k"] = s.k;
  d["bank"] = s.bank;
  d["threshold"] = s.threshold;
  d["calibration_share"] = s.calibration_share;
  d["calibration_maps"] = s.calibration_maps;
  return d;
}

std::vector<float> thresholds(const Classifier& c) {
  py::gil_scoped_release release;
  return c.thresholds();
}

std::string evaluate_arrays(const Classifier& c, const py::tuple& data) {
  const data::WaferSet set = wafer_set(data, "evaluate");
  py::gil_scoped_release release;
  return train::to_json(c.evaluate(set)).dump();
}

py::dict report(const Classifier& c, const py::tuple& data, const std::string& out_dir,
                int per_type, int scale, const std::string& model_name,
                const std::string& data_name) {
  const data::WaferSet set = wafer_set(data, "report");
  const ReportOptions options{per_type, scale, model_name, data_name};
  ReportSummary s;
  {
    py::gil_scoped_release release;
    s = write_report(c, set, out_dir, options);
  }
  py::dict d;
  d["out"] = s.path;
  d["bytes"] = s.bytes;
  d["samples"] = s.samples;
  d["exact_match"] = s.exact_match;
  d["task"] = s.single_label ? "single_label" : "multi_label";
  d["pictures"] = s.pictures;
  d["unknown"] = s.unknown;
  d["types"] = s.types;
  return d;
}

std::string evaluate_file(const Classifier& c, const std::string& path) {
  py::gil_scoped_release release;
  return train::to_json(c.evaluate_file(path)).dump();
}

void save(Classifier& c, const std::string& path) {
  py::gil_scoped_release release;
  c.save(path);
}

std::string info(const Classifier& c) {
  py::gil_scoped_release release;
  return c.info();
}

}  // namespace

void register_classifier(py::module_& m) {
  py::class_<Classifier>(m, "Classifier",
                         "wdc::Classifier (internal; use wdc.Model). Every method but the label "
                         "accessors releases the GIL.")
      .def_static("create", &create, py::arg("config_json"), py::arg("device"), py::arg("threads"),
                  py::arg("limits") = LimitMap{}, py::arg("novelty_threshold") = py::none(),
                  py::arg("openblas_threads") = 1, py::arg("precision") = "fp32")
      .def_static("load", &load, py::arg("path"), py::arg("device"), py::arg("threads"),
                  py::arg("limits") = LimitMap{}, py::arg("novelty_threshold") = py::none(),
                  py::arg("openblas_threads") = 1, py::arg("precision") = "fp32")
      .def_static("load_builtin", &load_builtin, py::arg("device"), py::arg("threads"),
                  py::arg("limits") = LimitMap{}, py::arg("novelty_threshold") = py::none(),
                  py::arg("openblas_threads") = 1, py::arg("precision") = "fp32")
      .def("save", &save, py::arg("path"))
      .def("predict", &predict, py::arg("maps"),
           "(N, H, W) uint8 C-contiguous maps -> (N, num_labels) float32 probabilities")
      .def("cam", &cam, py::arg("map"), py::arg("label"))
      .def("embed", &embed, py::arg("maps"))
      .def_property_readonly("embedding_size", &Classifier::embedding_size)
      .def("fingerprint",
           [](const Classifier& c) {
             py::gil_scoped_release release;
             return c.fingerprint();
           })
      .def("classify", &classify, py::arg("maps"))
      .def("thresholds", &thresholds)
      .def("novelty", &novelty, py::arg("maps"))
      .def("novelty_threshold",
           [](const Classifier& c) {
             py::gil_scoped_release release;
             return c.novelty_threshold();
           })
      .def("fit_novelty", &fit_novelty, py::arg("train"), py::arg("val"), py::arg("k"),
           py::arg("bank"), py::arg("share"), py::arg("seed"))
      .def_property_readonly("single_label", &Classifier::single_label)
      .def("label_index", &Classifier::label_index, py::arg("text"))
      .def("report", &report, py::arg("data"), py::arg("out_dir"), py::arg("per_type"),
           py::arg("scale"), py::arg("model_name"), py::arg("data_name"))
      .def("train", &train, py::arg("train_json"), py::arg("callback"),
           py::arg("data") = py::none(), py::arg("val") = py::none())
      .def("cross_validate", &cross_validate, py::arg("options_json"), py::arg("callback"),
           py::arg("data"), py::arg("val") = py::none())
      .def("evaluate", &evaluate_arrays, py::arg("data"))
      .def("evaluate_file", &evaluate_file, py::arg("path"))
      .def("info", &info)
      .def_property_readonly("num_labels", &Classifier::num_labels)
      .def_property_readonly("label_names", &Classifier::label_names)
      .def_property_readonly("input_height", &Classifier::input_height)
      .def_property_readonly("input_width", &Classifier::input_width);
}

}  // namespace wdc::python
