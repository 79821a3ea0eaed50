// Training: translates the C progress callback to the classifier's and back.
#include <cstddef>

#include "capi_internal.h"

// The layout of wdc_progress is part of the ABI: the same on every platform.
static_assert(offsetof(wdc_progress, struct_size) == 0);
static_assert(offsetof(wdc_progress, epoch) == 4 && offsetof(wdc_progress, epochs) == 8);
static_assert(offsetof(wdc_progress, step) == 16 && offsetof(wdc_progress, steps) == 24);
static_assert(offsetof(wdc_progress, loss) == 32);
static_assert(offsetof(wdc_progress, val_exact_match) == 40 && sizeof(wdc_progress) == 48);

using namespace wdc::capi;

extern "C" {

WDC_API wdc_status wdc_train(wdc_model* model, const char* train_json, wdc_progress_fn progress,
                             void* user, char** report_json) {
  return guarded("wdc_train", [&] {
    const wdc_model& m = live_model(model);
    require(train_json != nullptr, "train_json is NULL");
    wdc::ProgressFn on_progress;
    if (progress != nullptr) {
      on_progress = [progress, user](const wdc::TrainProgress& p) {
        wdc_progress c{};
        c.struct_size = sizeof(wdc_progress);
        c.epoch = p.epoch;
        c.epochs = p.epochs;
        c.reserved = 0;
        c.step = p.step;
        c.steps = p.steps;
        c.loss = p.loss;
        c.val_exact_match = p.val_exact_match;
        return progress(&c, user) != 0;
      };
    }
    const std::string report = m.classifier->train(train_json, on_progress);
    if (report_json != nullptr) *report_json = copy_string(report);
  });
}

}  // extern "C"
