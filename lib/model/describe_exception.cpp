#include "model/describe_exception.h"

#include <c10/util/Exception.h>

#include <new>

#include "data/data_error.h"

namespace wdc {

ErrorInfo describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const data::DataError& e) {
    const bool io = e.kind() == data::DataError::Kind::kIo;
    return {io ? ErrorCode::kIo : ErrorCode::kFormat, e.what()};
  } catch (const c10::ValueError& e) {
    // Argument checks (TORCH_CHECK_VALUE, as the op's checks use): the caller's mistake.
    return {ErrorCode::kInvalidArgument, e.what_without_backtrace()};
  } catch (const c10::IndexError& e) {
    return {ErrorCode::kInvalidArgument, e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    // LibTorch reports a failed allocation as a plain c10::Error in 1.13 (a subclass later).
    const std::string m = e.what_without_backtrace();
    if (m.find("can't allocate memory") != std::string::npos ||
        m.find("out of memory") != std::string::npos)
      return {ErrorCode::kOutOfMemory, m};
    // Anything else LibTorch raises on work the layers above validated: a CUDA fault, a lost
    // device, a kernel that cannot run. Not the caller's argument, so not kInvalidArgument.
    return {ErrorCode::kRuntime, m};
  } catch (const std::bad_alloc&) {
    return {ErrorCode::kOutOfMemory, "out of memory"};
  } catch (const std::invalid_argument& e) {
    return {ErrorCode::kInvalidArgument, e.what()};
  } catch (const std::exception& e) {
    return {ErrorCode::kInternal, e.what()};
  } catch (...) {
    return {ErrorCode::kInternal, "unknown error"};
  }
}

}  // namespace wdc
