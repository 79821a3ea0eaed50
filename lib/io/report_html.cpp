#include "io/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/error.h"

namespace wdc::io {
namespace {

using json = nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

json parse_json(const std::string& text, const char* what) {
  if (text.empty()) return json::object();
  try {
    json j = json::parse(text);
    if (!j.is_object())
      fail(ErrorCode::kFormat, std::string("report: ") + what + " is not a JSON object");
    return j;
  } catch (const json::exception& e) {
    fail(ErrorCode::kFormat, std::string("report: ") + what + " is not valid JSON: " + e.what());
  }
}

// A number member of `j`, NaN when absent or not a number.
double number(const json& j, const char* key) {
  if (!j.is_object()) return kNaN;
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : kNaN;
}

// A string member of `j`, `fallback` when absent or not a string.
std::string text(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// A member of `j` as an array, an empty array otherwise.
json array(const json& j, const char* key) {
  if (!j.is_object()) return json::array();
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : json::array();
}

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string percent(double fraction, int decimals = 2) {
  if (!std::isfinite(fraction)) return "n/a";
  return fixed(100.0 * fraction, decimals) + "%";
}

std::string integer(double value) {
  if (!std::isfinite(value)) return "n/a";
  return std::to_string(static_cast<int64_t>(std::llround(value)));
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "n/a";
  const int64_t s = std::llround(seconds);
  char buf[64];
  if (s < 60) return fixed(seconds, seconds < 10 ? 1 : 0) + " s";
  if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  }
  return buf;
}

// SVG coordinates: short and locale-free.
std::string coord(double v) { return fixed(v, 1); }

// The white-to-blue colour of a share in [0, 1], and a text colour readable on it.
std::string cell_style(double share) {
  const double t = std::isfinite(share) ? std::clamp(share, 0.0, 1.0) : 0.0;
  auto mix = [t](int from, int to) {
    return std::to_string(static_cast<int>(std::lround(from + (to - from) * t)));
  };
  return "background:rgb(" + mix(255, 37) + "," + mix(255, 87) + "," + mix(255, 160) +
         ");color:" + (t > 0.55 ? "#fff" : "#1a1a1a");
}

// One cell of a confusion table: `count` of the row's `row_total` maps, shaded by that share,
// with the share on hover (a title: the page has no script).
std::string matrix_cell(int64_t count, int64_t row_total, const std::string& true_name,
                        const std::string& predicted_name, bool diagonal) {
  const double share = row_total ? static_cast<double>(count) / row_total : 0.0;
  return "<td class=\"" + std::string(diagonal ? "diag" : "cell") + "\" style=\"" +
         cell_style(share) + "\" title=\"" +
         html_escape("true " + true_name + ", predicted " + predicted_name + ": " +
                     std::to_string(count) + " of " + std::to_string(row_total) + " maps (" +
                     percent(share, 1) + ")") +
         "\">" + std::to_string(count) + "</td>";
}

// Whether the page is about a single-label model. The model's own config decides; the
// evaluation's task stands in only when the description names none (an older model file, or
// no description at all).
bool is_single_label(const json& info, const json& eval) {
  const std::string task = text(info.value("config", json::object()), "task");
  if (!task.empty()) return task == "single_label";
  return text(eval, "task") == "single_label";
}

// A gallery group's heading text: "C12 C+L", but a single-label class (id and name both the
// class name) only once.
std::string group_title(const std::string& id, const std::string& name) {
  return name.empty() || name == id ? id : id + " " + name;
}

// ---- charts ---------------------------------------------------------------------------------

struct Axis {
  double lo = 0, hi = 1, step = 1;
};

// Round tick positions covering [lo, hi] with about `target` intervals.
Axis nice_axis(double lo, double hi, int target = 5) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step};
}

int decimals_for(double step) {
  return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
}

struct Series {
  std::string title, unit_note;
  std::vector<double> y;  // one per epoch (epoch = index + 1); NaN = no value
  bool as_percent = false;
  bool from_zero = false;
};

std::string line_chart(const Series& s, int best_epoch) {
  constexpr double kW = 420, kH = 250, kLeft = 58, kRight = 14, kTop = 30, kBottom = 42;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const int n = static_cast<int>(s.y.size());

  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : s.y)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!std::isfinite(lo)) lo = hi = 0;
  if (s.from_zero) lo = std::min(lo, 0.0);
  const Axis ya = nice_axis(s.as_percent ? lo * 100 : lo, s.as_percent ? hi * 100 : hi);
  const double scale = s.as_percent ? 100 : 1;
  const double x_lo = 1, x_hi = n > 1 ? n : 2;

  auto px = [&](double epoch) { return kLeft + (epoch - x_lo) / (x_hi - x_lo) * pw; };
  auto py = [&](double v) { return kTop + ph - (v * scale - ya.lo) / (ya.hi - ya.lo) * ph; };

  std::string out = "<svg class=\"chart\" viewBox=\"0 0 " + coord(kW) + " " + coord(kH) +
                    "\" width=\"" + coord(kW) + "\" height=\"" + coord(kH) +
                    "\" role=\"img\" aria-label=\"" + html_escape(s.title) + " per epoch\">\n";
  out += "<text class=\"title\" x=\"" + coord(kLeft) + "\" y=\"18\">" + html_escape(s.title) +
         "</text>\n";
  // Horizontal grid and y tick labels.
  const int yd = decimals_for(ya.step);
  for (double v = ya.lo; v <= ya.hi + ya.step * 1e-6; v += ya.step) {
    const double y = kTop + ph - (v - ya.lo) / (ya.hi - ya.lo) * ph;
    out += "<line class=\"grid\" x1=\"" + coord(kLeft) + "\" y1=\"" + coord(y) + "\" x2=\"" +
           coord(kLeft + pw) + "\" y2=\"" + coord(y) + "\"/>\n";
    out += "<text class=\"tick\" x=\"" + coord(kLeft - 6) + "\" y=\"" + coord(y + 4) +
           "\" text-anchor=\"end\">" + fixed(v, yd) + (s.as_percent ? "%" : "") + "</text>\n";
  }
  // x ticks: epoch 1 and multiples of a round step.
  int xstep = 1;
  for (int candidate : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}) {
    xstep = candidate;
    if (n / candidate <= 8) break;
  }
  for (int e = 1; e <= std::max(n, 1); e = (e == 1 && xstep > 1) ? xstep : e + xstep) {
    const double x = px(e);
    out += "<line class=\"axis\" x1=\"" + coord(x) + "\" y1=\"" + coord(kTop + ph) + "\" x2=\"" +
           coord(x) + "\" y2=\"" + coord(kTop + ph + 4) + "\"/>\n";
    out += "<text class=\"tick\" x=\"" + coord(x) + "\" y=\"" + coord(kTop + ph + 17) +
           "\" text-anchor=\"middle\">" + std::to_string(e) + "</text>\n";
  }
  out += "<line class=\"axis\" x1=\"" + coord(kLeft) + "\" y1=\"" + coord(kTop + ph) + "\" x2=\"" +
         coord(kLeft + pw) + "\" y2=\"" + coord(kTop + ph) + "\"/>\n";
  out += "<line class=\"axis\" x1=\"" + coord(kLeft) + "\" y1=\"" + coord(kTop) + "\" x2=\"" +
         coord(kLeft) + "\" y2=\"" + coord(kTop + ph) + "\"/>\n";
  out += "<text class=\"label\" x=\"" + coord(kLeft + pw / 2) + "\" y=\"" + coord(kH - 6) +
         "\" text-anchor=\"middle\">epoch</text>\n";
  if (best_epoch >= 1 && best_epoch <= n)
    out += "<line class=\"best\" x1=\"" + coord(px(best_epoch)) + "\" y1=\"" + coord(kTop) +
           "\" x2=\"" + coord(px(best_epoch)) + "\" y2=\"" + coord(kTop + ph) + "\"/>\n";

  // The line, broken where a value is missing.
  std::string points;
  auto flush = [&] {
    if (!points.empty()) out += "<polyline class=\"line\" points=\"" + points + "\"/>\n";
    points.clear();
  };
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(s.y[i])) {
      flush();
      continue;
    }
    points += (points.empty() ? "" : " ") + coord(px(i + 1)) + "," + coord(py(s.y[i]));
  }
  flush();
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(s.y[i])) continue;
    const bool best = i + 1 == best_epoch;
    const std::string value = s.as_percent ? percent(s.y[i]) : fixed(s.y[i], 4);
    out += "<circle class=\"" + std::string(best ? "pt best-pt" : "pt") + "\" cx=\"" +
           coord(px(i + 1)) + "\" cy=\"" + coord(py(s.y[i])) + "\" r=\"" + (best ? "4.5" : "2.5") +
           "\"><title>epoch " + std::to_string(i + 1) + ": " + value + s.unit_note +
           (best ? " (best epoch)" : "") + "</title></circle>\n";
  }
  out += "</svg>\n";
  return out;
}

// ---- pieces of the page ---------------------------------------------------------------------

const char* kStyle = R"(
:root{--fg:#1a1a1a;--muted:#5f6368;--line:#d9dce1;--accent:#2557a0;--ok:#1e7b34;--bad:#b3261e;--bg2:#f5f6f8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:0 20px 40px}
header{border-bottom:2px solid var(--accent);padding:18px 0 10px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:30px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta,.note{color:var(--muted)}
.meta span{margin-right:18px;word-break:break-all}
nav{margin:10px 0;font-size:13px}
nav a{margin-right:14px;color:var(--accent);text-decoration:none}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:var(--bg2);border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:150px}
.card .k{color:var(--muted);font-size:12px}
.card .v{font-size:22px;font-weight:600}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left}
th{background:var(--bg2);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{text-align:left;font-weight:normal;color:var(--muted);background:none}
table.matrix td{text-align:right;min-width:62px;font-variant-numeric:tabular-nums}
table.matrix td.diag{outline:2px solid #111;outline-offset:-2px}
td.acc{position:relative;min-width:120px}
td.acc .bar{position:absolute;left:0;top:0;bottom:0;background:#cfe0f6;z-index:0}
td.acc.low .bar{background:#f6d3cf}
td.acc .v{position:relative;z-index:1}
.charts{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{background:#fff;border:1px solid var(--line);border-radius:6px}
svg.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
svg.chart text.title{font-size:13px;font-weight:600;fill:var(--fg)}
svg.chart .grid{stroke:#eceef1;stroke-width:1}
svg.chart .axis{stroke:#777;stroke-width:1}
svg.chart .best{stroke:var(--ok);stroke-width:1;stroke-dasharray:4 3}
svg.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
svg.chart .pt{fill:var(--accent)}
svg.chart .best-pt{fill:var(--ok)}
.pics{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff;width:min-content}
figure.pic-bad{border-color:var(--bad);border-width:2px}
figure img{display:block;image-rendering:crisp-edges;image-rendering:pixelated}
figcaption{font-size:12px;margin-top:4px;min-width:200px}
figcaption div{white-space:nowrap}
.ok{color:var(--ok);font-weight:600}
.bad{color:var(--bad);font-weight:600}
a{color:var(--accent)}
footer{margin-top:30px;color:var(--muted);font-size:12px}
)";

std::string card(const std::string& key, const std::string& value) {
  return "<div class=\"card\"><div class=\"k\">" + html_escape(key) + "</div><div class=\"v\">" +
         html_escape(value) + "</div></div>\n";
}

std::string kv_row(const std::string& key, const std::string& value) {
  return "<tr><th scope=\"row\">" + html_escape(key) + "</th><td>" + html_escape(value) +
         "</td></tr>\n";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// The pixel size of a PNG from its IHDR chunk; {0, 0} when `png` is not one.
std::pair<uint32_t, uint32_t> png_size(const std::vector<uint8_t>& png) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < 24 || !std::equal(kSignature, kSignature + 8, png.begin())) return {0, 0};
  auto be32 = [&](size_t at) {
    return (uint32_t{png[at]} << 24) | (uint32_t{png[at + 1]} << 16) |
           (uint32_t{png[at + 2]} << 8) | uint32_t{png[at + 3]};
  };
  return {be32(16), be32(20)};
}

// The headline numbers. A single-label model is judged by accuracy and macro F1: exact match
// would equal its accuracy and Hamming accuracy mostly counts the classes a map is not.
std::string summary_cards(const json& eval, bool single_label) {
  std::string out = "<div class=\"cards\">\n";
  out += card("maps", integer(number(eval, "samples")));
  if (single_label) {
    out += card("accuracy", percent(number(eval, "accuracy")));
    out += card("macro F1", fixed(number(eval, "macro_f1"), 4));
  } else {
    out += card("exact match", percent(number(eval, "exact_match")));
    out += card("Hamming accuracy", percent(number(eval, "hamming")));
    out += card("mean F1", fixed(number(eval, "mean_f1"), 4));
  }
  out += card("min F1", fixed(number(eval, "min_f1"), 4));
  out += "</div>\n";
  return out;
}

std::string model_section(const json& info, const json& eval, bool single_label, size_t classes) {
  std::string out = "<section id=\"summary\">\n<h2>Summary</h2>\n";
  if (!eval.empty()) {
    out += summary_cards(eval, single_label);
  } else {
    out += "<p class=\"note\">No evaluation was given.</p>\n";
  }

  out += "<h3>Model</h3>\n<table class=\"kv\">\n";
  const std::string version = text(info, "library_version");
  if (!version.empty()) out += kv_row("library", "wdc " + version);
  // Said only for single-label models, so the multi-label page stays as it was.
  if (single_label)
    out += kv_row("task", "single-label, " + std::to_string(classes) +
                              " classes (the most probable class is the prediction)");
  const json config = info.value("config", json::object());
  if (config.is_object()) {
    const json input = config.value("input", json::object());
    if (input.is_object() && input.contains("height"))
      out +=
          kv_row("input", integer(number(input, "height")) + "x" + integer(number(input, "width")) +
                              (input.contains("encoding")  // an ensemble's members have theirs
                                   ? ", " + text(input, "encoding") + " encoding"
                                   : ""));
    const json blocks = array(config, "blocks");
    if (!blocks.empty()) {
      std::vector<std::string> parts;
      for (const json& b : blocks)
        parts.push_back(integer(number(b, "channels")) + " ch stride " +
                        integer(number(b, "stride")) +
                        (b.value("deformable", false) ? " deformable" : ""));
      out += kv_row("blocks", std::to_string(blocks.size()) + ": " + join(parts, ", "));
    }
    if (std::isfinite(number(config, "dropout")))
      out += kv_row("dropout", fixed(number(config, "dropout"), 2));
    const json members = array(config, "ensemble");
    if (!members.empty()) {
      std::vector<std::string> parts;
      for (const json& m : members)
        parts.push_back(text(m.value("input", json::object()), "encoding", "?") + " encoding, " +
                        std::to_string(array(m, "blocks").size()) + " blocks");
      out += kv_row("ensemble", std::to_string(members.size()) +
                                    " members, probabilities averaged: " + join(parts, "; "));
    }
  }
  if (std::isfinite(number(info, "parameters")))
    out += kv_row("parameters", integer(number(info, "parameters")));
  if (!text(info, "device").empty()) out += kv_row("device", text(info, "device"));
  const json training = info.value("training", json::object());
  if (!array(training, "history").empty()) {
    out += kv_row("epochs run", std::to_string(array(training, "history").size()));
    // best_val_exact_match is the validation accuracy of a single-label model.
    out += kv_row("best epoch", integer(number(training, "best_epoch")) + " (validation " +
                                    (single_label ? "accuracy " : "exact match ") +
                                    percent(number(training, "best_val_exact_match")) + ")");
    out += kv_row("training maps", integer(number(training, "train_samples")));
    out += kv_row("validation maps", integer(number(training, "val_samples")));
    out += kv_row("training time", duration(number(training, "seconds")));
  } else {
    out += kv_row("training", "not trained");
  }
  out += "</table>\n</section>\n";
  return out;
}

std::string training_section(const json& info, bool single_label) {
  std::string out = "<section id=\"training\">\n<h2>Training</h2>\n";
  const json training = info.value("training", json::object());
  const json history = array(training, "history");
  if (history.empty()) {
    out +=
        "<p class=\"note\">This model has no training history: it was never trained (or its "
        "file was written without one), so there are no training curves.</p>\n</section>\n";
    return out;
  }
  Series loss{"Training loss", "", {}, false, true};
  // A single-label model's val_exact_match is its validation accuracy (the most probable class
  // decides), and is named so.
  Series val{single_label ? "Validation accuracy" : "Validation exact match", "", {}, true, false};
  Series secs{"Seconds per epoch", " s", {}, false, true};
  // History entries carry their epoch; place them by it (1-based), in case of gaps.
  size_t epochs = history.size();
  for (const json& e : history) {
    const double epoch = number(e, "epoch");
    if (std::isfinite(epoch) && epoch >= 1 && epoch <= 100000)
      epochs = std::max(epochs, static_cast<size_t>(epoch));
  }
  loss.y.assign(epochs, kNaN);
  val.y.assign(epochs, kNaN);
  secs.y.assign(epochs, kNaN);
  for (size_t i = 0; i < history.size(); ++i) {
    const json& e = history[i];
    const double epoch = number(e, "epoch");
    const size_t at = std::isfinite(epoch) && epoch >= 1 && epoch <= static_cast<double>(epochs)
                          ? static_cast<size_t>(epoch) - 1
                          : i;
    loss.y[at] = number(e, "loss");
    val.y[at] = number(e, "val_exact_match");
    secs.y[at] = number(e, "seconds");
  }
  const double best = number(training, "best_epoch");
  const int best_epoch = std::isfinite(best) ? static_cast<int>(best) : 0;
  const bool validated = !(number(training, "val_samples") == 0);

  out += "<div class=\"charts\">\n";
  out += line_chart(loss, best_epoch);
  if (validated) out += line_chart(val, best_epoch);
  out += line_chart(secs, best_epoch);
  out += "</div>\n<p class=\"note\">" + std::to_string(history.size()) + " epochs";
  if (best_epoch > 0)
    out += "; the dashed line marks the best epoch (" + std::to_string(best_epoch) +
           "), the one whose weights the model keeps";
  if (!validated) out += "; the model was trained without a validation set";
  out += ". Hover a point for its value.</p>\n</section>\n";
  return out;
}

std::string labels_section(const json& eval, const std::vector<float>& thresholds,
                           const std::vector<std::string>& names) {
  const json labels = array(eval, "labels");
  if (labels.empty()) return "";
  std::string out =
      "<section id=\"labels\">\n<h2>Labels</h2>\n<table "
      "class=\"metrics\">\n<thead><tr><th>label</th>"
      "<th class=\"n\">threshold</th><th class=\"n\">precision</th><th class=\"n\">recall</th>"
      "<th class=\"n\">F1</th><th class=\"n\">support</th></tr></thead>\n<tbody>\n";
  for (const json& l : labels) {
    const std::string name = text(l, "name");
    const auto it = std::find(names.begin(), names.end(), name);
    const double threshold =
        it == names.end() ? kNaN : static_cast<double>(thresholds[it - names.begin()]);
    out += "<tr><td>" + html_escape(name) + "</td><td class=\"n\">" + fixed(threshold, 2) +
           "</td><td class=\"n\">" + fixed(number(l, "precision"), 4) + "</td><td class=\"n\">" +
           fixed(number(l, "recall"), 4) + "</td><td class=\"n\">" + fixed(number(l, "f1"), 4) +
           "</td><td class=\"n\">" + integer(number(l, "support")) + "</td></tr>\n";
  }
  out +=
      "</tbody>\n</table>\n<p class=\"note\">A label is predicted when its probability reaches "
      "its threshold. Support: maps that carry the label.</p>\n</section>\n";
  return out;
}

// The single-label counterpart of labels_section: no threshold column, since the most probable
// class decides and the stored thresholds (all 0.5) take no part.
std::string classes_section(const json& eval) {
  const json labels = array(eval, "labels");
  if (labels.empty()) return "";
  std::string out =
      "<section id=\"labels\">\n<h2>Classes</h2>\n<table "
      "class=\"metrics\">\n<thead><tr><th>class</th><th class=\"n\">precision</th>"
      "<th class=\"n\">recall</th><th class=\"n\">F1</th><th class=\"n\">support</th></tr>"
      "</thead>\n<tbody>\n";
  for (const json& l : labels)
    out += "<tr><td>" + html_escape(text(l, "name")) + "</td><td class=\"n\">" +
           fixed(number(l, "precision"), 4) + "</td><td class=\"n\">" +
           fixed(number(l, "recall"), 4) + "</td><td class=\"n\">" + fixed(number(l, "f1"), 4) +
           "</td><td class=\"n\">" + integer(number(l, "support")) + "</td></tr>\n";
  out +=
      "</tbody>\n</table>\n<p class=\"note\">Each map is predicted as its most probable "
      "class. Precision: the share of the maps predicted as the class that belong to it; "
      "recall: the share of the class's maps predicted as it. Support: maps of the class. "
      "Macro F1 is the mean of the F1 column.</p>\n</section>\n";
  return out;
}

std::string confusion_section(const Confusion& c, const std::vector<std::string>& names,
                              const std::vector<float>& thresholds, int64_t samples) {
  const size_t n = names.size();
  std::string out = "<section id=\"confusion\">\n<h2>Confusion</h2>\n";
  if (samples == 0) return out + "<p class=\"note\">No maps.</p>\n</section>\n";

  out +=
      "<h3>Decisions per label</h3>\n<table class=\"counts\">\n<thead><tr><th>label</th>"
      "<th class=\"n\">threshold</th><th class=\"n\">TP</th><th class=\"n\">FP</th>"
      "<th class=\"n\">FN</th><th class=\"n\">TN</th><th class=\"n\">errors</th></tr></thead>\n"
      "<tbody>\n";
  for (size_t i = 0; i < n; ++i) {
    const LabelCounts& k = c.labels[i];
    const int64_t errors = k.fp + k.fn;
    out += "<tr><td>" + html_escape(names[i]) + "</td><td class=\"n\">" + fixed(thresholds[i], 2) +
           "</td><td class=\"n\">" + std::to_string(k.tp) + "</td><td class=\"n\">" +
           std::to_string(k.fp) + "</td><td class=\"n\">" + std::to_string(k.fn) +
           "</td><td class=\"n\">" + std::to_string(k.tn) + "</td><td class=\"n" +
           (errors ? " bad" : "") + "\">" + std::to_string(errors) + "</td></tr>\n";
  }
  out +=
      "</tbody>\n</table>\n<p class=\"note\">TP: label present and predicted; FP: predicted "
      "but absent; FN: present but not predicted; TN: absent and not predicted (out of " +
      std::to_string(samples) + " maps).</p>\n";

  out +=
      "<h3>True label × predicted label</h3>\n<table class=\"matrix\">\n<thead><tr>"
      "<th>true \\ predicted</th>";
  for (size_t j = 0; j < n; ++j) out += "<th class=\"n\">" + html_escape(names[j]) + "</th>";
  out += "<th class=\"n\">maps</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < n; ++i) {
    const int64_t row = c.labels[i].tp + c.labels[i].fn;  // maps where label i is present
    out += "<tr><th scope=\"row\">" + html_escape(names[i]) + "</th>";
    for (size_t j = 0; j < n; ++j)
      out += matrix_cell(c.cooccurrence[i * n + j], row, names[i], names[j], i == j);
    out += "<td class=\"n\">" + std::to_string(row) + "</td></tr>\n";
  }
  out +=
      "</tbody>\n</table>\n<p class=\"note\">Row i, column j: maps where label i is truly "
      "present and label j is predicted. The shade is the share of the row's maps. The "
      "diagonal (outlined) holds the true positives; off the diagonal, labels that occur "
      "together in mixed patterns (such as Center with Edge_Ring) show up as well as "
      "confusions. Hover a cell for the share.</p>\n</section>\n";
  return out;
}

// The single-label confusion view: one classes x classes matrix (see class_confusion), with the
// maps of each true class at the end of its row and the maps predicted as each class below.
std::string class_confusion_section(const std::vector<int64_t>& m,
                                    const std::vector<std::string>& names, int64_t samples) {
  const size_t n = names.size();
  std::string out = "<section id=\"confusion\">\n<h2>Confusion</h2>\n";
  if (samples == 0) return out + "<p class=\"note\">No maps.</p>\n</section>\n";

  out +=
      "<h3>True class × predicted class</h3>\n<table class=\"matrix\">\n<thead><tr>"
      "<th>true \\ predicted</th>";
  for (size_t j = 0; j < n; ++j) out += "<th class=\"n\">" + html_escape(names[j]) + "</th>";
  out += "<th class=\"n\">maps</th></tr></thead>\n<tbody>\n";
  std::vector<int64_t> predicted(n, 0);
  int64_t right = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t row = 0;
    for (size_t j = 0; j < n; ++j) row += m[i * n + j];
    out += "<tr><th scope=\"row\">" + html_escape(names[i]) + "</th>";
    for (size_t j = 0; j < n; ++j) {
      out += matrix_cell(m[i * n + j], row, names[i], names[j], i == j);
      predicted[j] += m[i * n + j];
    }
    right += m[i * n + i];
    out += "<td class=\"n\">" + std::to_string(row) + "</td></tr>\n";
  }
  out += "</tbody>\n<tfoot><tr><th scope=\"row\">predicted</th>";
  for (size_t j = 0; j < n; ++j) out += "<td class=\"n\">" + std::to_string(predicted[j]) + "</td>";
  out += "<td class=\"n\">" + std::to_string(samples) + "</td></tr></tfoot>\n</table>\n";
  out +=
      "<p class=\"note\">Row i, column j: maps of true class i whose most probable class is "
      "j. The shade is the share of the row's maps, so the diagonal (outlined, " +
      std::to_string(right) + " of " + std::to_string(samples) +
      " maps classified right) holds each class's recall and a dark cell off it is a frequent "
      "confusion. The last row counts the maps predicted as each class. Hover a cell for the "
      "share.</p>\n</section>\n";
  return out;
}

std::string types_section(const json& eval, const std::vector<std::string>& gallery_types) {
  const json types = array(eval, "types");
  if (types.empty()) return "";
  std::string out =
      "<section id=\"types\">\n<h2>Pattern types</h2>\n<table class=\"types\">\n<thead><tr>"
      "<th>type</th><th>name</th><th class=\"n\">maps</th><th class=\"n\">correct</th>"
      "<th>accuracy</th></tr></thead>\n<tbody>\n";
  for (const json& t : types) {
    const std::string id = text(t, "id");
    const double acc = number(t, "accuracy");
    const bool linked =
        std::find(gallery_types.begin(), gallery_types.end(), id) != gallery_types.end();
    const std::string width = std::isfinite(acc) ? fixed(std::clamp(acc, 0.0, 1.0) * 100, 1) : "0";
    out += "<tr><td>" +
           (linked ? "<a href=\"#gallery-" + html_escape(id) + "\">" + html_escape(id) + "</a>"
                   : html_escape(id)) +
           "</td><td>" + html_escape(text(t, "name")) + "</td><td class=\"n\">" +
           integer(number(t, "count")) + "</td><td class=\"n\">" + integer(number(t, "correct")) +
           "</td><td class=\"acc" + (std::isfinite(acc) && acc < 0.9 ? " low" : "") +
           "\"><span class=\"bar\" style=\"width:" + width + "%\"></span><span class=\"v\">" +
           percent(acc) + "</span></td></tr>\n";
  }
  out +=
      "</tbody>\n</table>\n<p class=\"note\">Accuracy: the share of the type's maps (by their "
      "true labels) whose labels were all predicted right.</p>\n</section>\n";
  return out;
}

std::string labels_text(const std::vector<std::string>& labels) {
  return labels.empty() ? "none" : join(labels, ", ");
}

// " (3 of 40 maps, accuracy 92.50%)": how the pictures' group fared overall. Multi-label
// groups are the evaluation's pattern types; single-label groups are classes, whose share of
// maps predicted right is the class's recall.
std::string group_note(const json& eval, bool single_label, const std::string& id, size_t shown) {
  if (single_label) {
    for (const json& l : array(eval, "labels"))
      if (text(l, "name") == id)
        return " (" + std::to_string(shown) + " of " + integer(number(l, "support")) +
               " maps, recall " + percent(number(l, "recall")) + ")";
    return "";
  }
  for (const json& t : array(eval, "types"))
    if (text(t, "id") == id)
      return " (" + std::to_string(shown) + " of " + integer(number(t, "count")) +
             " maps, accuracy " + percent(number(t, "accuracy")) + ")";
  return "";
}

// One picture as a <figure>: the map at a whole multiple of its size of at least 200 pixels
// (drawn pixelated), its caption's first line `heading` (HTML), its true and predicted labels and
// the label of its CAM, then `tail` (HTML).
std::string figure_html(const ReportPicture& p, const char* css_class, const std::string& alt,
                        const std::string& heading, const std::string& tail) {
  auto [w, h] = png_size(p.png);
  const uint32_t factor = w == 0 ? 1 : std::max<uint32_t>(1, (200 + w - 1) / w);
  std::string out = std::string("<figure class=\"") + css_class + "\">";
  out += "<img src=\"data:image/png;base64," + base64_encode(p.png.data(), p.png.size()) + "\"";
  if (w > 0 && h > 0)
    out += " width=\"" + std::to_string(w * factor) + "\" height=\"" + std::to_string(h * factor) +
           "\"";
  out += " alt=\"" + html_escape(alt) + "\">";
  out += "<figcaption><div>" + heading + "</div>";
  out += "<div>true: " + html_escape(labels_text(p.true_labels)) + "</div>";
  out += "<div>predicted: " + html_escape(labels_text(p.predicted_labels)) + "</div>";
  out +=
      "<div>CAM of " + html_escape(p.cam_label) + " (p " + fixed(p.cam_probability, 3) + ")</div>";
  return out + tail + "</figcaption></figure>\n";
}

std::string gallery_section(const std::vector<ReportPicture>& gallery, const json& eval,
                            bool single_label, std::vector<std::string>& type_order) {
  std::string out = "<section id=\"gallery\">\n<h2>Class activation maps</h2>\n";
  if (gallery.empty()) return out + "<p class=\"note\">No pictures.</p>\n</section>\n";
  // The colours, said of what the CAM is of: "that label" or "that class".
  auto colours = [](const char* of) {
    return std::string(
               " blended over the dies in the inferno colormap, dark purple where the "
               "evidence for that ") +
           of + " is weakest to pale yellow where it is strongest. ";
  };
  if (single_label)
    out +=
        "<p class=\"note\">For a few maps of each class: the map (white off the wafer, grey "
        "passed dies, dark failed dies) with the class activation map of its predicted (most "
        "probable) class" +
        colours("class") + "Maps predicted as another class have a red frame.</p>\n";
  else
    out +=
        "<p class=\"note\">For a few maps of each pattern type: the map (white off the wafer, "
        "grey passed dies, dark failed dies) with the class activation map of its most probable "
        "label" +
        colours("label") + "Maps whose labels were not all predicted right have a red frame.</p>\n";
  for (const ReportPicture& p : gallery)
    if (std::find(type_order.begin(), type_order.end(), p.type_id) == type_order.end())
      type_order.push_back(p.type_id);

  for (const std::string& id : type_order) {
    std::vector<const ReportPicture*> pics;
    for (const ReportPicture& p : gallery)
      if (p.type_id == id) pics.push_back(&p);
    const std::string count_note = group_note(eval, single_label, id, pics.size());
    out += "<div class=\"type\" id=\"gallery-" + html_escape(id) + "\">\n<h3>" +
           html_escape(group_title(id, pics.front()->type_name)) + "<span class=\"note\">" +
           html_escape(count_note) + "</span></h3>\n<div class=\"pics\">\n";
    for (const ReportPicture* p : pics) {
      const std::string title = group_title(p->type_id, p->type_name);
      out += figure_html(
          *p, p->correct ? "pic-ok" : "pic-bad",
          "map " + std::to_string(p->index) + ", " + title + ", CAM of " + p->cam_label,
          "<b>map " + std::to_string(p->index) + "</b> " + html_escape(title),
          std::string("<div class=\"") + (p->correct ? "ok\">correct" : "bad\">wrong") + "</div>");
    }
    out += "</div>\n</div>\n";
  }
  out += "</section>\n";
  return out;
}

// The maps the model calls unknown (novelty above its threshold), with their CAMs: where a new
// failure pattern shows first.
std::string unknown_section(const ReportInputs& in, const json& info) {
  std::string out = "<section id=\"unknown\">\n<h2>Unknown maps</h2>\n";
  const json novelty = info.contains("novelty") ? info["novelty"] : json(nullptr);
  if (!novelty.is_object())
    return out +
           "<p class=\"note\">The model has no novelty statistics (models trained before "
           "novelty existed; <code>wdc fit-novelty</code> adds them).</p>\n</section>\n";
  const std::string calibrated = "the threshold that flags " +
                                 percent(number(novelty, "calibration_share")) +
                                 " of the model's validation maps";
  const bool given = info.contains("novelty_threshold") && info["novelty_threshold"].is_number();
  const std::string threshold = given ? fixed(info["novelty_threshold"].get<double>(), 4) +
                                            " (given at load time; " + calibrated + " is " +
                                            fixed(number(novelty, "threshold"), 4) + ")"
                                      : fixed(number(novelty, "threshold"), 4) + ", " + calibrated;
  out += "<p><b>" + std::to_string(in.unknown) + "</b> of " + std::to_string(in.samples) +
         " maps (" + percent(in.samples ? static_cast<double>(in.unknown) / in.samples : 0) +
         ") are unknown: their novelty (1 minus the cosine similarity to the k-th nearest of " +
         integer(number(novelty, "bank")) + " training maps, k = " + integer(number(novelty, "k")) +
         ") is above " + threshold +
         ". Such a map may show a pattern none of the labels describes, whatever its "
         "probabilities say.</p>\n";
  if (in.unknown_pictures.empty()) return out + "</section>\n";
  out += "<p class=\"note\">The " + std::to_string(in.unknown_pictures.size()) +
         " most novel, with the class activation map of the most probable label.</p>\n"
         "<div class=\"pics\">\n";
  for (const ReportPicture& p : in.unknown_pictures)
    out += figure_html(p, "pic-bad", "unknown map " + std::to_string(p.index),
                       "<b>map " + std::to_string(p.index) + "</b> novelty " + fixed(p.novelty, 4),
                       "");
  return out + "</div>\n</section>\n";
}

}  // namespace

std::string html_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64_encode(const uint8_t* bytes, size_t size) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < size) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < size) v |= uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

void check_sizes(const std::vector<float>& probabilities, const std::vector<uint8_t>& truth,
                 int64_t samples, size_t n) {
  if (samples < 0 || probabilities.size() != static_cast<size_t>(samples) * n ||
      truth.size() != static_cast<size_t>(samples) * n)
    fail(ErrorCode::kInvalidArgument, "report: expected " + std::to_string(samples) + " x " +
                                          std::to_string(n) + " probabilities and labels, got " +
                                          std::to_string(probabilities.size()) + " and " +
                                          std::to_string(truth.size()));
}

}  // namespace

Confusion confusion_counts(const std::vector<float>& probabilities,
                           const std::vector<uint8_t>& truth, int64_t samples,
                           const std::vector<float>& thresholds) {
  const size_t n = thresholds.size();
  check_sizes(probabilities, truth, samples, n);
  Confusion c;
  c.labels.assign(n, {});
  c.cooccurrence.assign(n * n, 0);
  std::vector<uint8_t> predicted(n);
  for (int64_t s = 0; s < samples; ++s) {
    const float* p = probabilities.data() + s * n;
    const uint8_t* t = truth.data() + s * n;
    for (size_t j = 0; j < n; ++j) predicted[j] = p[j] >= thresholds[j];
    for (size_t i = 0; i < n; ++i) {
      LabelCounts& k = c.labels[i];
      if (t[i]) {
        ++(predicted[i] ? k.tp : k.fn);
        for (size_t j = 0; j < n; ++j) c.cooccurrence[i * n + j] += predicted[j];
      } else {
        ++(predicted[i] ? k.fp : k.tn);
      }
    }
  }
  return c;
}

std::vector<int64_t> class_confusion(const std::vector<float>& probabilities,
                                     const std::vector<uint8_t>& truth, int64_t samples,
                                     size_t classes) {
  check_sizes(probabilities, truth, samples, classes);
  std::vector<int64_t> m(classes * classes, 0);
  for (int64_t s = 0; s < samples; ++s) {
    const float* p = probabilities.data() + s * classes;
    const uint8_t* t = truth.data() + s * classes;
    const size_t true_class =
        static_cast<size_t>(std::find_if(t, t + classes, [](uint8_t v) { return v != 0; }) - t);
    if (true_class == classes)
      fail(ErrorCode::kInvalidArgument,
           "report: map " + std::to_string(s) + " of a single-label set has no class");
    // std::max_element keeps the first of equal maxima, as train::decide does.
    const size_t predicted = static_cast<size_t>(std::max_element(p, p + classes) - p);
    ++m[true_class * classes + predicted];
  }
  return m;
}

namespace {

std::vector<std::string> label_names(const json& info, const json& eval) {
  std::vector<std::string> names;
  for (const json& l : array(info, "labels"))
    names.push_back(l.is_string() ? l.get<std::string>() : l.dump());
  if (names.empty())
    for (const json& l : array(eval, "labels")) names.push_back(text(l, "name"));
  return names;
}

std::vector<float> thresholds_of(const json& info, const std::vector<std::string>& names) {
  std::vector<float> thresholds(names.size(), 0.5f);
  const auto it = info.find("thresholds");
  if (it == info.end() || it->is_null()) return thresholds;
  if (it->is_array() && it->size() == names.size()) {
    for (size_t i = 0; i < names.size(); ++i)
      if ((*it)[i].is_number()) thresholds[i] = (*it)[i].get<float>();
  } else if (it->is_object()) {
    for (size_t i = 0; i < names.size(); ++i) {
      const auto t = it->find(names[i]);
      if (t != it->end() && t->is_number()) thresholds[i] = t->get<float>();
    }
  } else {
    fail(ErrorCode::kFormat, "report: the model's thresholds do not match its " +
                                 std::to_string(names.size()) + " labels");
  }
  return thresholds;
}

}  // namespace

std::vector<float> report_thresholds(const std::string& info_json) {
  const json info = parse_json(info_json, "the model description");
  return thresholds_of(info, label_names(info, json::object()));
}

std::string render_report_html(const ReportInputs& in) {
  const json info = parse_json(in.info_json, "the model description");
  const json eval = parse_json(in.eval_json, "the evaluation");
  const std::vector<std::string> names = label_names(info, eval);
  const bool single_label = is_single_label(info, eval);

  std::string title = "wdc report";
  if (!in.model_path.empty()) title += ": " + in.model_path;
  if (!in.data_path.empty()) title += " on " + in.data_path;

  std::string body;
  body += model_section(info, eval, single_label, names.size());
  body += training_section(info, single_label);
  if (single_label) {
    // Counted here from the probabilities and truth rather than taken from eval_json's
    // "confusion": like the multi-label views the matrix is then checked against the inputs'
    // sizes and is drawn even when no evaluation is given. train::evaluate_predictions counts
    // the same cells from the same probabilities (first maximum), so the two agree. The
    // model's thresholds take no part in a single-label decision: not read, not shown.
    const std::vector<int64_t> matrix =
        class_confusion(in.probabilities, in.truth, in.samples, names.size());
    body += classes_section(eval);
    body += class_confusion_section(matrix, names, in.samples);
  } else {
    const std::vector<float> thresholds = thresholds_of(info, names);
    const Confusion confusion =
        confusion_counts(in.probabilities, in.truth, in.samples, thresholds);
    body += labels_section(eval, thresholds, names);
    body += confusion_section(confusion, names, thresholds, in.samples);
  }
  std::vector<std::string> gallery_types;
  const std::string gallery = gallery_section(in.gallery, eval, single_label, gallery_types);
  body += types_section(eval, gallery_types);
  body += gallery;
  body += unknown_section(in, info);

  std::string out;
  out.reserve(body.size() + 8192);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: pictures are data: URIs, styles inline, no scripts at all.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
      "data:; style-src 'unsafe-inline'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"wdc report\">\n";
  out += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n";
  out += "<body>\n<header>\n<h1>Wafer-map classifier report</h1>\n<p class=\"meta\">";
  if (!in.model_path.empty()) out += "<span>model <b>" + html_escape(in.model_path) + "</b></span>";
  if (!in.data_path.empty()) out += "<span>data <b>" + html_escape(in.data_path) + "</b></span>";
  out += "<span>" + std::to_string(in.samples) + " maps</span>";
  if (!in.generated.empty()) out += "<span>generated " + html_escape(in.generated) + "</span>";
  out += "</p>\n</header>\n<nav><a href=\"#summary\">Summary</a><a href=\"#training\">Training</a>";
  if (!array(eval, "labels").empty())
    out += single_label ? "<a href=\"#labels\">Classes</a>" : "<a href=\"#labels\">Labels</a>";
  out += "<a href=\"#confusion\">Confusion</a>";
  if (!array(eval, "types").empty()) out += "<a href=\"#types\">Pattern types</a>";
  out +=
      "<a href=\"#gallery\">Class activation maps</a><a href=\"#unknown\">Unknown maps</a>"
      "</nav>\n";
  out += body;
  out += "<footer>Written by wdc";
  const std::string version = text(info, "library_version");
  if (!version.empty()) out += " " + html_escape(version);
  out += ". This page is self-contained: it needs no network and no scripts.</footer>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace wdc::io
