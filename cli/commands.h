// The subcommands of `wdc`. Each add_*_command registers its CLI11 subcommand and its options
// and returns the function that runs it once the command line is parsed; main() dispatches to
// the one that was given. A command returns the process exit status, and reports failures by
// throwing (main turns any exception into "wdc: error: <message>").
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "client.h"

namespace wdc::cli {

// Options given before or after the subcommand name (`wdc --threads 4 train ...` or
// `wdc train ... --threads 4`).
struct GlobalOptions {
  int threads = 0;     // 0 = by the work (predictions), all cores (training)
  std::string device;  // "" = the library's default
  std::string precision;  // "" = the library's default (fp32)
};

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using AddCommand = Command (*)(CLI::App& parent, const GlobalOptions& global);

Command add_synth_command(CLI::App& parent, const GlobalOptions& global);
Command add_train_command(CLI::App& parent, const GlobalOptions& global);
Command add_eval_command(CLI::App& parent, const GlobalOptions& global);
Command add_predict_command(CLI::App& parent, const GlobalOptions& global);
Command add_cam_command(CLI::App& parent, const GlobalOptions& global);
Command add_info_command(CLI::App& parent, const GlobalOptions& global);
Command add_report_command(CLI::App& parent, const GlobalOptions& global);
Command add_split_command(CLI::App& parent, const GlobalOptions& global);
Command add_embed_command(CLI::App& parent, const GlobalOptions& global);
Command add_similar_command(CLI::App& parent, const GlobalOptions& global);
Command add_fit_novelty_command(CLI::App& parent, const GlobalOptions& global);
Command add_cross_validate_command(CLI::App& parent, const GlobalOptions& global);

// ---- helpers shared by the commands (common.cpp) --------------------------------------------

// The --model option of every command that reads a model: an existing MODEL.wdcm file, or, left
// out (path stays empty), the model built into the library.
void add_model_option(CLI::App& app, std::string& path);
// How output names the model: its path, or "built-in mixedwm38-dcn" for an empty one.
std::string model_display_name(const std::string& path);

// The required --data option: an existing MixedWM38-layout npz, described as `description` in
// --help and shown as `type_name`.
void add_data_option(CLI::App& app, std::string& path, const std::string& description,
                     const std::string& type_name = "DATA.npz");

// The run-time options of wdc_load and wdc_create_with_options from the global options.
std::string runtime_options_json(const GlobalOptions& global);

// wdc_load (or wdc_load_builtin for an empty path) with the global runtime options and, when
// given (not NaN), the novelty threshold that replaces the model's.
Model load_model(const std::string& path, const GlobalOptions& global,
                 double novelty_threshold = std::numeric_limits<double>::quiet_NaN());

// --novelty-threshold X: the option of the commands that decide which maps are unknown.
void add_novelty_threshold_option(CLI::App& app, double& threshold);

// The JSON arrays that `chunk(first, n)` returns for maps [0, count) in chunks of 512, joined,
// with a progress bar on stderr named `what`: per-map results of a data set, memory bounded.
nlohmann::json per_map_in_chunks(const char* what, int64_t count,
                                 const std::function<char*(int64_t first, int64_t n)>& chunk);

// The label index for `text` (wdc_label_index: a name, a MixedWM38 short name or an index).
int parse_label(const wdc_model* model, const std::string& text);

}  // namespace wdc::cli
