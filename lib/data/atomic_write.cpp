#include "data/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "data/data_error.h"

namespace wdc::data::detail {

std::string temp_path_for(const std::string& path) {
  // pid + counter make the name unique within this host; the clock guards against pid reuse
  // racing with a leftover file of a crashed process.
  static std::atomic<unsigned long> counter{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  for (;;) {
    std::string candidate = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter++) + "-" +
                            std::to_string(static_cast<unsigned long long>(ticks) % 1000000);
    if (::access(candidate.c_str(), F_OK) != 0) return candidate;
  }
}

void commit_temp_file(const std::string& temp, const std::string& path) {
  const int fd = ::open(temp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    discard_temp_file(temp);
    fail_io(path, "cannot flush the temporary file " + temp + ": " + reason);
  }
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    discard_temp_file(temp);
    fail_io(path, "cannot replace the file: " + reason);
  }
}

void discard_temp_file(const std::string& temp) noexcept { std::remove(temp.c_str()); }

}  // namespace wdc::data::detail
