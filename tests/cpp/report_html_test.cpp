// lib/io/report_html: the page `wdc report` writes, checked as text (structure, self-containment,
// content, escaping, embedded PNGs), and rendered by headless Chromium where one is installed.
#include "io/report_html.h"

#include <gtest/gtest.h>
#include <spng.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/cam_png.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using wdc::io::ReportInputs;
using wdc::io::ReportPicture;

namespace {

const std::vector<std::string> kNames = {"Center", "Donut", "Edge_Loc", "Edge_Ring",
                                         "Loc",    "<b>&",  "Scratch",  "Random"};
constexpr int64_t kMapH = 6, kMapW = 5;
const uint8_t kMap[kMapH * kMapW] = {0, 1, 1, 1, 0, 0, 1, 2, 1, 0, 0, 1, 1, 1, 0,
                                     0, 2, 1, 2, 0, 0, 1, 2, 1, 0, 0, 0, 1, 0, 0};

std::vector<uint8_t> picture_png(int scale) {
  std::vector<float> cam(kMapH * kMapW);
  for (size_t i = 0; i < cam.size(); ++i) cam[i] = static_cast<float>(i) / (cam.size() - 1);
  const std::vector<uint8_t> rgb = wdc::io::render_cam_rgb(kMap, kMapH, kMapW, cam.data(), scale);
  return wdc::io::encode_png_rgb8(rgb.data(), static_cast<uint32_t>(kMapW * scale),
                                  static_cast<uint32_t>(kMapH * scale), "test picture");
}

json info_json(bool trained) {
  json info = {{"library_version", "0.1.0"},
               {"config",
                {{"input", {{"height", 52}, {"width", 52}, {"encoding", "onehot"}}},
                 {"blocks", {{{"channels", 32}, {"stride", 2}, {"deformable", true}}}},
                 {"dropout", 0.1}}},
               {"labels", kNames},
               {"thresholds", {0.5, 0.5, 0.6, 0.5, 0.3, 0.5, 0.45, 0.4}},
               {"parameters", 297485},
               {"device", "cpu"},
               {"training", json::object()}};
  if (trained)
    info["training"] = {
        {"history",
         {{{"epoch", 1}, {"loss", 0.39}, {"val_exact_match", 0.48}, {"seconds", 2.8}},
          {{"epoch", 2}, {"loss", 0.14}, {"val_exact_match", 0.83}, {"seconds", 2.1}},
          {{"epoch", 3}, {"loss", 0.09}, {"val_exact_match", 0.91}, {"seconds", 2.3}}}},
        {"best_epoch", 3},
        {"best_val_exact_match", 0.91},
        {"train_samples", 30412},
        {"val_samples", 3801},
        {"seconds", 7.2}};
  return info;
}

json eval_json() {
  json labels = json::array();
  for (const auto& name : kNames)
    labels.push_back({{"name", name},
                      {"precision", 0.9875},
                      {"recall", 0.9632},
                      {"f1", 0.9752},
                      {"support", 3}});
  return {{"samples", 4},
          {"exact_match", 0.975},
          {"hamming", 0.9966},
          {"mean_f1", 0.9862},
          {"min_f1", 0.9333},
          {"labels", labels},
          {"types",
           {{{"id", "C1"}, {"name", "Normal"}, {"count", 1}, {"correct", 1}, {"accuracy", 1.0}},
            {{"id", "C12"}, {"name", "C+L"}, {"count", 2}, {"correct", 1}, {"accuracy", 0.5}},
            {{"id", "C38"}, {"name", "S"}, {"count", 1}, {"correct", 1}, {"accuracy", 1.0}}}}};
}

ReportInputs inputs(bool trained = true) {
  ReportInputs in;
  in.model_path = "models/<script>alert(1)</script>.wdcm";
  in.data_path = "val.npz";
  in.generated = "2024-01-01 00:00:00 UTC";
  in.info_json = info_json(trained).dump();
  in.eval_json = eval_json().dump();
  in.samples = 4;
  // Map 0: nothing (C1), right. Map 1: Center+Loc, right. Map 2: Center+Loc, Loc missed.
  // Map 3: Scratch, also predicted "<b>&".
  in.truth = {0, 0, 0, 0, 0, 0, 0, 0,  //
              1, 0, 0, 0, 1, 0, 0, 0,  //
              1, 0, 0, 0, 1, 0, 0, 0,  //
              0, 0, 0, 0, 0, 0, 1, 0};
  in.probabilities = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f,  //
                      0.9f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f,  //
                      0.9f, 0.1f, 0.1f, 0.1f, 0.2f, 0.1f, 0.1f, 0.1f,  //
                      0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f, 0.9f, 0.1f};
  ReportPicture a;
  a.index = 0;
  a.type_id = "C1";
  a.type_name = "Normal";
  a.cam_label = "Loc";
  a.cam_probability = 0.1;
  a.correct = true;
  a.png = picture_png(3);
  ReportPicture b;
  b.index = 2;
  b.type_id = "C12";
  b.type_name = "C+L";
  b.true_labels = {"Center", "Loc"};
  b.predicted_labels = {"Center"};
  b.cam_label = "Center";
  b.cam_probability = 0.9;
  b.correct = false;
  b.png = picture_png(2);
  ReportPicture c = a;
  c.index = 3;
  c.type_id = "C38";
  c.type_name = "S";
  c.true_labels = {"Scratch"};
  c.predicted_labels = {"<b>&", "Scratch"};
  c.cam_label = "Scratch";
  in.gallery = {a, b, c};
  return in;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Checks that start and end tags nest properly (void elements and "/>" excepted); returns the
// first problem, or "" when there is none.
std::string tag_structure_problem(const std::string& html) {
  static const std::vector<std::string> kVoid = {"meta", "img", "br", "hr", "link", "input"};
  std::vector<std::string> stack;
  size_t at = 0;
  while ((at = html.find('<', at)) != std::string::npos) {
    const size_t end = html.find('>', at);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(at);
    const std::string tag = html.substr(at + 1, end - at - 1);
    at = end + 1;
    if (tag.rfind("!DOCTYPE", 0) == 0 || tag.rfind("!--", 0) == 0) continue;
    if (tag.find('<') != std::string::npos) return "'<' inside a tag: " + tag;
    const bool closing = !tag.empty() && tag[0] == '/';
    const size_t name_begin = closing ? 1 : 0;
    size_t name_end = name_begin;
    while (name_end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[name_end])) != 0))
      ++name_end;
    const std::string name = tag.substr(name_begin, name_end - name_begin);
    if (name.empty()) return "a tag without a name: <" + tag + ">";
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes <" +
               (stack.empty() ? std::string("nothing") : stack.back()) + ">";
      stack.pop_back();
    } else if (tag.back() != '/' && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      stack.push_back(name);
    }
  }
  if (!stack.empty()) return "<" + stack.back() + "> is never closed";
  return "";
}

std::vector<uint8_t> base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int n = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    EXPECT_GE(v, 0) << "not a base64 character: " << c;
    if (v < 0) return {};
    bits = (bits << 6) | static_cast<uint32_t>(v);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out.push_back(static_cast<uint8_t>((bits >> n) & 0xff));
    }
  }
  return out;
}

// The data: URIs' payloads of every embedded PNG.
std::vector<std::string> embedded_pngs(const std::string& html) {
  const std::string prefix = "data:image/png;base64,";
  std::vector<std::string> out;
  for (size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
    const size_t begin = at + prefix.size();
    out.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return out;
}

// ---- reading the page back: sections, tables, cards, links -----------------------------------

std::string unescape(const std::string& text) {
  static const std::vector<std::pair<std::string, std::string>> kRefs = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [ref, ch] : kRefs)
      if (text.compare(i, ref.size(), ref) == 0) {
        out += ch;
        i += ref.size();
        replaced = true;
        break;
      }
    if (!replaced) out += text[i++];
  }
  return out;
}

// `html` without its tags, character references decoded.
std::string inner_text(const std::string& html) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') in_tag = true;
    if (!in_tag) out += c;
    if (c == '>') in_tag = false;
  }
  return unescape(out);
}

// The <section id="ID"> ... </section> of `html`, "" when it has none.
std::string section(const std::string& html, const std::string& id) {
  const size_t begin = html.find("<section id=\"" + id + "\">");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</section>", begin) - begin);
}

struct Cell {
  std::string tag, attrs, text;  // "th" or "td"; the attributes as written; the decoded text
};

// An attribute's decoded value, "" when absent.
std::string attribute(const Cell& cell, const std::string& name) {
  const size_t at = cell.attrs.find(" " + name + "=\"");
  if (at == std::string::npos) return "";
  const size_t begin = at + name.size() + 3;
  return unescape(cell.attrs.substr(begin, cell.attrs.find('"', begin) - begin));
}

// Every table row (<tr>) in `html`, as its th and td cells in order.
std::vector<std::vector<Cell>> table_rows(const std::string& html) {
  std::vector<std::vector<Cell>> rows;
  for (size_t at = html.find("<tr"); at != std::string::npos; at = html.find("<tr", at + 1)) {
    const size_t row_end = html.find("</tr>", at);
    std::vector<Cell> row;
    for (size_t c = html.find('<', at + 3); c < row_end; c = html.find('<', c + 1)) {
      const std::string tag = html.substr(c + 1, 2);
      const char after = html[c + 3];
      if ((tag != "th" && tag != "td") || (after != ' ' && after != '>')) continue;
      const size_t open_end = html.find('>', c);
      const size_t close = html.find("</" + tag + ">", open_end);
      row.push_back({tag, html.substr(c + 3, open_end - c - 3),
                     inner_text(html.substr(open_end + 1, close - open_end - 1))});
      c = close;
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> texts(const std::vector<Cell>& row) {
  std::vector<std::string> out;
  for (const Cell& c : row) out.push_back(c.text);
  return out;
}

// The summary cards, key -> value, in page order.
std::vector<std::pair<std::string, std::string>> cards(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string k = "<div class=\"k\">", v = "<div class=\"v\">";
  for (size_t at = html.find(k); at != std::string::npos; at = html.find(k, at + 1)) {
    const size_t key_end = html.find("</div>", at);
    const size_t value = html.find(v, key_end);
    out.emplace_back(
        unescape(html.substr(at + k.size(), key_end - at - k.size())),
        unescape(html.substr(value + v.size(), html.find("</div>", value) - value - v.size())));
  }
  return out;
}

// The texts of the navigation's links.
std::vector<std::string> nav_links(const std::string& html) {
  const size_t begin = html.find("<nav>");
  const std::string nav = html.substr(begin, html.find("</nav>", begin) - begin);
  std::vector<std::string> out;
  for (size_t at = nav.find("<a "); at != std::string::npos; at = nav.find("<a ", at + 1)) {
    const size_t text = nav.find('>', at) + 1;
    out.push_back(inner_text(nav.substr(text, nav.find("</a>", text) - text)));
  }
  return out;
}

// ---- a single-label model: three classes, one per map, the most probable decides -------------

const std::vector<std::string> kClasses = {"Center", "Edge-Ring", "Scratch"};
// The confusion the single-label maps are built to have: rows true class, columns predicted.
// Column sums (maps predicted as each class): 6, 3, 2. Diagonal: 7 of 11 maps right.
const int64_t kMatrix[3][3] = {{4, 1, 0},   // Center: 5 maps
                               {0, 2, 1},   // Edge-Ring: 3 maps
                               {2, 0, 1}};  // Scratch: 3 maps

json single_info() {
  return {{"library_version", "0.1.0"},
          {"config",
           {{"input", {{"height", 52}, {"width", 52}, {"encoding", "onehot"}}},
            {"blocks", {{{"channels", 32}, {"stride", 2}, {"deformable", false}}}},
            {"dropout", 0.1},
            {"task", "single_label"}}},
          {"labels", kClasses},
          {"thresholds", {0.5, 0.5, 0.5}},  // stored, but no part of a single-label decision
          {"parameters", 12345},
          {"device", "cpu"},
          {"training",
           {{"history",
             {{{"epoch", 1}, {"loss", 1.1}, {"val_exact_match", 0.41}, {"seconds", 1.5}},
              {{"epoch", 2}, {"loss", 0.7}, {"val_exact_match", 0.62}, {"seconds", 1.4}}}},
            {"best_epoch", 2},
            {"best_val_exact_match", 0.62},
            {"train_samples", 100},
            {"val_samples", 20},
            {"seconds", 2.9}}}};
}

// The evaluation of kMatrix, worked out by hand:
//   Center    TP 4, FP 2, FN 1: precision 4/6, recall 4/5, F1 8/11
//   Edge-Ring TP 2, FP 1, FN 1: precision 2/3, recall 2/3, F1 2/3
//   Scratch   TP 1, FP 1, FN 2: precision 1/2, recall 1/3, F1 2/5
//   accuracy 7/11 = 63.64%, macro F1 (8/11 + 2/3 + 2/5) / 3 = 0.5980, min F1 0.4000.
json single_eval() {
  return {{"task", "single_label"},
          {"samples", 11},
          {"accuracy", 7.0 / 11},
          {"macro_f1", (8.0 / 11 + 2.0 / 3 + 2.0 / 5) / 3},
          {"min_f1", 0.4},
          {"labels",
           {{{"name", "Center"},
             {"precision", 4.0 / 6},
             {"recall", 0.8},
             {"f1", 8.0 / 11},
             {"support", 5}},
            {{"name", "Edge-Ring"},
             {"precision", 2.0 / 3},
             {"recall", 2.0 / 3},
             {"f1", 2.0 / 3},
             {"support", 3}},
            {{"name", "Scratch"},
             {"precision", 0.5},
             {"recall", 1.0 / 3},
             {"f1", 0.4},
             {"support", 3}}}},
          {"confusion", {{4, 1, 0}, {0, 2, 1}, {2, 0, 1}}}};
}

// Maps with the confusion of kMatrix: one-hot truth and softmax-like rows whose largest value
// is the predicted class (the true class second when they differ), classes interleaved.
ReportInputs single_inputs() {
  ReportInputs in;
  in.model_path = "wm811k.wdcm";
  in.data_path = "wm811k_test.npz";
  in.info_json = single_info().dump();
  in.eval_json = single_eval().dump();
  for (int64_t k = 0; k < 4; ++k)
    for (size_t t = 0; t < 3; ++t)
      for (size_t p = 0; p < 3; ++p) {
        if (k >= kMatrix[t][p]) continue;
        std::vector<float> row(3, 0.1f);
        row[p] = t == p ? 0.8f : 0.6f;
        if (t != p) row[t] = 0.3f;
        in.probabilities.insert(in.probabilities.end(), row.begin(), row.end());
        for (size_t c = 0; c < 3; ++c) in.truth.push_back(c == t ? 1 : 0);
        ++in.samples;
      }
  ReportPicture right;
  right.index = 0;
  right.type_id = right.type_name = "Center";
  right.true_labels = right.predicted_labels = {"Center"};
  right.cam_label = "Center";
  right.cam_probability = 0.8;
  right.correct = true;
  right.png = picture_png(2);
  ReportPicture wrong = right;
  wrong.index = 2;
  wrong.type_id = wrong.type_name = "Scratch";
  wrong.true_labels = {"Scratch"};
  wrong.predicted_labels = {"Center"};
  wrong.cam_label = "Center";
  wrong.cam_probability = 0.6;
  wrong.correct = false;
  in.gallery = {right, wrong};
  return in;
}

TEST(ReportHtml, IsAWellFormedPage) {
  const std::string html = wdc::io::render_report_html(inputs());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
  EXPECT_EQ(count(html, "<table"), 5u);  // model, labels, decisions, matrix, types
  EXPECT_EQ(count(html, "<tr"), count(html, "</tr>"));
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(count(html, "<svg"), 3u);  // loss, validation exact match, seconds
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, IsSelfContained) {
  const std::string html = wdc::io::render_report_html(inputs());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Every src is a data: URI.
  for (size_t at = html.find("src=\""); at != std::string::npos; at = html.find("src=\"", at + 1))
    EXPECT_EQ(html.compare(at + 5, 5, "data:"), 0) << html.substr(at, 40);
}

TEST(ReportHtml, ShowsTheMetricsTypesAndConfusion) {
  const std::string html = wdc::io::render_report_html(inputs());
  for (const char* text : {"97.50%", "99.66%", "0.9862", "0.9333",  // the overall metrics
                           "0.9875", "0.9632", "0.9752",            // a label's row
                           "297485", "best epoch", "30412", "3801"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
  for (const char* id : {"C1", "C12", "C38"}) {
    EXPECT_NE(html.find(std::string("<td><a href=\"#gallery-") + id + "\">" + id + "</a></td>"),
              std::string::npos)
        << id;
    EXPECT_NE(html.find(std::string("id=\"gallery-") + id + "\""), std::string::npos) << id;
  }
  EXPECT_NE(html.find("50.00%"), std::string::npos);  // C12's accuracy
  // Loc: truly present in maps 1 and 2, predicted (>= 0.3) in map 1 only: TP 1, FN 1, TN 2.
  EXPECT_NE(html.find("<tr><td>Loc</td><td class=\"n\">0.30</td><td class=\"n\">1</td>"
                      "<td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">2</td>"),
            std::string::npos);
  // Matrix cell: true Center (2 maps), predicted Loc in one of them.
  EXPECT_NE(html.find("title=\"true Center, predicted Loc: 1 of 2 maps (50.0%)\">1</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<div class=\"bad\">wrong</div>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"ok\">correct</div>"), std::string::npos);
  EXPECT_NE(html.find("<div>true: Center, Loc</div><div>predicted: Center</div>"),
            std::string::npos);
}

TEST(ReportHtml, EmbedsDecodablePngs) {
  const ReportInputs in = inputs();
  const std::string html = wdc::io::render_report_html(in);
  const std::vector<std::string> pngs = embedded_pngs(html);
  ASSERT_EQ(pngs.size(), in.gallery.size());
  for (size_t i = 0; i < pngs.size(); ++i) {
    const std::vector<uint8_t> bytes = base64_decode(pngs[i]);
    EXPECT_EQ(bytes, in.gallery[i].png) << "picture " << i;
    static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ASSERT_GE(bytes.size(), 8u);
    EXPECT_TRUE(std::equal(kSignature, kSignature + 8, bytes.begin())) << "picture " << i;
    spng_ctx* ctx = spng_ctx_new(0);
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(spng_set_png_buffer(ctx, bytes.data(), bytes.size()), 0);
    spng_ihdr ihdr{};
    EXPECT_EQ(spng_get_ihdr(ctx, &ihdr), 0);
    size_t size = 0;
    EXPECT_EQ(spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &size), 0);
    std::vector<uint8_t> rgb(size);
    EXPECT_EQ(spng_decode_image(ctx, rgb.data(), size, SPNG_FMT_RGB8, 0), 0);
    spng_ctx_free(ctx);
    const uint32_t scale = i == 1 ? 2 : 3;
    EXPECT_EQ(ihdr.width, kMapW * scale);
    EXPECT_EQ(ihdr.height, kMapH * scale);
  }
  // Shown at a whole multiple of their size (crisp when pixelated).
  EXPECT_NE(html.find("width=\"210\" height=\"252\""), std::string::npos);  // 15x18 px, x14
  EXPECT_NE(html.find("width=\"200\" height=\"240\""), std::string::npos);  // 10x12 px, x20
}

TEST(ReportHtml, EscapesText) {
  const std::string html = wdc::io::render_report_html(inputs());
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;b&gt;&amp;</td>"), std::string::npos);                // labels table
  EXPECT_NE(html.find("<th class=\"n\">&lt;b&gt;&amp;</th>"), std::string::npos);    // matrix
  EXPECT_NE(html.find("predicted: &lt;b&gt;&amp;, Scratch"), std::string::npos);     // caption
  EXPECT_NE(html.find("true &lt;b&gt;&amp;, predicted Center"), std::string::npos);  // title
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("models/&lt;script&gt;alert(1)&lt;/script&gt;.wdcm"), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, SaysWhenTheModelWasNeverTrained) {
  ReportInputs in = inputs(false);
  in.gallery.clear();
  in.eval_json.clear();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_NE(html.find("no training history"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("not trained"), std::string::npos);
  EXPECT_NE(html.find("No pictures."), std::string::npos);
  EXPECT_EQ(html.find("id=\"types\""), std::string::npos);  // no evaluation: no types table
  EXPECT_NE(html.find("id=\"confusion\""), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, OneEpochAndMissingValuesStillDrawACurve) {
  ReportInputs in = inputs();
  json info = json::parse(in.info_json);
  info["training"]["history"] = {{{"epoch", 1}, {"loss", 0.5}, {"val_exact_match", nullptr}}};
  info["training"]["best_epoch"] = 1;
  in.info_json = info.dump();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_EQ(count(html, "<svg"), 3u);
  EXPECT_NE(html.find("<title>epoch 1: 0.5000 (best epoch)</title>"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find(">inf"), std::string::npos);
  EXPECT_EQ(html.find("\"inf"), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, RejectsInconsistentInputs) {
  ReportInputs in = inputs();
  in.probabilities.pop_back();
  try {
    wdc::io::render_report_html(in);
    FAIL() << "expected an error";
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kInvalidArgument);
  }
  in = inputs();
  in.info_json = "{not json";
  try {
    wdc::io::render_report_html(in);
    FAIL() << "expected an error";
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find("model description"), std::string::npos);
  }
}

// The unknown maps: how many of how many, the threshold and how it was chosen, and their
// pictures, most novel first as given; a model without statistics says so instead.
TEST(ReportHtml, ListsTheUnknownMapsWithTheirThreshold) {
  ReportInputs in = inputs();
  json info = json::parse(in.info_json);
  info["novelty"] = {{"method", "knn"},
                     {"k", 5},
                     {"bank", 16384},
                     {"threshold", 0.0625},
                     {"calibration_share", 0.01},
                     {"calibration_maps", 3801}};
  in.info_json = info.dump();
  in.unknown = 2;
  ReportPicture first = in.gallery[1], second = in.gallery[0];
  first.novelty = 0.25;
  second.novelty = 0.125;
  in.unknown_pictures = {first, second};
  std::string html = wdc::io::render_report_html(in);
  const size_t section = html.find("<section id=\"unknown\">");
  ASSERT_NE(section, std::string::npos);
  const std::string unknown = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(unknown.find("<b>2</b> of 4 maps (50.00%) are unknown"), std::string::npos);
  EXPECT_NE(unknown.find("above 0.0625, the threshold that flags 1.00% of the model's validation"),
            std::string::npos);
  EXPECT_NE(unknown.find("k = 5"), std::string::npos);
  EXPECT_EQ(embedded_pngs(unknown).size(), 2u);
  EXPECT_LT(unknown.find("novelty 0.2500"), unknown.find("novelty 0.1250"));
  EXPECT_NE(html.find("<a href=\"#unknown\">"), std::string::npos);

  info["novelty_threshold"] = 0.5;
  in.info_json = info.dump();
  html = wdc::io::render_report_html(in);
  EXPECT_NE(html.find("above 0.5000 (given at load time; the threshold that flags 1.00% of the "
                      "model's validation maps is 0.0625)"),
            std::string::npos);

  in = inputs();
  html = wdc::io::render_report_html(in);
  EXPECT_NE(html.find("The model has no novelty statistics"), std::string::npos);
}

TEST(ReportHtml, ConfusionCounts) {
  const ReportInputs in = inputs();
  const wdc::io::Confusion c = wdc::io::confusion_counts(
      in.probabilities, in.truth, in.samples, {0.5f, 0.5f, 0.6f, 0.5f, 0.3f, 0.5f, 0.45f, 0.4f});
  ASSERT_EQ(c.labels.size(), 8u);
  ASSERT_EQ(c.cooccurrence.size(), 64u);
  EXPECT_EQ(c.labels[0].tp, 2);  // Center
  EXPECT_EQ(c.labels[0].tn, 2);
  EXPECT_EQ(c.labels[4].tp, 1);  // Loc
  EXPECT_EQ(c.labels[4].fn, 1);
  EXPECT_EQ(c.labels[5].fp, 1);  // "<b>&" in map 3
  EXPECT_EQ(c.labels[6].tp, 1);  // Scratch
  for (const auto& k : c.labels) EXPECT_EQ(k.tp + k.fp + k.fn + k.tn, 4);
  EXPECT_EQ(c.cooccurrence[0 * 8 + 0], 2);  // true Center, predicted Center
  EXPECT_EQ(c.cooccurrence[0 * 8 + 4], 1);  // true Center, predicted Loc
  EXPECT_EQ(c.cooccurrence[4 * 8 + 0], 2);  // true Loc, predicted Center
  EXPECT_EQ(c.cooccurrence[6 * 8 + 5], 1);  // true Scratch, predicted "<b>&"
  EXPECT_EQ(c.cooccurrence[1 * 8 + 1], 0);
  EXPECT_THROW(wdc::io::confusion_counts(in.probabilities, in.truth, 5, std::vector<float>(8)),
               wdc::Error);
}

TEST(ReportHtml, Thresholds) {
  EXPECT_EQ(wdc::io::report_thresholds(info_json(true).dump())[4], 0.3f);
  json info = info_json(true);
  info["thresholds"] = {{"Loc", 0.25}};
  const std::vector<float> by_name = wdc::io::report_thresholds(info.dump());
  ASSERT_EQ(by_name.size(), 8u);
  EXPECT_EQ(by_name[4], 0.25f);
  EXPECT_EQ(by_name[0], 0.5f);
  info.erase("thresholds");
  EXPECT_EQ(wdc::io::report_thresholds(info.dump()), std::vector<float>(8, 0.5f));
  info["thresholds"] = {0.1, 0.2};
  EXPECT_THROW(wdc::io::report_thresholds(info.dump()), wdc::Error);
}

TEST(ReportHtml, EscapeAndBase64) {
  EXPECT_EQ(wdc::io::html_escape("<b>&\"x'"), "&lt;b&gt;&amp;&quot;x&#39;");
  EXPECT_EQ(wdc::io::html_escape("Edge_Loc"), "Edge_Loc");
  auto b64 = [](const std::string& s) {
    return wdc::io::base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  const uint8_t high[3] = {0xff, 0xfe, 0xfd};
  EXPECT_EQ(wdc::io::base64_encode(high, 3), "//79");
}

TEST(ReportHtml, SingleLabelShowsTheClassConfusionMatrix) {
  const ReportInputs in = single_inputs();
  ASSERT_EQ(in.samples, 11);
  const std::string html = wdc::io::render_report_html(in);
  const std::string confusion = section(html, "confusion");
  ASSERT_NE(confusion, "");
  EXPECT_EQ(count(confusion, "<table"), 1u);  // the class matrix only: no per-label decisions
  const auto rows = table_rows(confusion);
  ASSERT_EQ(rows.size(), 5u);  // header, 3 classes, the predicted totals
  const std::vector<std::string> header = texts(rows[0]);
  EXPECT_EQ(header, (std::vector<std::string>{"true \\ predicted", "Center", "Edge-Ring", "Scratch",
                                              "maps"}));
  std::vector<bool> seen(3, false);
  for (size_t r = 1; r <= 3; ++r) {
    const std::vector<Cell>& row = rows[r];
    ASSERT_EQ(row.size(), 5u);
    EXPECT_EQ(row[0].tag, "th");
    const size_t t = std::find(kClasses.begin(), kClasses.end(), row[0].text) - kClasses.begin();
    ASSERT_LT(t, 3u) << row[0].text;
    seen[t] = true;
    int64_t total = 0;
    for (size_t col = 1; col <= 3; ++col) {
      const size_t p = std::find(kClasses.begin(), kClasses.end(), header[col]) - kClasses.begin();
      ASSERT_LT(p, 3u);
      total += kMatrix[t][p];
      const Cell& cell = row[col];
      EXPECT_EQ(cell.text, std::to_string(kMatrix[t][p])) << kClasses[t] << " -> " << kClasses[p];
      // The hover text names the cell, so it is checked as well as the cell's position.
      const std::string names_the_cell = "true " + kClasses[t] + ", predicted " + kClasses[p] +
                                         ": " + std::to_string(kMatrix[t][p]) + " of ";
      EXPECT_EQ(attribute(cell, "title").rfind(names_the_cell, 0), 0u) << attribute(cell, "title");
      EXPECT_EQ(attribute(cell, "class") == "diag", t == p) << kClasses[t] << " -> " << kClasses[p];
    }
    EXPECT_EQ(row[4].text, std::to_string(total));
  }
  EXPECT_EQ(seen, std::vector<bool>(3, true));
  EXPECT_EQ(texts(rows[4]), (std::vector<std::string>{"predicted", "6", "3", "2", "11"}));
  // The share on hover: 2 of Scratch's 3 maps were predicted as Center.
  EXPECT_NE(confusion.find("title=\"true Scratch, predicted Center: 2 of 3 maps (66.7%)\""),
            std::string::npos);
  EXPECT_NE(inner_text(confusion).find("7 of 11 maps classified right"), std::string::npos);
  EXPECT_EQ(confusion.find("threshold"), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, SingleLabelShowsAccuracyAndClassesWithoutThresholdsOrTypes) {
  const std::string html = wdc::io::render_report_html(single_inputs());
  EXPECT_EQ(
      cards(html),
      (std::vector<std::pair<std::string, std::string>>{
          {"maps", "11"}, {"accuracy", "63.64%"}, {"macro F1", "0.5980"}, {"min F1", "0.4000"}}));
  const std::string classes = section(html, "labels");
  ASSERT_NE(classes, "");
  EXPECT_NE(classes.find("<h2>Classes</h2>"), std::string::npos);
  const auto rows = table_rows(classes);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(texts(rows[0]),
            (std::vector<std::string>{"class", "precision", "recall", "F1", "support"}));
  EXPECT_EQ(texts(rows[1]),
            (std::vector<std::string>{"Center", "0.6667", "0.8000", "0.7273", "5"}));
  EXPECT_EQ(texts(rows[2]),
            (std::vector<std::string>{"Edge-Ring", "0.6667", "0.6667", "0.6667", "3"}));
  EXPECT_EQ(texts(rows[3]),
            (std::vector<std::string>{"Scratch", "0.5000", "0.3333", "0.4000", "3"}));
  EXPECT_NE(inner_text(classes).find("most probable class"), std::string::npos);
  // Nothing about thresholds, exact match, Hamming accuracy or pattern types anywhere.
  for (const char* absent : {"threshold", "exact match", "Hamming", "Pattern types", "id=\"types\"",
                             "Decisions per label"})
    EXPECT_EQ(html.find(absent), std::string::npos) << absent;
  EXPECT_EQ(nav_links(html),
            (std::vector<std::string>{"Summary", "Training", "Classes", "Confusion",
                                      "Class activation maps", "Unknown maps"}));
  // The validation curve and the best epoch speak of accuracy.
  EXPECT_NE(html.find(">Validation accuracy</text>"), std::string::npos);
  EXPECT_NE(html.find("2 (validation accuracy 62.00%)"), std::string::npos);
  EXPECT_NE(html.find("single-label, 3 classes"), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, SingleLabelGalleryIsGroupedByClass) {
  const std::string html = wdc::io::render_report_html(single_inputs());
  const std::string gallery = section(html, "gallery");
  // Each class heads its group once (type_id and type_name are both the class), with how many
  // of its maps are shown and its recall.
  EXPECT_NE(gallery.find("<h3>Scratch<span class=\"note\"> (1 of 3 maps, recall 33.33%)</span>"),
            std::string::npos);
  EXPECT_NE(gallery.find("<h3>Center<span class=\"note\"> (1 of 5 maps, recall 80.00%)</span>"),
            std::string::npos);
  EXPECT_EQ(gallery.find("Scratch Scratch"), std::string::npos);
  EXPECT_NE(gallery.find("<div>true: Scratch</div><div>predicted: Center</div><div>CAM of Center "
                         "(p 0.600)</div><div class=\"bad\">wrong</div>"),
            std::string::npos);
  EXPECT_NE(gallery.find("each class"), std::string::npos);
  EXPECT_EQ(embedded_pngs(html).size(), 2u);
}

TEST(ReportHtml, SingleLabelWithoutEvaluationStillDrawsTheMatrix) {
  ReportInputs in = single_inputs();
  in.eval_json.clear();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_NE(html.find("No evaluation was given."), std::string::npos);
  EXPECT_EQ(section(html, "labels"), "");
  EXPECT_EQ(nav_links(html), (std::vector<std::string>{"Summary", "Training", "Confusion",
                                                       "Class activation maps", "Unknown maps"}));
  const auto rows = table_rows(section(html, "confusion"));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(texts(rows[3]), (std::vector<std::string>{"Scratch", "2", "0", "1", "3"}));
  EXPECT_EQ(html.find("threshold"), std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, TheTaskComesFromTheModelThenTheEvaluation) {
  // Without a task in the model's config the evaluation's decides.
  ReportInputs in = single_inputs();
  json info = single_info();
  info["config"].erase("task");
  in.info_json = info.dump();
  EXPECT_NE(section(wdc::io::render_report_html(in), "labels").find("<h2>Classes</h2>"),
            std::string::npos);
  // Neither says single-label: the multi-label page, thresholds and all.
  json eval = single_eval();
  eval.erase("task");
  in.eval_json = eval.dump();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_NE(html.find("<h2>Labels</h2>"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"n\">threshold</th>"), std::string::npos);
}

TEST(ReportHtml, SingleLabelEscapesClassNames) {
  ReportInputs in = single_inputs();
  json info = single_info(), eval = single_eval();
  info["labels"][2] = "<b>&";
  eval["labels"][2]["name"] = "<b>&";
  in.info_json = info.dump();
  in.eval_json = eval.dump();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"n\">&lt;b&gt;&amp;</th>"), std::string::npos);  // matrix
  EXPECT_NE(html.find("<th scope=\"row\">&lt;b&gt;&amp;</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;b&gt;&amp;</td>"), std::string::npos);  // classes table
  EXPECT_NE(html.find("title=\"true &lt;b&gt;&amp;, predicted Center: 2 of 3 maps (66.7%)\""),
            std::string::npos);
  EXPECT_EQ(tag_structure_problem(html), "");
}

TEST(ReportHtml, MultiLabelPageKeepsExactMatchThresholdsAndTypes) {
  // A multi-label model and evaluation that name their task, as they now do.
  ReportInputs in = inputs();
  json info = info_json(true), eval = eval_json();
  info["config"]["task"] = "multi_label";
  eval["task"] = "multi_label";
  in.info_json = info.dump();
  in.eval_json = eval.dump();
  const std::string html = wdc::io::render_report_html(in);
  EXPECT_EQ(html, wdc::io::render_report_html(inputs()));  // the same page as without a task
  EXPECT_EQ(cards(html),
            (std::vector<std::pair<std::string, std::string>>{{"maps", "4"},
                                                              {"exact match", "97.50%"},
                                                              {"Hamming accuracy", "99.66%"},
                                                              {"mean F1", "0.9862"},
                                                              {"min F1", "0.9333"}}));
  const auto labels = table_rows(section(html, "labels"));
  ASSERT_EQ(labels.size(), 9u);
  EXPECT_EQ(texts(labels[0]), (std::vector<std::string>{"label", "threshold", "precision", "recall",
                                                        "F1", "support"}));
  EXPECT_EQ(texts(labels[5]),
            (std::vector<std::string>{"Loc", "0.30", "0.9875", "0.9632", "0.9752", "3"}));
  EXPECT_EQ(count(section(html, "confusion"), "<table"), 2u);  // decisions and co-occurrence
  EXPECT_NE(section(html, "types"), "");
  EXPECT_EQ(nav_links(html),
            (std::vector<std::string>{"Summary", "Training", "Labels", "Confusion", "Pattern types",
                                      "Class activation maps", "Unknown maps"}));
  EXPECT_NE(html.find("3 (validation exact match 91.00%)"), std::string::npos);
}

TEST(ReportHtml, ClassConfusion) {
  // Rows: true Center predicted Donut; true Donut, a tie of Center and Donut (the first wins,
  // as train::decide picks); true Scratch predicted Scratch.
  const std::vector<float> p = {0.2f, 0.7f, 0.1f,  //
                                0.4f, 0.4f, 0.2f,  //
                                0.1f, 0.1f, 0.8f};
  const std::vector<uint8_t> t = {1, 0, 0,  //
                                  0, 1, 0,  //
                                  0, 0, 1};
  EXPECT_EQ(wdc::io::class_confusion(p, t, 3, 3), (std::vector<int64_t>{0, 1, 0,  //
                                                                        1, 0, 0,  //
                                                                        0, 0, 1}));
  EXPECT_EQ(wdc::io::class_confusion({}, {}, 0, 3), std::vector<int64_t>(9, 0));
  try {
    wdc::io::class_confusion(p, t, 2, 3);
    FAIL() << "expected an error";
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kInvalidArgument);
  }
  std::vector<uint8_t> no_class = t;
  no_class[4] = 0;  // map 1 (values 3..5) has no class
  try {
    wdc::io::class_confusion(p, no_class, 3, 3);
    FAIL() << "expected an error";
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("map 1"), std::string::npos) << e.what();
  }
  // The page refuses such inputs too.
  ReportInputs in = single_inputs();
  std::fill(in.truth.begin(), in.truth.begin() + 3, 0);
  EXPECT_THROW(wdc::io::render_report_html(in), wdc::Error);
}

// Renders `html` in headless Chromium into `rendered` (the DOM it parsed); false, for the caller
// to skip, when /usr/bin/chromium does not exist (scripts/install-deps.sh installs it).
bool render_in_chromium(const std::string& html, std::string& rendered) {
  const char* chromium = "/usr/bin/chromium";
  if (::access(chromium, X_OK) != 0) return false;
  const fs::path dir =
      fs::temp_directory_path() / ("wdc_report_html_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path page = dir / "index.html";
  const fs::path dom = dir / "dom.html";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
  }
  const std::string command = std::string("timeout 120 ") + chromium +
                              " --headless --disable-gpu --no-sandbox --no-first-run"
                              " --user-data-dir=" +
                              (dir / "profile").string() + " --dump-dom file://" + page.string() +
                              " > " + dom.string() + " 2>/dev/null";
  const int status = std::system(command.c_str());
  std::ifstream in(dom, std::ios::binary);
  rendered.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove_all(dir, ec);
  EXPECT_EQ(status, 0) << command;
  return true;
}

constexpr const char* kNoChromium =
    "/usr/bin/chromium is not installed: the page is not rendered in a browser (open a report "
    "written by `wdc report` in any browser to view it)";

// Renders the page in headless Chromium, when /usr/bin/chromium exists (scripts/install-deps.sh
// installs it; a machine without it skips), and checks that the browser parsed the whole
// document.
TEST(ReportHtml, RendersInHeadlessChromium) {
  std::string rendered;
  if (!render_in_chromium(wdc::io::render_report_html(inputs()), rendered))
    GTEST_SKIP() << kNoChromium;
  EXPECT_NE(rendered.find("Wafer-map classifier report"), std::string::npos);
  EXPECT_NE(rendered.find("id=\"gallery-C38\""), std::string::npos);
  EXPECT_EQ(count(rendered, "<img"), 3u);
  EXPECT_EQ(count(rendered, "<svg"), 3u);
  EXPECT_NE(rendered.find("</footer>"), std::string::npos);  // parsed to the end
}

TEST(ReportHtml, RendersASingleLabelPageInHeadlessChromium) {
  std::string rendered;
  if (!render_in_chromium(wdc::io::render_report_html(single_inputs()), rendered))
    GTEST_SKIP() << kNoChromium;
  EXPECT_NE(rendered.find("<h2>Classes</h2>"), std::string::npos);
  EXPECT_NE(rendered.find("<tfoot>"), std::string::npos);
  EXPECT_EQ(count(rendered, "<img"), 2u);
  EXPECT_NE(rendered.find("</footer>"), std::string::npos);  // parsed to the end
}

}  // namespace
