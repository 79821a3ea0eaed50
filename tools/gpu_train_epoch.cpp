// Times training epochs of a network through wdc::Classifier (the path the CLI and the bindings
// take: batches built on the host, moved to the device, forward, BCE, backward, SGD step), on the
// CPU or a CUDA GPU. Used by tools/gpu-check.sh; runs anywhere wdc_core builds.
//
//   gpu_train_epoch [--device cuda|cpu|auto] [--config examples/configs/seed.json]
//                   [--data train.npz [--val val.npz] | --synthetic N] [--epochs 1]
//                   [--batch 32] [--threads 0] [--no-warmup]
//
// --config takes a file holding either a network config or {"network": {...}, "train": {...}}
// (then its "network" object is used; lr and momentum come from its "train" object when there).
// Before the timed run a short warm-up (256 synthetic maps, one epoch, same device) initialises
// the CUDA context, cuBLAS/cuDNN and the caching allocator, unless --no-warmup.
//
// Prints one line per epoch and one summary line, both starting with "EPOCH" and made of
// key=value pairs (tools/gpu-check.sh reads them):
//   EPOCH device=cuda maps=13686 steps=428 epoch=1 train_s=... val_s=... epoch_s=... loss=...
//         maps_per_s=... val_exact_match=...
// epoch_s: the trainer's own record of the epoch (shuffle, every step, validation, snapshot of
// the best weights); val_s: from the last step's report (each step ends with loss.item(), so the
// device has finished it) to the epoch's report, i.e. validation and snapshot; train_s: the
// difference, the training steps alone.
// Exit status 0 on success, 1 on an error (printed), 2 on bad arguments.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/classifier.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string device = "cuda", config, data, val;
  int64_t synthetic = 0, batch = 32;
  int epochs = 1, threads = 0;
  bool warmup = true;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "gpu_train_epoch: %s\nusage: gpu_train_epoch [--device cuda|cpu|auto] [--config "
               "FILE] [--data NPZ [--val NPZ] | --synthetic N] [--epochs E] [--batch B] "
               "[--threads T] [--no-warmup]\n",
               message);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + key).c_str());
      return argv[++i];
    };
    if (key == "--device") a.device = value();
    else if (key == "--config") a.config = value();
    else if (key == "--data") a.data = value();
    else if (key == "--val") a.val = value();
    else if (key == "--synthetic") a.synthetic = std::stoll(value());
    else if (key == "--epochs") a.epochs = std::stoi(value());
    else if (key == "--batch") a.batch = std::stoll(value());
    else if (key == "--threads") a.threads = std::stoi(value());
    else if (key == "--no-warmup") a.warmup = false;
    else usage(("unknown argument " + key).c_str());
  }
  if (a.data.empty() == (a.synthetic <= 0)) usage("give exactly one of --data and --synthetic");
  if (a.epochs < 1 || a.batch < 1) usage("--epochs and --batch must be positive");
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    // Network config and training hyper-parameters.
    std::string network_json;  // empty: the seed network
    nlohmann::json train = {{"epochs", args.epochs}, {"batch_size", args.batch},
                            {"lr", 0.01}, {"momentum", 0.9}};
    if (!args.config.empty()) {
      const nlohmann::json config = nlohmann::json::parse(read_file(args.config));
      if (config.contains("network")) {
        network_json = config["network"].dump();
        if (config.contains("train")) {
          const auto& t = config["train"];
          for (const char* k : {"lr", "momentum"})
            if (t.contains(k)) train[k] = t[k];
        }
      } else {
        network_json = config.dump();
      }
    }
    if (args.synthetic > 0) train["synthetic"] = args.synthetic;
    else train["data"] = args.data;
    if (!args.val.empty()) train["val"] = args.val;

    wdc::RuntimeOptions runtime;
    runtime.device = args.device;
    runtime.threads = args.threads;
    if (args.warmup) {
      const auto t = Clock::now();
      auto warm = wdc::Classifier::create(network_json, runtime);
      warm->train(nlohmann::json{{"synthetic", 256}, {"epochs", 1}, {"batch_size", args.batch}}
                      .dump(),
                  nullptr);
      std::printf("warm-up (256 synthetic maps, one epoch): %.2f s\n", since(t));
    }

    auto classifier = wdc::Classifier::create(network_json, runtime);
    const std::string device = nlohmann::json::parse(classifier->info()).value("device", "?");
    // Validation time of each epoch: from its last step's report (the step ended with
    // loss.item(), so the device had finished it) to the epoch's report, which the trainer makes
    // right after validating (and snapshotting the best weights).
    Clock::time_point last_step = Clock::now();
    int64_t steps = 0;
    std::vector<double> val_seconds(static_cast<size_t>(args.epochs) + 1, 0.0);
    const wdc::ProgressFn progress = [&](const wdc::TrainProgress& p) {
      if (p.val_exact_match < 0) {
        if (p.step == p.steps) {
          last_step = Clock::now();
          steps = p.steps;
        }
      } else if (p.epoch >= 1 && p.epoch <= args.epochs) {
        val_seconds[static_cast<size_t>(p.epoch)] = since(last_step);
      }
      return false;
    };
    const auto start = Clock::now();
    const nlohmann::json report = nlohmann::json::parse(classifier->train(train.dump(), progress));
    const double total_s = since(start);
    const int64_t maps = report.value("train_samples", int64_t{0});
    double sum_epoch_s = 0;
    for (const auto& e : report["history"]) {
      const int epoch = e["epoch"].get<int>();
      const double epoch_s = e["seconds"].get<double>();
      const double val_s = val_seconds[static_cast<size_t>(epoch)];
      sum_epoch_s += epoch_s;
      std::printf(
          "EPOCH device=%s maps=%lld steps=%lld epoch=%d train_s=%.3f val_s=%.3f epoch_s=%.3f "
          "loss=%.5f val_exact_match=%.4f maps_per_s=%.0f\n",
          device.c_str(), static_cast<long long>(maps), static_cast<long long>(steps), epoch,
          epoch_s - val_s, val_s, epoch_s, e["loss"].get<double>(),
          e["val_exact_match"].get<double>(), maps / (epoch_s - val_s));
    }
    std::printf("EPOCH_SUMMARY device=%s maps=%lld val_maps=%lld epochs=%d mean_epoch_s=%.3f "
                "total_s=%.3f (total includes loading and decompressing the data)\n",
                device.c_str(), static_cast<long long>(maps),
                static_cast<long long>(report.value("val_samples", int64_t{0})), args.epochs,
                sum_epoch_s / args.epochs, total_s);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_train_epoch: %s\n", e.what());
    return 1;
  }
}
