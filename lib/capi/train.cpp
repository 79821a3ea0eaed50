// Training, from files or from data sets in memory: translates the C progress callback to the
// classifier's and back.
#include <cstddef>

#include "capi_internal.h"
#include "model/cross_validation.h"

// The layout of wdc_progress is part of the ABI: the same on every platform.
static_assert(offsetof(wdc_progress, struct_size) == 0);
static_assert(offsetof(wdc_progress, epoch) == 4 && offsetof(wdc_progress, epochs) == 8);
static_assert(offsetof(wdc_progress, step) == 16 && offsetof(wdc_progress, steps) == 24);
static_assert(offsetof(wdc_progress, loss) == 32);
static_assert(offsetof(wdc_progress, val_exact_match) == 40);
static_assert(offsetof(wdc_progress, fold) == 48 && offsetof(wdc_progress, folds) == 52);
static_assert(sizeof(wdc_progress) == 56);

using namespace wdc::capi;

namespace {

// The classifier's view of a C progress callback (none for NULL).
wdc::ProgressFn progress_relay(wdc_progress_fn progress, void* user) {
  if (progress == nullptr) return {};
  return [progress, user](const wdc::TrainProgress& p) {
    wdc_progress c{};
    c.struct_size = sizeof(wdc_progress);
    c.epoch = p.epoch;
    c.epochs = p.epochs;
    c.reserved = 0;
    c.step = p.step;
    c.steps = p.steps;
    c.loss = p.loss;
    c.val_exact_match = p.val_exact_match;
    c.fold = p.fold;
    c.folds = p.folds;
    return progress(&c, user) != 0;
  };
}

// Training may give the model its data's label names, even when it then fails: the handle's
// copy follows on every way out.
struct LabelRefresh {
  const wdc_model& model;
  ~LabelRefresh() {
    try {
      model.refresh_label_names();
    } catch (...) {  // out of memory: the old names stay, which only a later call corrects
    }
  }
};

}  // namespace

extern "C" {

WDC_API wdc_status wdc_train(wdc_model* model, const char* train_json, wdc_progress_fn progress,
                             void* user, char** report_json) {
  return guarded("wdc_train", [&] {
    const wdc_model& m = live_model(model);
    require(train_json != nullptr, "train_json is NULL");
    const LabelRefresh refresh{m};
    const std::string report = m.classifier->train(train_json, progress_relay(progress, user));
    if (report_json != nullptr) *report_json = copy_string(report);
  });
}

WDC_API wdc_status wdc_train_dataset(wdc_model* model, const char* train_json,
                                     const wdc_dataset* data, const wdc_dataset* val,
                                     wdc_progress_fn progress, void* user, char** report_json) {
  return guarded("wdc_train_dataset", [&] {
    const wdc_model& m = live_model(model);
    require(train_json != nullptr, "train_json is NULL");
    wdc::TrainSets given;
    given.train = &live_dataset(data);
    if (val != nullptr) given.val = &live_dataset(val);
    const LabelRefresh refresh{m};
    const std::string report =
        m.classifier->train(train_json, progress_relay(progress, user), given);
    if (report_json != nullptr) *report_json = copy_string(report);
  });
}

WDC_API wdc_status wdc_cross_validate(wdc_model* model, const char* options_json,
                                      const wdc_dataset* data, const wdc_dataset* val,
                                      wdc_progress_fn progress, void* user, char** report_json) {
  return guarded("wdc_cross_validate", [&] {
    const wdc_model& m = live_model(model);
    const wdc::data::WaferSet& first = live_dataset(data);
    const wdc::data::WaferSet* more = val != nullptr ? &live_dataset(val) : nullptr;
    const std::string report = wdc::cross_validate(*m.classifier, options_json ? options_json : "",
                                                   first, more, progress_relay(progress, user));
    if (report_json != nullptr) *report_json = copy_string(report);
  });
}

}  // extern "C"
