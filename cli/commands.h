// The subcommands of `wdc`. Each add_*_command registers its CLI11 subcommand and its options
// and returns the function that runs it once the command line is parsed; main() dispatches to
// the one that was given. A command returns the process exit status, and reports failures by
// throwing (main turns any exception into "wdc: error: <message>").
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/classifier.h"

namespace wdc::cli {

// Options given before or after the subcommand name (`wdc --threads 4 train ...` or
// `wdc train ... --threads 4`).
struct GlobalOptions {
  int threads = 0;     // 0 = all cores
  std::string device;  // "" = the library's default
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

RuntimeOptions runtime_options(const GlobalOptions& global);

// Classifier::load (or load_builtin for an empty path) with the global runtime options.
std::unique_ptr<Classifier> load_model(const std::string& path, const GlobalOptions& global);

// The per-label decision thresholds the model reports in info() ("thresholds"), or 0.5 each.
std::vector<float> model_thresholds(const Classifier& model);

// Classifier::predict over every map of `set`, in chunks, with a progress bar on stderr.
std::vector<float> predict_with_progress(const Classifier& model, const data::WaferSet& set);

// The label index for `text`: an index ("4"), a label name ("Loc", case-insensitive) or, for the
// MixedWM38 labels, a short name ("L", "EL"). Error(kInvalidArgument) listing the choices
// otherwise.
int parse_label(const Classifier& model, const std::string& text);

// The MixedWM38 pattern type (0..37) of a predicted label vector in the model's label order,
// matched by label name; -1 when it is none of the 38 or the model has other labels.
int pattern_type_of_prediction(const std::vector<std::string>& names, const uint8_t* predicted);

}  // namespace wdc::cli
