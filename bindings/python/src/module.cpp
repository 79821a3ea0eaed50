// wdc._wdc: the compiled half of the `wdc` Python package. Import `wdc`, not this module.
#include "bindings.h"
#include "wdc_version.h"

PYBIND11_MODULE(_wdc, m) {
  namespace wp = wdc::python;
  m.doc() = "Compiled core of the wdc package (wafer-map defect classifier); use `import wdc`.";
  m.attr("__version__") = WDC_VERSION_STRING;
  m.attr("ABI_VERSION") = WDC_ABI_VERSION_NUMBER;
  wp::register_errors(m);
  wp::register_classifier(m);
  wp::register_data(m);
  wp::register_ops(m);
  wp::register_index(m);
}
