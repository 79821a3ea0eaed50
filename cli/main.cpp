// wdc: the command-line front end of the wafer-map defect classifier, a client of the C ABI
// (include/wdc/wdc.h) and nothing else; see docs/CLI.md.
//
// Results go to stdout (tables, or JSON with --json); messages and progress to stderr. Any error
// is one line "wdc: error: <message>" on stderr. Exit status: 0 success, 1 error, 2 bad command
// line, 130 training interrupted by Ctrl-C.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "output.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// One line: line breaks inside a message (from lower layers) become "; ".
std::string one_line(std::string text) {
  std::string out;
  bool pending_break = false;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) {
      out += "; ";
      pending_break = false;
    }
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out.empty() ? "unknown error" : out;
}

void print_error(const std::string& message) {
  wdc::cli::clear_progress_line();
  std::fprintf(stderr, "wdc: error: %s\n", one_line(message).c_str());
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  wdc::cli::GlobalOptions global;
  const std::string version = wdc_version();
  CLI::App app{"wdc " + version +
                   ": wafer-map defect classifier (deformable convolutions, MixedWM38 labels)",
               "wdc"};
  // Options of `wdc` itself are accepted after the subcommand too.
  app.fallthrough();
  app.set_version_flag("--version", version);
  app.add_option("--threads", global.threads,
                 "CPU threads (0 = predictions: one per map up to all cores; training: all cores)")
      ->check(CLI::Range(0, 4096))
      ->type_name("T");
  app.add_option("--device", global.device, "Where the network runs: cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->type_name("DEV");
  app.add_option("--precision", global.precision,
                 "What inference computes in: fp32 (default), bf16 (needs a CPU with AVX512_BF16) "
                 "or auto (bf16 where the CPU has it); training is always fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->type_name("P");

  std::vector<wdc::cli::Command> commands;
  try {
    for (wdc::cli::AddCommand add :
         {wdc::cli::add_synth_command, wdc::cli::add_train_command, wdc::cli::add_eval_command,
          wdc::cli::add_predict_command, wdc::cli::add_cam_command, wdc::cli::add_info_command,
          wdc::cli::add_report_command, wdc::cli::add_split_command, wdc::cli::add_embed_command,
          wdc::cli::add_similar_command, wdc::cli::add_fit_novelty_command,
          wdc::cli::add_cross_validate_command})
      commands.push_back(add(app, global));
    for (const wdc::cli::Command& command : commands)
      command.app->footer(
          "Global options, before or after the command: --threads T (CPU threads, 0 = all "
          "cores), --device cpu|cuda|auto, --precision fp32|bf16|auto. See docs/CLI.md.");
    app.require_subcommand(0, 1);
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // help on stdout, status 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string help = "wdc --help";
    for (const wdc::cli::Command& command : commands)
      if (command.app->parsed()) help = "wdc " + command.app->get_name() + " --help";
    print_error(std::string(e.what()) + " (see " + help + ")");
    return kExitUsage;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitError;
  }

  try {
    for (const wdc::cli::Command& command : commands) {
      if (!command.app->parsed()) continue;
      const int status = command.run();
      std::cout.flush();
      if (!std::cout) {  // a full disk or a closed pipe must not pass for success
        print_error("cannot write the output to stdout");
        return kExitError;
      }
      return status;
    }
    print_error(
        "a command is required: synth, train, eval, predict, cam, info or report (see wdc --help)");
    return kExitUsage;
  } catch (const wdc::cli::Failure& e) {
    print_error(e.what());
    return e.status() == WDC_E_CANCELLED ? kExitInterrupted : kExitError;
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitError;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitError;
  }
}
