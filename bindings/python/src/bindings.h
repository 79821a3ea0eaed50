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

#include "data/mixedwm38.h"

namespace wdc::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_classifier(py::module_& m);
void register_data(py::module_& m);
void register_ops(py::module_& m);

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

// A labelled set from (N, H, W) maps and (N, 8) labels, both C-contiguous uint8, checked
// (wdc.InvalidArgument naming `what` otherwise).
data::WaferSet wafer_set(const py::array& maps, const py::array& labels, const char* what);

}  // namespace wdc::python
