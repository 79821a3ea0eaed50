// numpy .npz archives: a zip file of .npy entries named "<key>.npy", as written by np.savez
// (stored) and np.savez_compressed (deflated), zip64 included. Zip handling is libzip's.
//
// An archive is untrusted input: before an entry is read, its sizes in the zip directory are
// checked against the archive's size (a deflated entry cannot expand more than ~1032:1, a stored
// one not at all), and the .npy header against the entry's size, so a lying archive costs at most
// an allocation the archive's own size justifies. CRCs are verified.
//
// An NpzFile is not thread-safe (libzip archives are not): one reader per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/npy.h"

typedef struct zip zip_t;

namespace wdc::data {

class NpzFile {
 public:
  static NpzFile open(const std::string& path);
  // An archive held in memory (e.g. for fuzzing); `what` names it in error messages.
  static NpzFile from_buffer(std::vector<uint8_t> bytes, const std::string& what);

  NpzFile(NpzFile&&) noexcept;
  NpzFile& operator=(NpzFile&&) noexcept;
  ~NpzFile();

  // Keys in archive order, like np.load(...).files: "arr_0" for the entry "arr_0.npy"; an entry
  // that does not end in ".npy" is listed under its full name.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  // DataError when the key is missing, the entry is malformed or it would inflate to more
  // than `max_bytes` (a limit the caller sets to protect its process).
  NpyArray read(const std::string& name, uint64_t max_bytes = UINT64_MAX) const;
  const std::string& path() const { return what_; }

 private:
  NpzFile() = default;
  void index_entries();

  zip_t* zip_ = nullptr;
  std::string what_;
  uint64_t archive_size_ = 0;
  std::vector<uint8_t> buffer_;  // backing store of from_buffer archives
  std::vector<std::string> names_;
  std::vector<uint64_t> entry_index_;  // parallel to names_
};

// Reads the named arrays, or every array when `names` is empty.
std::map<std::string, NpyArray> read_npz(const std::string& path,
                                         const std::vector<std::string>& names = {});

struct NpzEntry {
  NpzEntry(std::string entry_name, const NpyArray& entry_array)
      : name(std::move(entry_name)), array(&entry_array) {}
  std::string name;       // key without ".npy"
  const NpyArray* array;  // not owned; must outlive the write_npz call
};

// Writes .npy 1.0 entries (deflated when `compressed`, else stored) in the given order, via a
// temporary file renamed over `path` at the end: an interrupted write leaves an old file intact.
// np.load reads the result. Usage: write_npz(path, {{"arr_0", maps}, {"arr_1", labels}}, true);
void write_npz(const std::string& path, const std::vector<NpzEntry>& entries, bool compressed);

}  // namespace wdc::data
