#include "model/cpu_buffer_cache.h"

#include <c10/core/CPUAllocator.h>

#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace wdc {
namespace {

constexpr size_t kMinCachedBytes = size_t{1} << 20;
constexpr size_t kMaxIdleBytes = size_t{1} << 30;
// Above LibTorch's default (0), so that the cache stays installed when another library in the
// process registers the default allocator again.
constexpr uint8_t kPriority = 1;
// Every block starts with its capacity, so that the deleter, which LibTorch's raw interface
// hands only the data pointer, knows where the block came from. 64 bytes keep the data at the
// system allocator's alignment.
constexpr size_t kHeaderBytes = 64;

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(c10::Allocator* system)
      : system_(system), system_free_(system->raw_deleter()) {
    TORCH_CHECK(system_free_ != nullptr, "wdc: LibTorch's CPU allocator has no raw interface");
  }

  // LibTorch 1.13 declares `allocate(size_t) const`, 2.3 and later `allocate(size_t)` (and 2.2
  // added the pure virtual `copy_data`). Defining both forms, without `override` (which one of
  // them could not take), builds against either.
  c10::DataPtr allocate(size_t bytes) const { return allocate_block(bytes); }
  c10::DataPtr allocate(size_t bytes) { return allocate_block(bytes); }
  void copy_data(void* dest, const void* src, size_t count) const {
    std::memcpy(dest, src, count);
  }
  c10::DeleterFnPtr raw_deleter() const { return &release; }

  size_t idle_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return idle_bytes_;
  }

  static void release(void* data);

 private:
  c10::DataPtr allocate_block(size_t bytes) const {
    void* base = bytes >= kMinCachedBytes ? take(bytes) : nullptr;
    if (base == nullptr) {
      base = system_->raw_allocate(kHeaderBytes + bytes);
      *static_cast<size_t*>(base) = bytes;
    }
    void* data = static_cast<char*>(base) + kHeaderBytes;
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  // An idle block of at least `bytes` and at most a third more, or null.
  void* take(size_t bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = idle_.lower_bound(bytes);
    if (it == idle_.end() || it->first > bytes + bytes / 3) return nullptr;
    void* base = it->second;
    idle_bytes_ -= it->first;
    idle_.erase(it);
    return base;
  }

  void put(void* base, size_t bytes) const {
    std::vector<void*> evicted;  // freed after the lock is released
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bytes > kMaxIdleBytes) {
        evicted.push_back(base);
      } else {
        while (idle_bytes_ + bytes > kMaxIdleBytes) {
          const auto largest = std::prev(idle_.end());
          idle_bytes_ -= largest->first;
          evicted.push_back(largest->second);
          idle_.erase(largest);
        }
        idle_.emplace(bytes, base);
        idle_bytes_ += bytes;
      }
    }
    for (void* block : evicted) system_free_(block);
  }

  c10::Allocator* const system_;
  const c10::DeleterFnPtr system_free_;
  mutable std::mutex mutex_;
  mutable std::multimap<size_t, void*> idle_;  // capacity -> block
  mutable size_t idle_bytes_ = 0;
};

// Never destroyed: tensors may be freed during static destruction at exit.
CachingCpuAllocator* installed = nullptr;
std::once_flag install_once;

void CachingCpuAllocator::release(void* data) {
  void* base = static_cast<char*>(data) - kHeaderBytes;
  const size_t bytes = *static_cast<size_t*>(base);
  if (bytes >= kMinCachedBytes)
    installed->put(base, bytes);
  else
    installed->system_free_(base);
}

}  // namespace

void use_cpu_buffer_cache() {
  std::call_once(install_once, [] {
    installed = new CachingCpuAllocator(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(installed, kPriority);
  });
}

size_t cpu_buffer_cache_idle_bytes() { return installed ? installed->idle_bytes() : 0; }

}  // namespace wdc
