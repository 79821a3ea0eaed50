// The HTML report of a model on a labelled data set: what `wdc report` writes. One self-contained
// page (inline CSS, inline SVG charts, PNG pictures embedded as data: URIs, no script and nothing
// fetched from the network) with the model's training curves, the evaluation metrics, a
// confusion view of the labels and a gallery of class activation maps. A multi-label model's
// page shows per-label decisions at its thresholds and MixedWM38's pattern types; a
// single-label model's (one class per map, the most probable decides) shows accuracy, macro F1
// and the class confusion matrix, and no thresholds.
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
  // Its true pattern type ("C12", "C+L"), or for a single-label model its true class (both
  // the class name); groups the gallery.
  std::string type_id, type_name;
  std::vector<std::string> true_labels, predicted_labels;
  std::string cam_label;       // the label whose CAM is drawn (single-label: the predicted class)
  double cam_probability = 0;  // the model's probability of that label
  bool correct = false;        // every label predicted as labelled
  std::vector<uint8_t> png;    // the picture, PNG bytes (see io/cam_png.h)
  double novelty = 0;          // the map's novelty (pictures of unknown maps)
};

struct ReportInputs {
  // Shown in the page's header; any may be empty.
  std::string model_path, data_path, generated;
  // Classifier::info(): labels, thresholds, config (its "task": "single_label" or
  // "multi_label"), training.history (may be empty).
  std::string info_json;
  // The evaluation (`wdc eval --json` schema). Multi-label: task, samples, exact_match, hamming,
  // mean_f1, min_f1, labels[{name, precision, recall, f1, support}], types[{id, name, count,
  // correct, accuracy}]. Single-label: task "single_label", samples, accuracy, macro_f1, min_f1,
  // labels, confusion. Empty: the page has no metrics sections.
  // The page is a single-label one when info's config.task says so, or, with no task in info,
  // when the evaluation's does.
  std::string eval_json;
  // samples x labels, row-major, in info's label order: the model's probabilities and the true
  // labels (0/1). A label counts as predicted when its probability reaches its threshold
  // (info's "thresholds", 0.5 for a label without one). Single-label: softmax rows, one-hot
  // truth, and the most probable class is the prediction.
  int64_t samples = 0;
  std::vector<float> probabilities;
  std::vector<uint8_t> truth;
  // In display order; pictures of one type_id are shown together, types in order of first
  // appearance.
  std::vector<ReportPicture> gallery;
  // The maps above the novelty threshold (info's "novelty" says how it was calibrated; a model
  // without it has no such section): how many, and pictures of the most novel, most novel first.
  int64_t unknown = 0;
  std::vector<ReportPicture> unknown_pictures;
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

// Single-label: the class confusion matrix of `probabilities` (softmax rows) against one-hot
// `truth`, both samples x classes. classes x classes, row-major: cell (t, p) counts the maps of
// true class t whose most probable class is p (the first of equal maxima, as train::decide
// picks). Throws wdc::Error(kInvalidArgument) when the sizes disagree or a truth row holds no
// class.
std::vector<int64_t> class_confusion(const std::vector<float>& probabilities,
                                     const std::vector<uint8_t>& truth, int64_t samples,
                                     size_t classes);

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
// probabilities or labels do not have samples x labels values (or, single-label, a map has no
// true class).
std::string render_report_html(const ReportInputs& inputs);

}  // namespace wdc::io
