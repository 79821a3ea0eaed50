#include "data/atomic_write.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "data/data_error.h"

namespace wdc::data {

namespace {

namespace fs = std::filesystem;

fs::path parent_directory(const std::string& path) {
  const fs::path target(path);
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

// Temporary files of `path` left by processes that died mid-save (SIGKILL, power cut): their
// names carry the writer's pid, and a pid with no live process cannot finish its save. Removing
// them keeps a host that crashes now and then from filling its disk. Best effort: a directory
// that cannot be listed is left alone.
void remove_stale_temp_files(const std::string& path) noexcept {
  std::error_code error;
  const std::string prefix = fs::path(path).filename().string() + ".tmp-";
  for (fs::directory_iterator it(parent_directory(path), error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

// Makes a completed rename survive a power cut (best effort: not every file system allows it).
void sync_parent_directory(const std::string& path) noexcept {
  const int fd = ::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string temp_path_for(const std::string& path) {
  remove_stale_temp_files(path);
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
  sync_parent_directory(path);
}

void discard_temp_file(const std::string& temp) noexcept { std::remove(temp.c_str()); }

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temp = temp_path_for(path);
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) fail_io(path, std::string("cannot write: ") + std::strerror(errno));
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    const int err = !written ? write_errno : errno;
    discard_temp_file(temp);
    fail_io(path, std::string("cannot write: ") + std::strerror(err));
  }
  commit_temp_file(temp, path);
}

}  // namespace wdc::data
