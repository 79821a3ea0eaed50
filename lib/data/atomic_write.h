// Replace a file only once its new content is complete, so that a crash, a full disk or
// an exception half-way through a save never destroys the previous version of the file.
#pragma once

#include <string>

namespace wdc::data {

// A path in the same directory as `path` (so the final rename stays on one file system) that
// does not exist yet: "<path>.tmp-<pid>-<n>-<clock>". Temporary files of `path` whose writer
// process no longer exists (killed mid-save) are removed first.
std::string temp_path_for(const std::string& path);

// Flushes `temp` to disk, renames it over `path` and flushes the directory. On failure removes `temp` and throws
// DataError naming `path`.
void commit_temp_file(const std::string& temp, const std::string& path);

// Removes `temp` if it exists; for cleanup paths, never throws.
void discard_temp_file(const std::string& temp) noexcept;

// Writes `content` to `path` through a temporary file renamed over it (the three steps above);
// DataError(kIo) naming `path` on failure, leaving any old file intact.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace wdc::data
