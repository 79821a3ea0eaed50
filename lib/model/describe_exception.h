// The code and the message of any exception the core may throw: wdc::Error, data::DataError,
// LibTorch's c10::Error (argument checks, allocation failures, device faults), std::bad_alloc.
// What the doors (capi/, bindings/python) translate every failure through.
#pragma once

#include <exception>
#include <string>

#include "base/error.h"

namespace wdc {

struct ErrorInfo {
  ErrorCode code;
  std::string message;
};
ErrorInfo describe_exception(std::exception_ptr error);

}  // namespace wdc
