// The one exception type of wdc::data: every malformed file, inconsistent dataset or bad argument
// ends here, with a message that names the file (or buffer) and the problem, so that a user who
// points the tools at the wrong file learns which file and why without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace wdc::data {

class DataError : public std::runtime_error {
 public:
  // kIo: the file could not be opened, read or written; kFormat: its contents are wrong.
  enum class Kind { kFormat, kIo };
  explicit DataError(const std::string& message, Kind kind = Kind::kFormat)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Throws DataError("<what>: <problem>").
[[noreturn]] inline void fail(const std::string& what, const std::string& problem) {
  throw DataError(what + ": " + problem);
}

// The same for a file that cannot be opened, read or written (DataError::Kind::kIo).
[[noreturn]] inline void fail_io(const std::string& what, const std::string& problem) {
  throw DataError(what + ": " + problem, DataError::Kind::kIo);
}

}  // namespace wdc::data
