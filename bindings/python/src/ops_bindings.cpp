// wdc._wdc.deform_conv2d / deform_conv2d_backward on numpy arrays. The inputs are wrapped without
// a copy (the op only reads them, and the arrays stay referenced for the whole call); the results
// are copied into fresh numpy arrays. Like a model, the op installs the process-wide cache of
// large CPU buffers: without it every call page-faulted fresh column buffers and outputs in,
// which took 44% of a call's time on 32 maps of 32 channels at 52x52 (docs/PERFORMANCE.md).
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <pybind11/stl.h>

#include <array>
#include <optional>

#include "bindings.h"
#include "base/error.h"
#include "model/cpu_buffer_cache.h"
#include "ops/deform_conv2d.h"

namespace wdc::python {
namespace {

using Pair = std::array<int64_t, 2>;

[[noreturn]] void invalid(const std::string& message) {
  raise_error(static_cast<int>(ErrorCode::kInvalidArgument), message);
}

// A tensor over the array's memory. The array must be float32/float64 and C-contiguous (the
// Python layer makes it so); anything else is an argument error rather than a silent copy.
at::Tensor wrap(const py::array& a, const char* name) {
  at::ScalarType type;
  if (py::isinstance<py::array_t<float>>(a))
    type = at::kFloat;
  else if (py::isinstance<py::array_t<double>>(a))
    type = at::kDouble;
  else
    invalid(std::string("deform_conv2d: ") + name + " must be float32 or float64, got " +
            py::str(a.dtype()).cast<std::string>());
  if (!(a.flags() & py::array::c_style))
    invalid(std::string("deform_conv2d: ") + name + " must be C-contiguous");
  std::vector<int64_t> sizes(a.shape(), a.shape() + a.ndim());
  return at::from_blob(const_cast<void*>(a.data()), sizes, at::TensorOptions().dtype(type));
}

at::Tensor wrap_optional(const std::optional<py::array>& a, const char* name) {
  return a ? wrap(*a, name) : at::Tensor();
}

// A new C-contiguous array of t's values, copied in one pass from whatever layout t has (the
// op's outputs are channels-last on the CPU).
py::object tensor_to_numpy(const at::Tensor& t) {
  if (!t.defined()) return py::none();
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  py::array out = t.scalar_type() == at::kFloat ? py::array(py::dtype::of<float>(), shape)
                                                : py::array(py::dtype::of<double>(), shape);
  if (t.numel() > 0) {
    py::gil_scoped_release release;
    at::from_blob(out.mutable_data(), t.sizes(), t.options()).copy_(t);
  }
  return out;
}

ops::DeformConv2dOptions make_options(Pair stride, Pair padding, Pair dilation, int64_t groups,
                                      int64_t offset_groups) {
  ops::DeformConv2dOptions o;
  o.stride = stride;
  o.padding = padding;
  o.dilation = dilation;
  o.groups = groups;
  o.offset_groups = offset_groups;
  return o;
}

py::object deform_conv2d(const py::array& input, const py::array& offset, const py::array& weight,
                        const std::optional<py::array>& bias, const std::optional<py::array>& mask,
                        Pair stride, Pair padding, Pair dilation, int64_t groups,
                        int64_t offset_groups) {
  const at::Tensor x = wrap(input, "input"), off = wrap(offset, "offset"),
                   w = wrap(weight, "weight"), b = wrap_optional(bias, "bias"),
                   m = wrap_optional(mask, "mask");
  const auto options = make_options(stride, padding, dilation, groups, offset_groups);
  at::Tensor out;
  {
    py::gil_scoped_release release;
    use_cpu_buffer_cache();
    c10::AutoGradMode no_grad(false);
    out = ops::deform_conv2d(x, off, w, b, m, options);
  }
  return tensor_to_numpy(out);
}

py::dict deform_conv2d_backward(const py::array& grad_output, const py::array& input,
                                const py::array& offset, const py::array& weight,
                                const std::optional<py::array>& bias,
                                const std::optional<py::array>& mask, Pair stride, Pair padding,
                                Pair dilation, int64_t groups, int64_t offset_groups) {
  const at::Tensor go = wrap(grad_output, "grad_output"), x = wrap(input, "input"),
                   off = wrap(offset, "offset"), w = wrap(weight, "weight"),
                   b = wrap_optional(bias, "bias"), m = wrap_optional(mask, "mask");
  if (go.scalar_type() != x.scalar_type())
    invalid("deform_conv2d_backward: grad_output must have the dtype of input");
  const auto options = make_options(stride, padding, dilation, groups, offset_groups);
  ops::DeformConv2dGrads g;
  {
    py::gil_scoped_release release;
    use_cpu_buffer_cache();
    c10::AutoGradMode no_grad(false);
    g = ops::deform_conv2d_backward(go, x, off, w, b, m, options);
  }
  py::dict d;
  d["input"] = tensor_to_numpy(g.input);
  d["offset"] = tensor_to_numpy(g.offset);
  d["weight"] = tensor_to_numpy(g.weight);
  d["bias"] = b.defined() ? tensor_to_numpy(g.bias) : py::none();
  d["mask"] = m.defined() ? tensor_to_numpy(g.mask) : py::none();
  return d;
}

}  // namespace

void register_ops(py::module_& m) {
  m.def("deform_conv2d", &deform_conv2d, py::arg("input"), py::arg("offset"), py::arg("weight"),
        py::arg("bias"), py::arg("mask"), py::arg("stride"), py::arg("padding"),
        py::arg("dilation"), py::arg("groups"), py::arg("offset_groups"));
  m.def("deform_conv2d_backward", &deform_conv2d_backward, py::arg("grad_output"),
        py::arg("input"), py::arg("offset"), py::arg("weight"), py::arg("bias"), py::arg("mask"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("offset_groups"));
}

}  // namespace wdc::python
