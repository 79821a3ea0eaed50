// The HTML report of a model on a labelled data set: what `wdc report` writes. One self-contained
// page (inline CSS, inline SVG charts, PNG pictures embedded as data: URIs, no script and nothing
// fetched from the network) with the model's training curves, the evaluation metrics, a
// confusion view of the labels and a gallery of class activation maps.
//
// Pure: it formats pieces computed elsewhere (Classifier::info(), the evaluation JSON, the
// predicted probabilities, the true labels, PNG bytes), so it needs no LibTorch and no files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wdc::io {

// One picture of the gallery: a map with the CAM of one label drawn over it.
struct ReportPicture {
  int64_t index = 0;               // the map's index in the data file
  std::string type_id, type_name;  // its true pattern type ("C12", "C+L"); groups the gallery
  std::vector<std::string> true_labels, predicted_labels;
  std::string cam_label;       // the label whose CAM is drawn
  double cam_probability = 0;  // the model's probability of that label
  bool correct = false;        // every label predicted as labelled
  std::vector<uint8_t> png;    // the picture, PNG bytes (see io/cam_png.h)
};

struct ReportInputs {
  // Shown in the page's header; any may be empty.
  std::string model_path, data_path, generated;
  // Classifier::info(): labels, thresholds, config, training.history (may be empty).
  std::string info_json;
  // The evaluation (`wdc eval --json` schema: samples, exact_match, hamming, mean_f1, min_f1,
  // labels[{name, precision, recall, f1, support}], types[{id, name, count, correct, accuracy}]).
  // Empty: the page has no metrics sections.
  std::string eval_json;
  // samples x labels, row-major, in info's label order: the model's probabilities and the true
  // labels (0/1). A label counts as predicted when its probability reaches its threshold
  // (info's "thresholds", 0.5 for a label without one).
  int64_t samples = 0;
  std::vector<float> probabilities;
  std::vector<uint8_t> truth;
  // In display order; pictures of one type_id are shown together, types in order of first
  // appearance.
  std::vector<ReportPicture> gallery;
};

// Per-label decision counts at the thresholds.
struct LabelCounts {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
};

struct Confusion {
  std::vector<LabelCounts> labels;    // one per label
  std::vector<int64_t> cooccurrence;  // labels x labels, row-major: maps where label i is
                                      // truly present and label j is predicted
};

// The counts of `probabilities` against `truth` (both samples x thresholds.size()).
// Throws wdc::Error(kInvalidArgument) when the sizes disagree.
Confusion confusion_counts(const std::vector<float>& probabilities,
                           const std::vector<uint8_t>& truth, int64_t samples,
                           const std::vector<float>& thresholds);

// The thresholds of a model described by Classifier::info() JSON text ("thresholds": an array
// in label order or an object by label name), 0.5 for a label without one.
// Throws wdc::Error(kFormat) when `info_json` is not valid JSON.
std::vector<float> report_thresholds(const std::string& info_json);

// `text` with &, <, >, " and ' replaced by character references (for text and attribute values).
std::string html_escape(std::string_view text);

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const uint8_t* bytes, size_t size);

// The whole page, UTF-8. Every piece of text taken from the inputs is escaped.
// Throws wdc::Error(kFormat) on malformed JSON and wdc::Error(kInvalidArgument) when the
// probabilities or labels do not have samples x labels values.
std::string render_report_html(const ReportInputs& inputs);

}  // namespace wdc::io
