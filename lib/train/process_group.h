// The ranks of a data-parallel training run, joined through LibTorch's c10d: a TCPStore at the
// rendezvous address (rank 0 serves it) and a Gloo process group over TCP for the collectives.
// LibTorch's C++ API has no DistributedDataParallel, so this is the little of it that training
// needs: sums across ranks, a broadcast from rank 0, a barrier. Every collective waits at most
// the group's timeout; a rank that died or stopped shows up as an Error(kRuntime) on the others
// (a closed connection within about a second, a silent peer at the timeout), never as a hang.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace wdc::train {

struct GroupOptions {
  int32_t world_size = 1;
  int32_t rank = 0;
  std::string host;  // the rendezvous: rank 0's TCPStore
  int32_t port = 0;
  double timeout_seconds = 300;
};

class ProcessGroup {
 public:
  // Joins the group: returns once every rank has arrived (or throws Error(kRuntime) after the
  // timeout, naming the address). Throws Error(kConfig) in a build without Gloo.
  static std::unique_ptr<ProcessGroup> join(const GroupOptions& options);
  virtual ~ProcessGroup() = default;

  virtual int32_t rank() const = 0;
  virtual int32_t size() const = 0;
  // Replaces each tensor (CPU, float or int64) by its sum over the ranks, in place. The tensors
  // are packed into buckets of at most `bucket_bytes`, sent one after the other without waiting,
  // then unpacked: a few large messages instead of one per tensor.
  virtual void sum(const std::vector<at::Tensor>& tensors) = 0;
  // Replaces each tensor by rank 0's, in place.
  virtual void broadcast(const std::vector<at::Tensor>& tensors) = 0;
  // Rank 0's bytes on every rank.
  virtual std::string broadcast_bytes(const std::string& bytes) = 0;
  virtual void barrier() = 0;
  // Wall time spent in collectives so far: sending, receiving, and waiting for the other ranks.
  virtual double seconds() const = 0;

  static constexpr int64_t bucket_bytes = 8 << 20;
};

}  // namespace wdc::train
