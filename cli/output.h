// Output helpers of the wdc command: results on stdout (aligned tables for people, JSON for
// programs), everything else (messages, progress) on stderr. A progress bar is drawn only while
// stderr is a terminal; otherwise progress is reported as plain lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace wdc::cli {

// True when stderr is a terminal (progress bars are drawn then).
bool stderr_is_tty();

// A line on stderr ("wdc: " is not prefixed: messages are plain sentences). Erases a progress
// bar being drawn first, so that lines never mix with it.
void message(const std::string& text);
// Erases the progress bar line if one is drawn (before an error message, for instance).
void clear_progress_line();

// JSON on stdout, indented, followed by a newline.
void print_json(const nlohmann::json& value);

// Number formatting for tables.
std::string fixed(double value, int decimals);
std::string percent(double fraction, int decimals = 2);  // 0.9574 -> "95.74%"
std::string duration(double seconds);                    // "42s", "3m05s", "2h07m"

// A table of left-aligned text columns (numbers right-aligned), printed to stdout.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Columns whose cells are numbers are right-aligned; call with the column's index.
  Table& align_right(size_t column);
  void add_row(std::vector<std::string> cells);
  void print() const;  // to stdout
  std::string to_string() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// Two-column "key  value" listing, printed to stdout.
void print_key_values(const std::vector<std::pair<std::string, std::string>>& rows);

// Progress of a long task measured in units (maps, batches): a bar with the rate and the time
// left while stderr is a terminal (redrawn at most 10 times a second), nothing otherwise (the
// caller prints its own milestone lines through message()).
class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;
  // `unit` names what is counted in the rate ("maps").
  ProgressBar(std::string unit, bool enabled = stderr_is_tty());
  ~ProgressBar();
  // `prefix` is drawn before the bar ("epoch 3/20"), `suffix` after the rate ("loss 0.1234");
  // `fraction` in [0, 1] fills the bar; `rate` is in units per second (< 0: unknown);
  // `seconds_left` < 0 when unknown. Draws at most every 100 ms unless `force`.
  void draw(const std::string& prefix, double fraction, double rate, double seconds_left,
            const std::string& suffix, bool force = false);
  void finish();  // erase the bar line
  bool enabled() const { return enabled_; }

 private:
  std::string unit_;
  bool enabled_;
  Clock::time_point last_draw_{};
};

}  // namespace wdc::cli
