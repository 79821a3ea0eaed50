// wdc::Error: the one exception type of the classifier layer, carrying a status code that maps
// one-to-one onto the C ABI's status values. Lower layers throw their own types
// (data::DataError, c10::Error); the layers above (capi/, cli/, bindings/) translate everything
// through error_code_of().
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace wdc {

enum class ErrorCode : int {
  kInvalidArgument = 1,
  kIo = 2,
  kFormat = 3,
  kConfig = 4,
  kUnsupported = 5,
  kCancelled = 6,
  kOutOfMemory = 7,
  kBusy = 8,
  kMisuse = 9,
  kInternal = 10,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}

// The code and the message (without C++ backtraces) of any exception wdc may throw.
struct ErrorInfo {
  ErrorCode code;
  std::string message;
};
ErrorInfo describe_exception(std::exception_ptr error);

}  // namespace wdc
