// Internals shared by the C ABI's translation units: the handle behind wdc_model, the table of
// live handles, the thread-local error message, and `guarded`, which runs an entry point's body
// and turns every exception into a status. No logic of the classifier lives here: lib/capi only
// checks arguments and translates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/classifier.h"
#include "model/error.h"
#include "wdc/wdc.h"

struct wdc_model {
  static constexpr uint64_t kLiveMagic = 0x3130'4c44'4f4d'4344ULL;  // "DCMODL01"
  static constexpr uint64_t kDeadMagic = 0x4441'4544'4c44'4f4dULL;  // "MODLDEAD"

  uint64_t magic = kLiveMagic;
  std::unique_ptr<wdc::Classifier> classifier;
  // Copied once at creation so that wdc_label_name can hand out pointers that stay valid until
  // wdc_free whatever the classifier does with its own copy.
  std::vector<std::string> label_names;
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

// Registers a new handle for `classifier`; throws (leaving nothing registered) on failure.
wdc_model* register_model(std::unique_ptr<Classifier> classifier);
// The handle if it is live (registered, with the live magic), else throws Error(kMisuse).
// Never dereferences a pointer that is not registered.
const wdc_model& live_model(const wdc_model* model);
// Unregisters and deletes a live handle; false (and nothing done) when `model` is not live.
bool release_model(wdc_model* model) noexcept;

// ---- arguments ---------------------------------------------------------------------------------

// a * b, or Error(kInvalidArgument, "<what> overflows") when it does not fit in int64_t.
int64_t checked_mul(int64_t a, int64_t b, const char* what);
// Error(kInvalidArgument) unless value >= 1.
void require_positive(int64_t value, const char* name);
// A copy of `text` in memory that wdc_string_free releases; throws std::bad_alloc.
char* copy_string(const std::string& text);

}  // namespace wdc::capi
