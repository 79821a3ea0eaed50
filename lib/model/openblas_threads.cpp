#include "model/openblas_threads.h"

#include <dlfcn.h>

namespace wdc {
namespace {

template <typename Fn>
Fn openblas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

bool set_openblas_threads(int threads) {
  static const auto set = openblas_symbol<void (*)(int)>("openblas_set_num_threads");
  if (set == nullptr || threads <= 0) return false;
  set(threads);
  return true;
}

int openblas_threads() {
  static const auto get = openblas_symbol<int (*)()>("openblas_get_num_threads");
  return get == nullptr ? 0 : get();
}

const char* openblas_core() {
  static const auto get = openblas_symbol<const char* (*)()>("openblas_get_corename");
  return get == nullptr ? nullptr : get();
}

}  // namespace wdc
