// The HTML report of a classifier on a labelled data set (what `wdc report` and wdc_report
// write): runs the model over the maps, evaluates, draws the class activation maps of a few maps
// per pattern type, and hands the pieces to io/report_html to format.
#pragma once

#include <cstdint>
#include <string>

#include "data/wafer_set.h"
#include "model/classifier.h"

namespace wdc {

struct ReportOptions {
  int per_type = 3;  // CAM pictures per pattern type, 0-100
  int scale = 3;     // pixels per die in the pictures, 1-16
  // How the page names the model and the data (a path, "built-in mixedwm38-dcn").
  std::string model_name = "model", data_name = "data";
};

struct ReportSummary {
  std::string path;  // out_dir/index.html
  // types: gallery groups (pattern types, or classes of a single-label model)
  int64_t bytes = 0, samples = 0, pictures = 0, types = 0;
  double exact_match = 0;  // the accuracy, for a single-label model
  bool single_label = false;
  int64_t unknown = 0;  // maps above the model's novelty threshold (0 without novelty)
};

// Writes out_dir/index.html (creating out_dir), atomically. Error(kInvalidArgument) for an empty
// set or an out_dir that is a file, kUnsupported for a model without MixedWM38's 8 labels,
// kConfig for options out of range, kIo when the page cannot be written.
ReportSummary write_report(const Classifier& model, const data::WaferSet& set,
                           const std::string& out_dir, const ReportOptions& options);

}  // namespace wdc
