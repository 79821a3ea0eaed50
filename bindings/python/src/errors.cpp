// Every C++ exception that leaves the module becomes the wdc.WdcError subclass of its status:
// wdc::describe_exception gives the code and the message, the Python package maps the code to
// its class (wdc._errors.error_class).
#include <exception>

#include "bindings.h"
#include "model/describe_exception.h"

namespace wdc::python {

void raise_error(int code, const std::string& message) {
  py::object cls = py::module_::import("wdc._errors").attr("error_class")(code);
  PyErr_SetObject(cls.ptr(), cls(message).ptr());
  throw py::error_already_set();
}

py::array_t<uint8_t, py::array::c_style> require_uint8(const py::array& a, int ndim,
                                                      const char* what) {
  if (!py::isinstance<py::array_t<uint8_t>>(a) || a.ndim() != ndim)
    raise_error(static_cast<int>(ErrorCode::kInvalidArgument),
                std::string(what) + " must be a " + std::to_string(ndim) + "-D uint8 array");
  return py::array_t<uint8_t, py::array::c_style>::ensure(a);
}

namespace {

void set_python_error(const ErrorInfo& info) {
  try {
    py::object cls =
        py::module_::import("wdc._errors").attr("error_class")(static_cast<int>(info.code));
    PyErr_SetObject(cls.ptr(), cls(info.message).ptr());
  } catch (py::error_already_set& e) {
    // wdc._errors itself failed to import: report the original error all the same.
    PyErr_SetString(PyExc_RuntimeError, info.message.c_str());
  }
}

}  // namespace

void register_errors(py::module_& m) {
  (void)m;
  py::register_local_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const py::error_already_set&) {
      throw;  // a Python exception already: pybind11 restores it
    } catch (const py::builtin_exception&) {
      throw;  // pybind11's own (cast errors, stop_iteration, ...)
    } catch (...) {
      set_python_error(describe_exception(std::current_exception()));
    }
  });
}

}  // namespace wdc::python
