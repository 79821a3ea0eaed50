#include "train/process_group.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdlib>

#include "base/error.h"

#ifdef WDC_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace wdc::train {

#ifdef WDC_HAVE_GLOO
namespace {

std::string excerpt(const std::exception& e) {
  std::string what = e.what();
  // LibTorch appends a C++ stack trace to its messages: keep the first line.
  const size_t end = what.find('\n');
  return what.substr(0, std::min<size_t>(end, 300));
}

// Gloo binds each rank to one local address that the other ranks must reach: the interface that
// GLOO_SOCKET_IFNAME names (as in PyTorch), loopback for a rendezvous on loopback, else the
// address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> local_device(const std::string& host) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (host == "localhost" || host.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

class GlooGroup final : public ProcessGroup {
 public:
  explicit GlooGroup(const GroupOptions& o) : rank_(o.rank), size_(o.world_size) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds * 1000));
    where_ = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
    try {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<uint16_t>(o.port);
      store_options.isServer = o.rank == 0;
      store_options.numWorkers = static_cast<size_t>(o.world_size);
      store_options.waitWorkers = false;  // the group's rendezvous waits, once, for the timeout
      store_options.timeout = timeout;
      auto store = c10::make_intrusive<c10d::TCPStore>(o.host, store_options);
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      options->devices.push_back(local_device(o.host));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
    } catch (const std::exception& e) {
      fail(ErrorCode::kRuntime, "distributed training (" + where_ + "): cannot join the group at " +
                                    o.host + ":" + std::to_string(o.port) + " within " +
                                    std::to_string(static_cast<int64_t>(o.timeout_seconds)) +
                                    " s: " + excerpt(e));
    }
  }

  int32_t rank() const override { return rank_; }
  int32_t size() const override { return size_; }
  double seconds() const override { return seconds_; }

  void sum(const std::vector<at::Tensor>& tensors) override {
    // Buckets of one dtype each, in the order given.
    std::vector<std::vector<at::Tensor>> buckets;
    int64_t bytes = 0;
    for (const at::Tensor& t : tensors) {
      const int64_t n = t.numel() * static_cast<int64_t>(t.element_size());
      if (buckets.empty() || bytes + n > bucket_bytes ||
          buckets.back().front().scalar_type() != t.scalar_type()) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().push_back(t);
      bytes += n;
    }
    std::vector<std::vector<at::Tensor>> flat(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    run("sum", [&] {
      for (size_t b = 0; b < buckets.size(); ++b) {
        flat[b] = {at::flatten_dense_tensors(buckets[b])};
        works.push_back(group_->allreduce(flat[b]));
      }
      for (auto& work : works) work->wait();
    });
    torch::NoGradGuard no_grad;
    for (size_t b = 0; b < buckets.size(); ++b) {
      const std::vector<at::Tensor> sums = at::unflatten_dense_tensors(flat[b][0], buckets[b]);
      for (size_t i = 0; i < sums.size(); ++i) buckets[b][i].copy_(sums[i]);
    }
  }

  void broadcast(const std::vector<at::Tensor>& tensors) override {
    run("broadcast", [&] {
      for (const at::Tensor& t : tensors) {
        std::vector<at::Tensor> one{t.contiguous()};
        group_->broadcast(one)->wait();
        if (!one[0].is_same(t)) {
          torch::NoGradGuard no_grad;
          t.copy_(one[0]);
        }
      }
    });
  }

  std::string broadcast_bytes(const std::string& bytes) override {
    at::Tensor size = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kLong);
    broadcast({size});
    at::Tensor data = torch::empty({size.item<int64_t>()}, torch::kByte);
    if (rank_ == 0) std::copy(bytes.begin(), bytes.end(), data.data_ptr<uint8_t>());
    broadcast({data});
    return std::string(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()), data.numel());
  }

  void barrier() override {
    run("barrier", [&] { group_->barrier()->wait(); });
  }

 private:
  template <typename Body>
  void run(const char* what, const Body& body) {
    const auto start = std::chrono::steady_clock::now();
    try {
      body();
      seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const std::exception& e) {
      fail(ErrorCode::kRuntime,
           "distributed training (" + where_ + "): " + what +
               " failed: another rank stopped, or cannot be reached: " + excerpt(e));
    }
  }

  int32_t rank_, size_;
  double seconds_ = 0;
  std::string where_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

std::unique_ptr<ProcessGroup> ProcessGroup::join(const GroupOptions& options) {
  return std::make_unique<GlooGroup>(options);
}

#else

std::unique_ptr<ProcessGroup> ProcessGroup::join(const GroupOptions&) {
  fail(ErrorCode::kConfig,
       "distributed training: this build of wdc has no Gloo (c10d's CPU backend); rebuild with "
       "Gloo's headers installed (Debian: libgloo-dev)");
}

#endif

}  // namespace wdc::train
