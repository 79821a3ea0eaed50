// Internals shared by the C ABI's translation units: the handle behind wdc_model, the table of
// live handles, the thread-local error message, and `guarded`, which runs an entry point's body
// and turns every exception into a status. No logic of the classifier lives here: lib/capi only
// checks arguments and translates.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include <atomic>
#include <list>
#include <mutex>

#include "base/error.h"
#include "data/wafer_set.h"
#include "model/classifier.h"
#include "search/map_index.h"
#include "wdc/wdc.h"

struct wdc_model {
  static constexpr uint64_t kLiveMagic = 0x3130'4c44'4f4d'4344ULL;  // "DCMODL01"
  static constexpr uint64_t kDeadMagic = 0x4441'4544'4c44'4f4dULL;  // "MODLDEAD"

  uint64_t magic = kLiveMagic;
  std::unique_ptr<wdc::Classifier> classifier;

  // The current label names. A model whose config named no labels takes its first training
  // data's, so the names can change once; every list the model has had is kept until wdc_free,
  // so that a pointer from wdc_label_name stays valid whatever happens meanwhile.
  const std::vector<std::string>& label_names() const { return *current_labels.load(); }
  // Takes the classifier's names if they changed (after training).
  void refresh_label_names() const;

 private:
  mutable std::mutex label_lists_mutex;
  mutable std::list<std::vector<std::string>> label_lists;
  mutable std::atomic<const std::vector<std::string>*> current_labels{nullptr};
};

struct wdc_dataset {
  static constexpr uint64_t kLiveMagic = 0x3130'5441'4453'4344ULL;  // "DCDSAT01"
  static constexpr uint64_t kDeadMagic = 0x4441'4544'5441'4453ULL;  // "SDATDEAD"

  uint64_t magic = kLiveMagic;
  wdc::data::WaferSet set;  // never changed after creation, so shared freely across threads
};

struct wdc_index {
  static constexpr uint64_t kLiveMagic = 0x3130'5844'4e49'4344ULL;  // "DCINDX01"
  static constexpr uint64_t kDeadMagic = 0x4441'4544'5844'4e49ULL;  // "INDXDEAD"
  uint64_t magic = kLiveMagic;
  wdc::search::MapIndex index;  // never changed after creation, so shared freely across threads
};

namespace wdc::capi {

// ---- errors ------------------------------------------------------------------------------------

// Records `message` as this thread's last error. Never throws.
void set_last_error(const char* function, const std::string& message) noexcept;

// wdc::fail(code, message) (model/error.h) throws wdc::Error; this is its common case.
inline void require(bool condition, const char* message) {
  if (!condition) fail(ErrorCode::kInvalidArgument, message);
}

// Maps `error` to a status and records its message for `function`. Never throws.
wdc_status status_of(const char* function, std::exception_ptr error) noexcept;

// Runs `body`; WDC_OK when it returns, otherwise the status of what it threw.
template <typename Body>
wdc_status guarded(const char* function, Body&& body) noexcept {
  try {
    body();
    return WDC_OK;
  } catch (...) {
    return status_of(function, std::current_exception());
  }
}

// ---- handles -----------------------------------------------------------------------------------

// The set of live handles of one type. A pointer is looked up here before it is dereferenced,
// so a freed or foreign pointer is reported instead of followed.
template <typename Handle>
class LiveTable {
 public:
  void add(const Handle* handle) {
    std::unique_lock lock(mutex_);
    live_.insert(handle);
  }
  bool contains(const Handle* handle) const {
    std::shared_lock lock(mutex_);
    return live_.count(handle) != 0;
  }
  bool remove(const Handle* handle) {
    std::unique_lock lock(mutex_);
    return live_.erase(handle) != 0;
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_set<const Handle*> live_;
};

// The one table per handle type; never destroyed, so that handles freed during static
// destruction still find it.
template <typename Handle>
LiveTable<Handle>& live_table() {
  static auto* table = new LiveTable<Handle>;
  return *table;
}

// Registers a new handle for `classifier`; throws (leaving nothing registered) on failure.
wdc_model* register_model(std::unique_ptr<Classifier> classifier);
// The handle if it is live (registered, with the live magic), else throws Error(kMisuse).
// Never dereferences a pointer that is not registered.
const wdc_model& live_model(const wdc_model* model);
// Unregisters and deletes a live handle; false (and nothing done) when `model` is not live.
bool release_model(wdc_model* model) noexcept;

// Registers a new data set handle owning `set`; throws (leaving nothing registered) on failure.
wdc_dataset* register_dataset(data::WaferSet set);
// Maps [first, first + count) of a set (already checked with require_range), as a set of their own.
data::WaferSet dataset_range(const data::WaferSet& set, int64_t first, int64_t count);
// The data set of a live handle, else throws Error(kMisuse).
const data::WaferSet& live_dataset(const wdc_dataset* data);
// `count` maps of height x width (values >= 2 stored as 2) and their labels, count x 8 bytes of
// 0 or 1 (NULL with labels_len 0: all 0), copied from caller buffers; Error(kInvalidArgument)
// for NULL maps, sizes < 1 or overflowing, a short labels buffer or a label other than 0/1.
data::WaferSet labelled_set(const uint8_t* maps, int64_t count, int64_t height, int64_t width,
                            const uint8_t* labels, int64_t labels_len);

// ---- results ------------------------------------------------------------------------------------

// The double nearest to the shortest decimal that reads back as `value` (0.43180773, not
// 0.4318077266216278): how every probability and similarity goes into JSON.
double shortest(float value);
// The names whose `present` value is not 0, as a JSON array.
nlohmann::json names_present(const std::vector<std::string>& names, const uint8_t* present);
// Error(kInvalidArgument) for NULL maps or sizes < 1 or overflowing (a predict-like call's maps).
void check_maps(const uint8_t* maps, int64_t count, int64_t height, int64_t width);

// ---- arguments ---------------------------------------------------------------------------------

// a * b, or Error(kInvalidArgument, "<what> overflows") when it does not fit in int64_t.
int64_t checked_mul(int64_t a, int64_t b, const char* what);
// Error(kInvalidArgument) unless value >= 1.
void require_positive(int64_t value, const char* name);
// The JSON object of an options argument: {} for NULL or ""; Error(kConfig) naming `argument`
// when it is not valid JSON or not an object.
nlohmann::json options_object(const char* options_json, const char* argument = "options_json");
// An integer option in [low, high]; anything else is Error(kConfig) naming the key and range.
int64_t integer_option(const nlohmann::json& value, const std::string& key, int64_t low,
                       int64_t high, const char* note = "");
// Error(kConfig) "unknown key" naming `key` and the `known` keys.
[[noreturn]] void unknown_option(const std::string& key, const char* known);
// Error(kInvalidArgument) unless [first, first + count) lies within [0, size).
void require_range(int64_t first, int64_t count, int64_t size);
// A copy of `text` in memory that wdc_string_free releases; throws std::bad_alloc.
char* copy_string(const std::string& text);

}  // namespace wdc::capi
