// Shared pieces of the pybind11 module wdc._wdc. The module is deliberately thin: it converts
// between numpy arrays / strings and the C++ core and releases the GIL around every long call;
// argument conveniences (dicts, paths, dtypes, label names) live in the Python package.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/wafer_set.h"

namespace wdc::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_classifier(py::module_& m);
void register_data(py::module_& m);
void register_ops(py::module_& m);
void register_index(py::module_& m);

// Raises the wdc.WdcError subclass of `code` (an ErrorCode value) with `message`.
[[noreturn]] void raise_error(int code, const std::string& message);

// A numpy array that owns `values` (moved, not copied) and has `shape`.
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  if (values.empty()) return py::array_t<T>(shape);
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owned->data(), owner);
}

// A C-contiguous uint8 array of `ndim` dimensions, or wdc.InvalidArgument naming `what`.
py::array_t<uint8_t, py::array::c_style> require_uint8(const py::array& a, int ndim,
                                                      const char* what);

// Maps without labels: a C-contiguous uint8 (N, H, W) array, or a list of C-contiguous uint8
// (H, W) arrays of any sizes; wdc.InvalidArgument naming `what` otherwise.
data::WaferSet map_set(const py::object& maps, const char* what);

// A labelled set: maps as map_set takes them, labels uint8 (N, L) 0/1 (one-hot rows for a
// single-label set), the label names (None: MixedWM38's 8), checked (wdc.InvalidArgument naming
// `what` otherwise).
data::WaferSet wafer_set(const py::object& maps, const py::array& labels, const py::object& names,
                         bool single_label, const char* what);

// The same from the Python layer's (maps, labels, names, single_label) tuple.
data::WaferSet wafer_set(const py::tuple& data, const char* what);

}  // namespace wdc::python
