#include "data/npz.h"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

#include "data/atomic_write.h"
#include "data/npy_format.h"

namespace wdc::data {
namespace {

// Deflate's best case is a 258-byte match per ~2 bits, i.e. about 1032:1; an entry whose directory
// claims more is lying, and believing it would let a tiny archive demand a huge allocation.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr uint64_t kDeflateSlack = 1024;
// zlib's default level, as numpy's savez_compressed uses. libzip's own default is 9, which takes
// ~11x as long on wafer maps (92 s instead of 8 s for 14k maps) for a file ~14% smaller.
constexpr zip_uint32_t kDeflateLevel = 6;
// Entries get a fixed timestamp so that the same arrays always give the same bytes.
constexpr time_t kEntryMtime = 946728000;  // 2000-01-01 12:00 UTC

std::string open_error_text(int code) {
  switch (code) {
    case ZIP_ER_NOZIP: return "not a zip archive (or truncated: no end of central directory)";
    case ZIP_ER_NOENT: return "no such file";
    case ZIP_ER_INCONS: return "corrupt zip archive (inconsistent directory)";
    case ZIP_ER_READ: return "read error";
    case ZIP_ER_OPEN: return std::string("cannot open: ") + std::strerror(errno);
    default: break;
  }
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

class ZipEntrySource : public detail::ByteSource {
 public:
  ZipEntrySource(zip_file_t* file, const std::string& what) : file_(file), what_(what) {}
  ~ZipEntrySource() override { zip_fclose(file_); }
  ZipEntrySource(const ZipEntrySource&) = delete;
  ZipEntrySource& operator=(const ZipEntrySource&) = delete;

  size_t read(void* dst, size_t n) override {
    size_t got = 0;
    while (got < n) {
      const zip_int64_t r = zip_fread(file_, static_cast<char*>(dst) + got, n - got);
      if (r < 0) {
        const zip_error_t* error = zip_file_get_error(file_);
        if (zip_error_code_zip(error) == ZIP_ER_CRC)
          fail(what_, "CRC mismatch: the archive is corrupt");
        fail(what_, std::string("cannot read the zip entry: ") + zip_file_strerror(file_));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

 private:
  zip_file_t* file_;
  const std::string& what_;
};

// Feeds libzip an entry's .npy image (header, then the array's own bytes) without first copying
// a possibly multi-hundred-megabyte array into one buffer.
struct EntryStream {
  std::vector<uint8_t> header;
  const uint8_t* payload = nullptr;
  uint64_t payload_size = 0;
  uint64_t position = 0;
  zip_error_t error;

  uint64_t size() const { return header.size() + payload_size; }

  static zip_int64_t callback(void* state, void* data, zip_uint64_t length, zip_source_cmd_t cmd) {
    auto* self = static_cast<EntryStream*>(state);
    switch (cmd) {
      case ZIP_SOURCE_OPEN: self->position = 0; return 0;
      case ZIP_SOURCE_READ: {
        auto* out = static_cast<uint8_t*>(data);
        uint64_t written = 0;
        while (written < length && self->position < self->size()) {
          const uint64_t p = self->position;
          const uint64_t n_header = self->header.size();
          const uint8_t* from =
              p < n_header ? self->header.data() + p : self->payload + (p - n_header);
          const uint64_t left = p < n_header ? n_header - p : self->size() - p;
          const uint64_t n = std::min<uint64_t>(left, length - written);
          std::memcpy(out + written, from, n);
          written += n;
          self->position += n;
        }
        return static_cast<zip_int64_t>(written);
      }
      case ZIP_SOURCE_CLOSE: return 0;
      case ZIP_SOURCE_STAT: {
        auto* st = static_cast<zip_stat_t*>(data);
        zip_stat_init(st);
        st->size = self->size();
        st->mtime = kEntryMtime;
        st->comp_method = ZIP_CM_STORE;
        st->encryption_method = ZIP_EM_NONE;
        st->valid |=
            ZIP_STAT_SIZE | ZIP_STAT_MTIME | ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD;
        return sizeof(*st);
      }
      case ZIP_SOURCE_ERROR: return zip_error_to_data(&self->error, data, length);
      case ZIP_SOURCE_FREE:
        zip_error_fini(&self->error);
        delete self;
        return 0;
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
      default: zip_error_set(&self->error, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
  }
};

std::string key_of(const std::string& entry_name) {
  const std::string suffix = ".npy";
  if (entry_name.size() > suffix.size() &&
      entry_name.compare(entry_name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return entry_name.substr(0, entry_name.size() - suffix.size());
  return entry_name;
}

void write_empty_zip(const std::string& temp, const std::string& path) {
  // libzip deletes an archive with no entries on close; np.savez() with no arrays writes just
  // the end-of-central-directory record, so do the same.
  static const uint8_t kEmptyZip[22] = {'P', 'K', 5, 6};
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) fail_io(path, "cannot create " + temp + ": " + std::strerror(errno));
  const bool ok = std::fwrite(kEmptyZip, 1, sizeof kEmptyZip, file) == sizeof kEmptyZip;
  if (std::fclose(file) != 0 || !ok) {
    discard_temp_file(temp);
    fail_io(path, "write failed");
  }
}

}  // namespace

NpzFile NpzFile::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail_io(path, std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (zip == nullptr) {
    const bool io = code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_READ;
    if (io) fail_io(path, open_error_text(code));
    fail(path, open_error_text(code));
  }
  NpzFile npz;
  npz.zip_ = zip;
  npz.what_ = path;
  npz.archive_size_ = static_cast<uint64_t>(st.st_size);
  npz.index_entries();
  return npz;
}

NpzFile NpzFile::from_buffer(std::vector<uint8_t> bytes, const std::string& what) {
  NpzFile npz;
  npz.what_ = what;
  npz.buffer_ = std::move(bytes);
  npz.archive_size_ = npz.buffer_.size();
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source =
      zip_source_buffer_create(npz.buffer_.data(), npz.buffer_.size(), 0, &error);
  if (source == nullptr) {
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    fail(what, text);
  }
  npz.zip_ = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (npz.zip_ == nullptr) {
    zip_source_free(source);
    const int code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    fail(what, open_error_text(code));
  }
  zip_error_fini(&error);
  npz.index_entries();
  return npz;
}

NpzFile::NpzFile(NpzFile&& other) noexcept { *this = std::move(other); }

NpzFile& NpzFile::operator=(NpzFile&& other) noexcept {
  if (this != &other) {
    if (zip_ != nullptr) zip_discard(zip_);
    zip_ = std::exchange(other.zip_, nullptr);
    what_ = std::move(other.what_);
    archive_size_ = other.archive_size_;
    buffer_ = std::move(other.buffer_);  // keeps its heap block, which libzip points into
    names_ = std::move(other.names_);
    entry_index_ = std::move(other.entry_index_);
  }
  return *this;
}

NpzFile::~NpzFile() {
  if (zip_ != nullptr) zip_discard(zip_);
}

void NpzFile::index_entries() {
  const zip_int64_t count = zip_get_num_entries(zip_, 0);
  if (count < 0) fail(what_, "cannot list the zip entries");
  std::set<std::string> seen;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) fail(what_, "zip entry " + std::to_string(i) + " has no readable name");
    std::string key = key_of(name);
    // A crafted archive may repeat a name; like Python's zipfile, the last one wins.
    if (!seen.insert(key).second) {
      const auto at = std::find(names_.begin(), names_.end(), key) - names_.begin();
      entry_index_[static_cast<size_t>(at)] = static_cast<uint64_t>(i);
      continue;
    }
    names_.push_back(std::move(key));
    entry_index_.push_back(static_cast<uint64_t>(i));
  }
}

bool NpzFile::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

NpyArray NpzFile::read(const std::string& name, uint64_t max_bytes) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) fail(what_, "no array named '" + name + "' in the archive");
  const zip_uint64_t index = entry_index_[static_cast<size_t>(it - names_.begin())];
  const char* entry_name = zip_get_name(zip_, index, 0);
  const std::string what = what_ + ":" + (entry_name != nullptr ? entry_name : name);

  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip_, index, 0, &st) != 0) fail(what, zip_strerror(zip_));
  const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if ((st.valid & need) != need) fail(what, "zip directory lacks the entry's sizes");
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
    fail(what, "encrypted zip entries are not supported");
  if (st.comp_size > archive_size_)
    fail(what, "zip directory claims " + std::to_string(st.comp_size) +
                   " compressed bytes in an archive of " + std::to_string(archive_size_));
  if (st.comp_method == ZIP_CM_STORE) {
    if (st.size != st.comp_size)
      fail(what, "stored zip entry with different compressed (" + std::to_string(st.comp_size) +
                     ") and uncompressed (" + std::to_string(st.size) + ") sizes");
  } else if (st.comp_method == ZIP_CM_DEFLATE) {
    if (st.size > st.comp_size * kMaxDeflateRatio + kDeflateSlack)
      fail(what, "zip directory claims " + std::to_string(st.size) + " bytes inflated from " +
                     std::to_string(st.comp_size) + ", more than deflate can produce");
  } else {
    fail(what, "unsupported zip compression method " + std::to_string(st.comp_method) +
                   " (only stored and deflated entries, as numpy writes)");
  }

  if (st.size > max_bytes)
    fail(what, "entry holds " + std::to_string(st.size) + " bytes, more than the limit of " +
                   std::to_string(max_bytes) + " bytes");

  zip_file_t* file = zip_fopen_index(zip_, index, 0);
  if (file == nullptr) fail(what, std::string("cannot open the zip entry: ") + zip_strerror(zip_));
  ZipEntrySource source(file, what);
  return detail::read_npy_stream(source, st.size, what);
}

std::map<std::string, NpyArray> read_npz(const std::string& path,
                                         const std::vector<std::string>& names) {
  const NpzFile npz = NpzFile::open(path);
  std::map<std::string, NpyArray> out;
  for (const std::string& name : names.empty() ? npz.names() : names) out[name] = npz.read(name);
  return out;
}

void write_npz(const std::string& path, const std::vector<NpzEntry>& entries, bool compressed) {
  std::set<std::string> seen;
  for (const NpzEntry& e : entries) {
    if (e.name.empty() || e.name.find('\0') != std::string::npos)
      fail(path, "invalid array name '" + e.name + "'");
    if (e.array == nullptr) fail(path, "null array for '" + e.name + "'");
    if (!seen.insert(e.name).second) fail(path, "duplicate array name '" + e.name + "'");
  }

  const std::string temp = temp_path_for(path);
  if (entries.empty()) {
    write_empty_zip(temp, path);
    commit_temp_file(temp, path);
    return;
  }

  int code = 0;
  zip_t* zip = zip_open(temp.c_str(), ZIP_CREATE | ZIP_EXCL, &code);
  if (zip == nullptr) fail_io(path, "cannot create " + temp + ": " + open_error_text(code));
  // Writing can only fail for want of space, permissions or memory: an I/O error.
  auto abandon = [&](const std::string& problem) {
    const std::string text = problem + ": " + zip_strerror(zip);
    zip_discard(zip);
    discard_temp_file(temp);
    fail_io(path, text);
  };

  for (const NpzEntry& e : entries) {
    auto* stream = new EntryStream;
    stream->header = detail::format_npy_header(e.array->dtype(), e.array->shape());
    stream->payload = static_cast<const uint8_t*>(e.array->data());
    stream->payload_size = e.array->nbytes();
    zip_error_init(&stream->error);
    zip_source_t* source = zip_source_function(zip, &EntryStream::callback, stream);
    if (source == nullptr) {
      zip_error_fini(&stream->error);
      delete stream;
      abandon("cannot create a zip source for '" + e.name + "'");
    }
    const zip_int64_t index = zip_file_add(zip, (e.name + ".npy").c_str(), source, 0);
    if (index < 0) {
      zip_source_free(source);  // frees `stream` through ZIP_SOURCE_FREE
      abandon("cannot add '" + e.name + "'");
    }
    const auto i = static_cast<zip_uint64_t>(index);
    const zip_int32_t method = compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
    if (zip_set_file_compression(zip, i, method, compressed ? kDeflateLevel : 0) != 0 ||
        zip_file_set_mtime(zip, i, kEntryMtime, 0) != 0)
      abandon("cannot set up '" + e.name + "'");
  }
  if (zip_close(zip) != 0) abandon("cannot write the archive");
  commit_temp_file(temp, path);
}

}  // namespace wdc::data
