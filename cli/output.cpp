#include "output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace wdc::cli {
namespace {

// Whether a progress bar is on the current stderr line and must be erased before other output.
bool g_bar_drawn = false;

int terminal_columns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 80;
}

}  // namespace

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

void clear_progress_line() {
  if (g_bar_drawn) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    g_bar_drawn = false;
  }
}

void message(const std::string& text) {
  clear_progress_line();
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2) << '\n';
  std::cout.flush();
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string percent(double fraction, int decimals) {
  if (std::isnan(fraction) || fraction < 0) return "-";
  return fixed(100.0 * fraction, decimals) + "%";
}

std::string duration(double seconds) {
  if (!(seconds >= 0) || std::isinf(seconds)) return "?";
  const long s = std::lround(seconds);
  char buf[64];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return buf;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

Table& Table::align_right(size_t column) {
  if (column < right_.size()) right_[column] = true;
  return *this;
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::to_string() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = width[c] - cells[c].size();
      const bool right = right_[c];
      if (c > 0) text += "  ";
      if (right)
        text += std::string(pad, ' ') + cells[c];
      else
        text += cells[c] + (c + 1 < cells.size() ? std::string(pad, ' ') : "");
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out.str();
}

void Table::print() const {
  std::cout << to_string();
  std::cout.flush();
}

void print_key_values(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, key.size());
  for (const auto& [key, value] : rows)
    std::cout << key << std::string(width - key.size() + 2, ' ') << value << '\n';
  std::cout.flush();
}

ProgressBar::ProgressBar(std::string unit, bool enabled)
    : unit_(std::move(unit)), enabled_(enabled) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::draw(const std::string& prefix, double fraction, double rate, double seconds_left,
                       const std::string& suffix, bool force) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!force && g_bar_drawn && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  fraction = std::clamp(std::isnan(fraction) ? 0.0 : fraction, 0.0, 1.0);

  std::string tail = " " + fixed(100 * fraction, 0) + "%";
  if (rate >= 0) tail += "  " + fixed(rate, rate < 10 ? 1 : 0) + " " + unit_ + "/s";
  if (seconds_left >= 0) tail += "  " + duration(seconds_left) + " left";
  if (!suffix.empty()) tail += "  " + suffix;

  // A bar of constant width (so that it does not jitter as the numbers change); what does not
  // fit the terminal is cut at the end.
  const int columns = terminal_columns();
  const int bar_width = columns >= 110 ? 30 : columns >= 90 ? 20 : 12;
  const int filled = static_cast<int>(std::lround(fraction * bar_width));
  std::string text =
      prefix + " [" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]" + tail;
  if (static_cast<int>(text.size()) > columns - 1) text.resize(columns - 1);
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  g_bar_drawn = true;
}

void ProgressBar::finish() {
  if (enabled_) clear_progress_line();
}

}  // namespace wdc::cli
