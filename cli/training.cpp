#include "training.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

namespace wdc::cli {
namespace {

using json = nlohmann::json;

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::atomic<bool> g_interrupted{false};
bool g_tty = false;  // set before the handler is installed

extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
  // A second Ctrl-C kills the process at once.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGINT, &dfl, nullptr);
  static const char erase[] = "\r\033[K";
  static const char note[] = "wdc: stopping after this batch (Ctrl-C again to kill)\n";
  ssize_t n = 0;
  if (g_tty) n = ::write(STDERR_FILENO, erase, sizeof erase - 1);
  n = ::write(STDERR_FILENO, note, sizeof note - 1);
  (void)n;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  g_tty = stderr_is_tty();
  // Leave SIGINT alone where it is ignored (nohup, background jobs of a non-interactive shell).
  if (sigaction(SIGINT, nullptr, &previous_) != 0 || previous_.sa_handler == SIG_IGN) return;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  installed_ = sigaction(SIGINT, &sa, nullptr) == 0;
}

InterruptGuard::~InterruptGuard() {
  if (installed_) sigaction(SIGINT, &previous_, nullptr);
}

bool InterruptGuard::interrupted() { return g_interrupted.load(); }

ConfigFile read_config(const std::string& path) {
  ConfigFile config;
  if (path.empty()) return config;
  char *network = nullptr, *train = nullptr;
  check(wdc_config_read(path.c_str(), &network, &train));
  config.network_json = take_string(network);
  config.train = take_json(train);
  return config;
}

ConfigFile read_recipe(const std::string& config_path, const std::string& init, int epochs,
                       bool deterministic, const GlobalOptions& global) {
  ConfigFile config = read_config(config_path);
  if (deterministic) config.train["deterministic"] = true;
  if (config.train.contains("deterministic") && config.train["deterministic"] == true)
    pin_kernels_for_deterministic_training();
  if (!init.empty() && config.network_json.empty())
    config.network_json = init_network(init, global);
  if (!init.empty()) config.train["init"] = init;
  if (epochs > 0) config.train["epochs"] = epochs;
  if (global.threads > 0) config.train["threads"] = global.threads;
  return config;
}

Model create_model(const std::string& network_json, const GlobalOptions& global) {
  wdc_model* created = nullptr;
  check(wdc_create_with_options(network_json.c_str(), runtime_options_json(global).c_str(),
                                &created));
  return Model(created);
}

int64_t batch_size_of(const json& train) {
  if (train.contains("batch_size") && train["batch_size"].is_number_integer())
    return std::max<int64_t>(1, train["batch_size"].get<int64_t>());
  return 32;
}

std::string init_network(const std::string& init, const GlobalOptions& global) {
  const Model model = load_model(init == "builtin" ? "" : init, global);
  char* text = nullptr;
  check(wdc_info(model.get(), &text));
  json network = take_json(text).at("config");
  network.erase("labels");
  network.erase("task");
  return network.dump();
}

void pin_kernels_for_deterministic_training() {
  const std::pair<const char*, const char*> pins[] = {{"ATEN_CPU_CAPABILITY", "avx2"},
                                                      {"OPENBLAS_CORETYPE", "Haswell"}};
  bool pinned = true;
  for (const auto& [name, value] : pins) {
    const char* now = std::getenv(name);
    pinned = pinned && now != nullptr && std::strcmp(now, value) == 0;
  }
  if (pinned) return;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string line{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::string> words;
  for (size_t begin = 0; begin < line.size();) {
    const size_t end = line.find('\0', begin);
    words.push_back(line.substr(begin, end - begin));
    begin = end == std::string::npos ? line.size() : end + 1;
  }
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  for (const auto& [name, value] : pins) setenv(name, value, 1);
  message(
      "deterministic training: starting again with ATEN_CPU_CAPABILITY=avx2 "
      "OPENBLAS_CORETYPE=Haswell");
  std::cout.flush();
  if (words.empty())
    errno = ENOENT;
  else
    execv("/proc/self/exe", argv.data());
  fail(WDC_E_RUNTIME, std::string("--deterministic: could not start wdc again with its kernels "
                                  "pinned: ") +
                          std::strerror(errno));
}

bool TrainReporter::operator()(const wdc_progress& p) {
  const auto now = Clock::now();
  if (p.epoch != epoch_) {
    if (epoch_ == 0) {
      // Rates count from the first batch seen (a resumed run starts at any epoch).
      run_start_ = epoch_start_ = now;
      run_base_step_ = global_step(p);
      epoch_base_step_ = p.step;
    } else if (!closed_) {
      flush_epoch_line();  // the library did not announce the end of the last epoch
      epoch_start_ = now;
      epoch_base_step_ = p.step;
    }
    epoch_ = p.epoch;
    printed_ = closed_ = false;
  }
  // The library calls once per batch and once more after the epoch's validation.
  const bool epoch_end = p.val_exact_match >= 0 ||
                         (p.step == p.steps && last_epoch_ == p.epoch && last_step_ == p.steps);
  last_epoch_ = p.epoch;
  last_step_ = p.step;
  last_ = p;

  const int64_t done = global_step(p) - run_base_step_;
  const int64_t left = int64_t{p.epochs} * p.steps - global_step(p);
  const double run_seconds = seconds_between(run_start_, now);
  seconds_left_ = done > 0 && run_seconds > 0.2 ? run_seconds / done * left : -1;

  if (epoch_end) {
    if (p.val_exact_match >= 0) last_val_ = p.val_exact_match;
    print_epoch_line(now);
    // The next epoch's clock starts now, with no batch done.
    closed_ = true;
    epoch_start_ = now;
    epoch_base_step_ = 0;
  } else {
    const double epoch_seconds = seconds_between(epoch_start_, now);
    const int64_t epoch_steps = p.step - epoch_base_step_;
    if (epoch_seconds > 0.05 && epoch_steps > 0)
      rate_ = static_cast<double>(epoch_steps * batch_size_) / epoch_seconds;
    std::string suffix = "loss " + fixed(p.loss, 4);
    if (last_val_ >= 0) suffix += "  val " + percent(last_val_);
    bar_.draw(label_ + "epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs),
              p.steps > 0 ? static_cast<double>(p.step) / p.steps : 0, rate_, seconds_left_, suffix,
              p.step == p.steps);
  }
  return InterruptGuard::interrupted();
}

void TrainReporter::finish() {
  flush_epoch_line();
  bar_.finish();
}

int64_t TrainReporter::global_step(const wdc_progress& p) const {
  return int64_t{p.epoch - 1} * p.steps + p.step;
}

void TrainReporter::flush_epoch_line() {
  if (epoch_ > 0 && !printed_ && last_.step == last_.steps) print_epoch_line(Clock::now());
}

void TrainReporter::print_epoch_line(Clock::time_point now) {
  if (printed_) return;
  printed_ = true;
  std::string line = label_ + "epoch " + std::to_string(last_.epoch) + "/" +
                     std::to_string(last_.epochs) + "  loss " + fixed(last_.loss, 4);
  if (last_.val_exact_match >= 0) line += "  val exact match " + percent(last_.val_exact_match);
  if (rate_ >= 0) line += "  " + fixed(rate_, 0) + " maps/s";
  line += "  " + duration(seconds_between(epoch_start_, now));
  if (last_.epoch < last_.epochs && seconds_left_ >= 0)
    line += "  (" + duration(seconds_left_) + " left)";
  message(line);
}

extern "C" int32_t on_progress(const wdc_progress* progress, void* user) {
  try {
    return (*static_cast<TrainReporter*>(user))(*progress) ? 1 : 0;
  } catch (...) {  // nothing may unwind through the library; stop training instead
    return 1;
  }
}

}  // namespace wdc::cli
