// Replaces the global operator new of the test executable that includes it (include it from
// exactly one file per executable) to record the largest single allocation, so tests can assert
// that a lying header never makes the reader allocate what the file cannot justify.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace wdc::data::test {

inline std::atomic<size_t> largest_allocation{0};

// Largest allocation made while running f().
template <class F>
size_t largest_allocation_during(F&& f) {
  largest_allocation = 0;
  f();
  return largest_allocation.load();
}

inline void* tracked_alloc(size_t n) {
  size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace wdc::data::test

void* operator new(std::size_t n) { return wdc::data::test::tracked_alloc(n); }
void* operator new[](std::size_t n) { return wdc::data::test::tracked_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
