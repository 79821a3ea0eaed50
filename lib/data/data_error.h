// The one exception type of wdc::data: every malformed file, inconsistent dataset or bad argument
// ends here, with a message that names the file (or buffer) and the problem, so that a user who
// points the tools at the wrong file learns which file and why without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace wdc::data {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws DataError("<what>: <problem>").
[[noreturn]] inline void fail(const std::string& what, const std::string& problem) {
  throw DataError(what + ": " + problem);
}

}  // namespace wdc::data
