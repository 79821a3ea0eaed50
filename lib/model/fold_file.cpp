#include "model/fold_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "base/error.h"
#include "data/atomic_write.h"

namespace wdc {
namespace {

using json = nlohmann::json;

constexpr const char* kFormatName = "wdc cross-validation fold";
constexpr const char* kRunFormatName = "wdc cross-validation run";
constexpr int kFormatVersion = 1;

[[noreturn]] void another_run(const std::string& what) {
  fail(ErrorCode::kConfig,
       what +
           ": written by another cross-validation (other maps, folds, seed, recipe or "
           "options); remove it, or run without resume to start afresh");
}

// The whole file, refused unread beyond `limit` bytes.
std::string read_limited(const std::string& path, const std::string& what, uintmax_t limit) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) fail(ErrorCode::kIo, what + ": cannot read it: " + ec.message());
  if (size > limit)
    fail(ErrorCode::kFormat,
         what + ": " + std::to_string(size) + " bytes, more than such a file can take");
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.good() && !in.eof()) fail(ErrorCode::kIo, what + ": cannot read it");
  return text;
}

class Fnv1a {
 public:
  void add(const void* bytes, size_t size) {
    const auto* p = static_cast<const uint8_t*>(bytes);
    for (size_t i = 0; i < size; ++i) hash_ = (hash_ ^ p[i]) * 0x100000001b3ULL;
  }
  void add(const std::string& text) {
    add_number(static_cast<int64_t>(text.size()));
    add(text.data(), text.size());
  }
  template <typename T>
  void add_number(T value) {
    add(&value, sizeof value);
  }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::string cross_validation_digest(const data::WaferSet& data, int32_t folds, uint64_t seed,
                                    const std::string& recipe_fingerprint,
                                    const std::string& train_json) {
  Fnv1a h;
  h.add_number(kFormatVersion);
  h.add_number(folds);
  h.add_number(seed);
  h.add(recipe_fingerprint);
  h.add(train_json);
  h.add_number(data.count);
  h.add_number(data.height);
  h.add_number(data.width);
  h.add_number(data.single_label);
  for (const std::string& name : data.names()) h.add(name);
  h.add(data.shapes.data(), data.shapes.size() * sizeof(int64_t));
  h.add(data.maps.data(), data.maps.size());
  h.add(data.labels.data(), data.labels.size());
  return h.hex();
}

void write_fold_file(const std::string& path, const std::string& digest, int32_t fold,
                     const FinishedFold& f) {
  const json file{{"format", kFormatName},
                  {"version", kFormatVersion},
                  {"digest", digest},
                  {"fold", fold},
                  {"single_label", f.single_label},
                  {"train_samples", f.train_samples},
                  {"val_samples", f.val_samples},
                  {"best_epoch", f.best_epoch},
                  {"seconds", f.seconds},
                  {"probabilities", f.probabilities}};
  data::write_file_atomically(path, file.dump());
}

FinishedFold read_fold_file(const std::string& path, const std::string& digest, int32_t fold,
                            int64_t held_out, int64_t labels) {
  const std::string what = "cross-validation fold file " + path;
  // A probability takes at most 25 characters as JSON text (17 digits, sign, point, exponent and
  // a comma); the rest of the file is a few hundred.
  const uintmax_t limit = static_cast<uintmax_t>(held_out * labels) * 25 + 4096;
  return parse_fold_file(read_limited(path, what, limit), what, digest, fold, held_out, labels);
}

void write_run_file(const std::string& path, const std::string& digest) {
  const json file{{"format", kRunFormatName}, {"version", kFormatVersion}, {"digest", digest}};
  data::write_file_atomically(path, file.dump());
}

bool run_file_is_ours(const std::string& path, const std::string& digest) {
  if (!std::filesystem::exists(path)) return false;
  const std::string what = "cross-validation run file " + path;
  check_run_file(read_limited(path, what, 4096), what, digest);
  return true;
}

void check_run_file(const std::string& text, const std::string& what, const std::string& digest) {
  try {
    const json file = json::parse(text);
    if (!file.is_object() || file.value("format", "") != kRunFormatName ||
        file.value("version", 0) != kFormatVersion)
      fail(ErrorCode::kFormat, what + ": not a run file of this library's cross-validation");
    if (file.at("digest").get<std::string>() != digest) another_run(what);
  } catch (const Error&) {
    throw;
  } catch (const json::exception& e) {
    fail(ErrorCode::kFormat, what + ": damaged: " + std::string(e.what()).substr(0, 200));
  }
}

FinishedFold parse_fold_file(const std::string& text, const std::string& what,
                             const std::string& digest, int32_t fold, int64_t held_out,
                             int64_t labels) {
  FinishedFold f;
  json file;
  try {
    file = json::parse(text);
    if (!file.is_object() || file.value("format", "") != kFormatName)
      fail(ErrorCode::kFormat, what + ": not a fold file of wdc's cross-validation");
    if (file.at("version").get<int>() != kFormatVersion)
      fail(ErrorCode::kFormat, what + ": fold file version " +
                                   std::to_string(file.at("version").get<int>()) +
                                   ", this library reads " + std::to_string(kFormatVersion));
    if (file.at("digest").get<std::string>() != digest) another_run(what);
    if (file.at("fold").get<int32_t>() != fold)
      fail(ErrorCode::kConfig, what + ": holds fold " +
                                   std::to_string(file.at("fold").get<int32_t>()) + ", not fold " +
                                   std::to_string(fold));
    f.single_label = file.at("single_label").get<bool>();
    f.train_samples = file.at("train_samples").get<int64_t>();
    f.val_samples = file.at("val_samples").get<int64_t>();
    f.best_epoch = file.at("best_epoch").get<int32_t>();
    f.seconds = file.at("seconds").get<double>();
    const json& p = file.at("probabilities");
    if (!p.is_array() || static_cast<int64_t>(p.size()) != held_out * labels)
      fail(ErrorCode::kFormat, what + ": holds " + std::to_string(p.is_array() ? p.size() : 0) +
                                   " probabilities where the fold's " + std::to_string(held_out) +
                                   " maps of " + std::to_string(labels) + " labels need " +
                                   std::to_string(held_out * labels));
    f.probabilities.reserve(p.size());
    for (const json& v : p) {
      const double x = v.get<double>();
      if (!(x >= 0 && x <= 1))
        fail(ErrorCode::kFormat, what + ": holds " + v.dump() + ", not a probability");
      f.probabilities.push_back(static_cast<float>(x));
    }
  } catch (const Error&) {
    throw;
  } catch (const json::exception& e) {
    fail(ErrorCode::kFormat, what + ": damaged: " + std::string(e.what()).substr(0, 200));
  }
  return f;
}

}  // namespace wdc
