// What `wdc train` and `wdc cross-validate` share: the config file, Ctrl-C handling, the progress
// display of a training run, fine-tuning's network and deterministic training's kernels.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "commands.h"
#include "output.h"

namespace wdc::cli {

// ---- the config file -------------------------------------------------------------------------

struct ConfigFile {
  std::string network_json;  // "" = the seed network
  nlohmann::json train = nlohmann::json::object();
};

// The network and training options of a config file (wdc_config_read); both empty for "".
ConfigFile read_config(const std::string& path);

// The recipe a training command's flags give: the config file's network (--init's when the file
// names none, or there is no file) and its training options with --init, --epochs (0: not given),
// --deterministic and the global --threads laid over them. With deterministic training it first
// pins the kernels (pin_kernels_for_deterministic_training), which may start the process again.
ConfigFile read_recipe(const std::string& config_path, const std::string& init, int epochs,
                       bool deterministic, const GlobalOptions& global);

// An untrained model of the recipe's network with the global run-time options.
Model create_model(const std::string& network_json, const GlobalOptions& global);

// The options' batch_size (32 when not given), for the progress lines' rates.
int64_t batch_size_of(const nlohmann::json& train);

// The network of the --init model without its labels and task, which the data then names: what
// fine-tuning trains when the config names no network.
std::string init_network(const std::string& init, const GlobalOptions& global);

// Deterministic training needs ATen's and OpenBLAS's AVX2 kernels, and both libraries choose
// theirs once, from the environment, as they load or first compute — before the library can
// (lib/model/deterministic_training.h). So the command sets the two variables and starts itself
// again with the same arguments; the second start finds them set and goes on. Returns when they
// were set already.
void pin_kernels_for_deterministic_training();

// ---- Ctrl-C: cancel training at the next batch -----------------------------------------------

// While one lives, the first Ctrl-C asks training to stop after the batch (interrupted() turns
// true) and a second kills the process.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool interrupted();

 private:
  struct sigaction previous_ {};
  bool installed_ = false;
};

// ---- progress --------------------------------------------------------------------------------

// Turns the library's per-batch callbacks into a progress bar (terminal) or one line per epoch,
// each starting with `label` (e.g. "fold 2/5  "). Returns true (cancel) once Ctrl-C was pressed.
class TrainReporter {
 public:
  explicit TrainReporter(int64_t batch_size, std::string label = "")
      : batch_size_(batch_size), label_(std::move(label)), bar_("maps") {}

  bool operator()(const wdc_progress& p);
  // Prints the last epoch's line if the library never signalled its end.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  int64_t global_step(const wdc_progress& p) const;
  void flush_epoch_line();
  void print_epoch_line(Clock::time_point now);

  int64_t batch_size_;
  std::string label_;
  ProgressBar bar_;
  bool printed_ = false, closed_ = false;
  int32_t epoch_ = 0, last_epoch_ = 0;
  int64_t last_step_ = 0;
  wdc_progress last_{};
  Clock::time_point run_start_{}, epoch_start_{};
  int64_t run_base_step_ = 0, epoch_base_step_ = 0;
  double rate_ = -1, seconds_left_ = -1, last_val_ = -1;
};

// wdc_train's callback: hands each report to the TrainReporter behind `user`; non-zero cancels.
extern "C" int32_t on_progress(const wdc_progress* progress, void* user);

}  // namespace wdc::cli
