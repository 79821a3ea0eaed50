#include "io/weights_section.h"

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "base/error.h"

namespace wdc::io {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the weights are stored little-endian");

constexpr uint8_t kFloat32 = 1, kInt64 = 2;
constexpr uint32_t kMaxNameBytes = 1024;
constexpr uint8_t kMaxRank = 8;

// 0 for a type the format has no code for.
uint8_t type_code(const at::Tensor& t) {
  if (t.scalar_type() == at::kFloat) return kFloat32;
  if (t.scalar_type() == at::kLong) return kInt64;
  return 0;
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Reads the section front to back; every read is bounds-checked.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& what) : bytes_(bytes), what_(what) {}

  template <typename T>
  T get(const char* field) {
    T value;
    std::memcpy(&value, take(sizeof value, field), sizeof value);
    return value;
  }
  const char* take(uint64_t n, const char* field) {
    if (n > bytes_.size() - at_)
      error(std::string("ends inside ") + field + " (" + std::to_string(n) + " bytes needed, " +
            std::to_string(bytes_.size() - at_) + " left)");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  bool done() const { return at_ == bytes_.size(); }
  [[noreturn]] void error(const std::string& problem) const {
    fail(ErrorCode::kFormat, what_ + ": weights: " + problem);
  }

 private:
  const std::string& bytes_;
  const std::string& what_;
  size_t at_ = 0;
};

}  // namespace

std::string encode_weights(const NamedTensors& tensors) {
  std::string out;
  put<uint64_t>(out, tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    if (type_code(t) == 0)
      fail(ErrorCode::kInternal, "weights: cannot store tensor \"" + name + "\" of type " +
                                     std::string(c10::toString(t.scalar_type())));
    put<uint8_t>(out, type_code(t));
    put<uint8_t>(out, static_cast<uint8_t>(t.dim()));
    for (int64_t size : t.sizes()) put<int64_t>(out, size);
    const uint64_t n = static_cast<uint64_t>(t.numel()) * t.element_size();
    put<uint64_t>(out, n);
    out.append(static_cast<const char*>(t.data_ptr()), n);
  }
  return out;
}

void decode_weights_into(const std::string& bytes, const NamedTensors& into,
                         const std::string& what) {
  std::map<std::string, const at::Tensor*> expected;
  for (const auto& [name, tensor] : into) expected[name] = &tensor;
  Reader in(bytes, what);
  const uint64_t count = in.get<uint64_t>("the tensor count");
  if (count != expected.size())
    in.error("holds " + std::to_string(count) + " tensors, the network has " +
             std::to_string(expected.size()));
  torch::NoGradGuard no_grad;
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t name_bytes = in.get<uint32_t>("a name length");
    if (name_bytes > kMaxNameBytes)
      in.error("a tensor name of " + std::to_string(name_bytes) + " bytes");
    const std::string name(in.take(name_bytes, "a name"), name_bytes);
    const auto it = expected.find(name);
    if (it == expected.end())
      in.error("tensor \"" + name + "\" is not part of the network, or comes twice");
    const at::Tensor& target = *it->second;
    expected.erase(it);

    const uint8_t type = in.get<uint8_t>("a tensor type");
    const uint8_t rank = in.get<uint8_t>("a tensor rank");
    if (type == 0 || type != type_code(target) || rank > kMaxRank || rank != target.dim())
      in.error("tensor \"" + name + "\" has another type or rank than the network's");
    for (int d = 0; d < rank; ++d)
      if (in.get<int64_t>("a tensor size") != target.size(d))
        in.error("tensor \"" + name + "\" has another shape than the network's " +
                 c10::str(target.sizes()));
    const uint64_t n = in.get<uint64_t>("a byte count");
    if (n != static_cast<uint64_t>(target.numel()) * target.element_size())
      in.error("tensor \"" + name + "\" holds " + std::to_string(n) + " bytes, its shape needs " +
               std::to_string(target.numel() * target.element_size()));
    const char* data = in.take(n, "tensor data");
    at::Tensor staged = torch::empty(target.sizes(), target.options().device(at::kCPU));
    std::memcpy(staged.data_ptr(), data, n);
    at::Tensor(target).copy_(staged);
  }
  if (!in.done()) in.error("unexpected bytes after the last tensor");
}

}  // namespace wdc::io
