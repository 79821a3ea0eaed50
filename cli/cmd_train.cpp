// wdc train: trains a classifier from a config file and an npz, saves the model file.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "output.h"
#include "training.h"

namespace wdc::cli {
namespace {

using json = nlohmann::json;

void check_writable_destination(const std::string& out) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(out).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail(WDC_E_IO,
         out + ": cannot write the model: directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    fail(WDC_E_IO,
         out + ": cannot write the model: directory " + dir.string() + " is not writable");
  if (fs::is_directory(out, ec)) fail(WDC_E_IO, out + ": is a directory");
}

void print_report(const json& report) {
  const int best = report.value("best_epoch", 0);
  if (report.contains("history") && report["history"].is_array() && !report["history"].empty()) {
    Table table({"epoch", "loss", "val exact match", "seconds", ""});
    table.align_right(0).align_right(1).align_right(2).align_right(3);
    for (const auto& e : report["history"]) {
      const int epoch = e.value("epoch", 0);
      table.add_row({std::to_string(epoch), fixed(e.value("loss", 0.0), 4),
                     percent(e.value("val_exact_match", -1.0)), fixed(e.value("seconds", 0.0), 1),
                     epoch == best ? "best" : ""});
    }
    table.print();
  }
}

struct TrainOptions {
  std::string config, data, val, out;
  std::string init;  // --init: a model file or "builtin"
  int epochs = 0;
  bool resume = false, json = false, deterministic = false;
  int world_size = 0, rank = -1;  // 0, -1: not given
  std::string dist_url;
};

// Data-parallel training: the flags, else (as torchrun's workers) WORLD_SIZE and the other
// variables of the environment, which the library reads for "env://"; else the config's.
void add_distributed_options(const TrainOptions& o, json& train) {
  const bool flags = o.world_size > 0 || o.rank >= 0 || !o.dist_url.empty();
  if (flags) {
    if (o.world_size > 0) train["world_size"] = o.world_size;
    if (o.rank >= 0) train["rank"] = o.rank;
    if (!o.dist_url.empty()) train["dist_url"] = o.dist_url;
  } else if (const char* w = std::getenv("WORLD_SIZE"); w && *w && !train.contains("dist_url")) {
    train["dist_url"] = "env://";
  }
}

// How many ranks train together, as far as the CLI can tell (the library checks the options).
int64_t ranks_of(const json& train) {
  if (train.contains("world_size") && train["world_size"].is_number_integer())
    return std::max<int64_t>(1, train["world_size"].get<int64_t>());
  if (train.contains("dist_url") && train["dist_url"] == "env://")
    if (const char* w = std::getenv("WORLD_SIZE")) return std::max(1, std::atoi(w));
  return 1;
}

bool distributed(const json& train) { return train.contains("dist_url") || ranks_of(train) > 1; }

int run_train(const TrainOptions& o, const GlobalOptions& global) {
  const ConfigFile config = read_recipe(o.config, o.init, o.epochs, o.deterministic, global);
  json train = config.train;
  train["data"] = o.data;
  if (!o.val.empty()) train["val"] = o.val;
  const std::string checkpoint = o.out + ".ckpt";
  train["checkpoint"] = checkpoint;
  train["resume"] = o.resume;
  add_distributed_options(o, train);

  check_writable_destination(o.out);
  // In a group rank 0 alone has the checkpoint (and the library says so if it is missing).
  if (o.resume && !distributed(train) && !std::filesystem::exists(checkpoint))
    fail(WDC_E_IO,
         "--resume: there is no checkpoint " + checkpoint + " (train writes it after every epoch)");

  const Model model = create_model(config.network_json, global);
  // The rates shown count every rank's maps: each step takes batch_size maps per rank.
  const int64_t batch_size = batch_size_of(train) * ranks_of(train);

  message(std::string(o.resume ? "resuming" : "training") + " on " + o.data +
          (o.val.empty() ? "" : ", validating on " + o.val) +
          (o.epochs > 0 ? ", " + std::to_string(o.epochs) + (o.epochs == 1 ? " epoch" : " epochs")
                        : ""));
  // After an interrupt: is there a checkpoint of this run (or the one being resumed) to go on from?
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool existed = fs::exists(checkpoint, ec);
  const auto stamp = existed ? fs::last_write_time(checkpoint, ec) : fs::file_time_type();
  auto checkpoint_usable = [&] {
    std::error_code ec2;
    if (!fs::exists(checkpoint, ec2)) return false;
    return o.resume || !existed || fs::last_write_time(checkpoint, ec2) != stamp;
  };
  json report;
  {
    InterruptGuard interrupt;
    TrainReporter reporter(batch_size);
    try {
      char* text = nullptr;
      check(wdc_train(model.get(), train.dump().c_str(), on_progress, &reporter, &text));
      report = take_json(text);
    } catch (const Failure& e) {
      reporter.finish();
      if (e.status() == WDC_E_CANCELLED && InterruptGuard::interrupted()) {
        if (!checkpoint_usable())
          fail(WDC_E_CANCELLED,
               "training interrupted before its first epoch completed; nothing was saved");
        fail(WDC_E_CANCELLED, "training interrupted; the last completed epoch is in " +
                                  checkpoint + ": continue with --resume");
      }
      throw;
    }
    reporter.finish();
  }
  const int rank = report.value("rank", 0);
  if (rank == 0) {
    check(wdc_save(model.get(), o.out.c_str()));
    message("saved the model to " + o.out);
  } else {
    message("rank " + std::to_string(rank) + " done: rank 0 writes the model");
  }

  if (o.json) {
    report["model"] = rank == 0 ? json(o.out) : json(nullptr);
    report["checkpoint"] = checkpoint;
    print_json(report);
  } else {
    print_report(report);
    const int best = report.value("best_epoch", 0);
    std::string summary = "best epoch " + std::to_string(best);
    if (report.value("best_val_exact_match", -1.0) >= 0)
      summary += " (val exact match " + percent(report["best_val_exact_match"].get<double>()) + ")";
    summary += ", " + std::to_string(report.value("train_samples", int64_t{0})) +
               " training maps, " + std::to_string(report.value("val_samples", int64_t{0})) +
               " validation maps, " + duration(report.value("seconds", 0.0));
    const int ranks = report.value("world_size", 1);
    if (ranks > 1) {
      const double seconds = report.value("seconds", 0.0);
      const double collective = report.value("collective_seconds", 0.0);
      summary += ", " + std::to_string(ranks) + " ranks (" + fixed(collective, 1) + " s, " +
                 percent(seconds > 0 ? collective / seconds : 0) + ", in collectives)";
    }
    std::cout << summary << '\n';
  }
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& parent, const GlobalOptions& global) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* app = parent.add_subcommand(
      "train", "Train a classifier on an npz data set and save it as a model file");
  app->add_option("--config", o->config,
                  "JSON file {\"network\": {...}, \"train\": {...}} (default: the seed network "
                  "and training options)")
      ->type_name("CFG.json")
      ->check(CLI::ExistingFile);
  add_data_option(*app, o->data,
                  "Training maps (npz: MixedWM38, named or ragged layout, docs/DATA.md)",
                  "TRAIN.npz");
  app->add_option("--val", o->val,
                  "Validation maps; without it a stratified part of --data is held out")
      ->type_name("VAL.npz")
      ->check(CLI::ExistingFile);
  app->add_option("--out", o->out,
                  "Model file to write; the checkpoint after every epoch is OUT.ckpt")
      ->required()
      ->type_name("MODEL.wdcm");
  app->add_option("--epochs", o->epochs,
                  "Total number of epochs, including those a resumed run has done (overrides the "
                  "config)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app->add_option("--init", o->init,
                  "Start from this model's weights (a model file, or 'builtin'): fine-tuning; "
                  "a new head when its labels differ from the data's")
      ->type_name("MODEL");
  app->add_flag("--resume", o->resume, "Continue an interrupted run from its checkpoint OUT.ckpt");
  app->add_option("--world-size", o->world_size,
                  "Data-parallel training: the number of processes (ranks) training together; "
                  "without these three flags, torchrun's WORLD_SIZE, RANK, MASTER_ADDR and "
                  "MASTER_PORT are used if set (docs/DISTRIBUTED.md)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  app->add_option("--rank", o->rank, "This process's rank, 0 to N-1; rank 0 writes the model")
      ->type_name("R")
      ->check(CLI::Range(0, 4095));
  app->add_option("--dist-url", o->dist_url,
                  "Where the ranks meet: tcp://HOST:PORT, rank 0's address (it listens on PORT), "
                  "or env://")
      ->type_name("URL");
  app->add_flag("--deterministic", o->deterministic,
                "The same weights, bit for bit, on any x86-64 CPU with AVX2 given the same "
                "--threads, at some speed (docs/TRAINING.md)");
  app->add_flag("--json", o->json, "Print the training report as JSON on stdout");

  return {app, [o, &global]() { return run_train(*o, global); }};
}

}  // namespace wdc::cli
