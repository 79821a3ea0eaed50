// Status values, their names, the thread-local error message and the exception-to-status
// translation that every entry point ends in.
#include <cstdlib>
#include <cstring>
#include <new>

#include "capi_internal.h"
#include "model/describe_exception.h"
#include "wdc_version.h"

static_assert(WDC_ABI_VERSION == WDC_ABI_VERSION_NUMBER,
              "include/wdc/wdc.h and CMake's WDC_ABI_VERSION disagree");

// The C status values are the ErrorCode values, one to one.
static_assert(WDC_E_INVALID_ARGUMENT == int(wdc::ErrorCode::kInvalidArgument));
static_assert(WDC_E_IO == int(wdc::ErrorCode::kIo));
static_assert(WDC_E_FORMAT == int(wdc::ErrorCode::kFormat));
static_assert(WDC_E_CONFIG == int(wdc::ErrorCode::kConfig));
static_assert(WDC_E_UNSUPPORTED == int(wdc::ErrorCode::kUnsupported));
static_assert(WDC_E_CANCELLED == int(wdc::ErrorCode::kCancelled));
static_assert(WDC_E_OUT_OF_MEMORY == int(wdc::ErrorCode::kOutOfMemory));
static_assert(WDC_E_BUSY == int(wdc::ErrorCode::kBusy));
static_assert(WDC_E_MISUSE == int(wdc::ErrorCode::kMisuse));
static_assert(WDC_E_INTERNAL == int(wdc::ErrorCode::kInternal));
static_assert(WDC_E_RUNTIME == int(wdc::ErrorCode::kRuntime));

namespace wdc::capi {
namespace {

// The message of this thread's last failed call. `fallback` points at a static string when the
// message itself could not be stored (out of memory).
struct LastError {
  std::string text;
  const char* fallback = nullptr;
};
thread_local LastError t_last_error;

}  // namespace

void set_last_error(const char* function, const std::string& message) noexcept {
  LastError& last = t_last_error;
  try {
    last.text.assign(function);
    last.text.append(": ");
    last.text.append(message);
    last.fallback = nullptr;
  } catch (...) {
    last.fallback = "out of memory (while recording an error message)";
  }
}

wdc_status status_of(const char* function, std::exception_ptr error) noexcept {
  try {
    ErrorInfo info = describe_exception(error);
    int code = static_cast<int>(info.code);
    if (code < WDC_E_INVALID_ARGUMENT || code > WDC_E_RUNTIME) {
      set_last_error(function, "unknown error code " + std::to_string(code) + ": " + info.message);
      return WDC_E_INTERNAL;
    }
    set_last_error(function, info.message);
    return code;
  } catch (const std::bad_alloc&) {
    set_last_error(function, "out of memory");
    return WDC_E_OUT_OF_MEMORY;
  } catch (...) {
    set_last_error(function, "unexpected error while describing an error");
    return WDC_E_INTERNAL;
  }
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    fail(ErrorCode::kInvalidArgument, std::string(what) + " overflows a 64-bit integer");
  return product;
}

void require_positive(int64_t value, const char* name) {
  if (value < 1)
    fail(ErrorCode::kInvalidArgument,
         std::string(name) + " must be >= 1, got " + std::to_string(value));
}

char* copy_string(const std::string& text) {
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

}  // namespace wdc::capi

using namespace wdc::capi;

extern "C" {

WDC_API const char* wdc_version(void) { return WDC_VERSION_STRING; }

WDC_API int32_t wdc_abi_version(void) { return WDC_ABI_VERSION_NUMBER; }

WDC_API const char* wdc_status_name(wdc_status status) {
  switch (status) {
    case WDC_OK: return "WDC_OK";
    case WDC_E_INVALID_ARGUMENT: return "WDC_E_INVALID_ARGUMENT";
    case WDC_E_IO: return "WDC_E_IO";
    case WDC_E_FORMAT: return "WDC_E_FORMAT";
    case WDC_E_CONFIG: return "WDC_E_CONFIG";
    case WDC_E_UNSUPPORTED: return "WDC_E_UNSUPPORTED";
    case WDC_E_CANCELLED: return "WDC_E_CANCELLED";
    case WDC_E_OUT_OF_MEMORY: return "WDC_E_OUT_OF_MEMORY";
    case WDC_E_BUSY: return "WDC_E_BUSY";
    case WDC_E_MISUSE: return "WDC_E_MISUSE";
    case WDC_E_INTERNAL: return "WDC_E_INTERNAL";
    case WDC_E_RUNTIME: return "WDC_E_RUNTIME";
    default: return "WDC_E_UNKNOWN";
  }
}

WDC_API const char* wdc_last_error(void) {
  const LastError& last = t_last_error;
  return last.fallback != nullptr ? last.fallback : last.text.c_str();
}

WDC_API void wdc_string_free(char* string) { std::free(string); }

}  // extern "C"
