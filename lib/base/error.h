// wdc::Error: the one exception type of the core, carrying a status code that maps one-to-one
// onto the C ABI's status values. The bottom of the core: every folder but data/ (torch-free,
// with its own data::DataError) and ops/ (LibTorch's c10::Error) may throw it;
// model/describe_exception.h turns any of the three into a code and a message.
#pragma once

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
  kRuntime = 11,  // the device or LibTorch failed on valid work (a CUDA fault, ...)
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

}  // namespace wdc
