// The live wdc_model handles. A handle is checked against the table before it is
// dereferenced, so a freed or never-created pointer gives WDC_E_MISUSE instead of a crash; the
// magic value inside a handle is a second check (and is overwritten on free).
#include "capi_internal.h"

void wdc_model::refresh_label_names() const {
  std::lock_guard<std::mutex> lock(label_lists_mutex);
  const std::vector<std::string>& now = classifier->label_names();
  if (current_labels.load() != nullptr && *current_labels.load() == now) return;
  label_lists.push_back(now);
  current_labels.store(&label_lists.back());
}

namespace wdc::capi {

wdc_model* register_model(std::unique_ptr<Classifier> classifier) {
  auto model = std::make_unique<wdc_model>();
  model->classifier = std::move(classifier);
  model->refresh_label_names();
  live_table<wdc_model>().add(model.get());
  return model.release();
}

const wdc_model& live_model(const wdc_model* model) {
  if (model == nullptr) fail(ErrorCode::kMisuse, "model is NULL");
  if (!live_table<wdc_model>().contains(model))
    fail(ErrorCode::kMisuse,
         "model is not a live handle (already freed, or not made by wdc_create/wdc_load)");
  if (model->magic != wdc_model::kLiveMagic)
    fail(ErrorCode::kMisuse, "model handle is corrupt (bad magic value)");
  return *model;
}

bool release_model(wdc_model* model) noexcept {
  if (!live_table<wdc_model>().remove(model)) return false;
  // Best effort against use after free: a stale pointer whose memory was not reused fails the
  // magic check even if it were ever looked at without the table.
  model->magic = wdc_model::kDeadMagic;
  delete model;
  return true;
}

}  // namespace wdc::capi

using namespace wdc::capi;

extern "C" {

WDC_API void wdc_free(wdc_model* model) {
  if (model == nullptr) return;
  if (!release_model(model))
    set_last_error("wdc_free",
                   "model is not a live handle (already freed, or not made by wdc_create/"
                   "wdc_load); ignored");
}

WDC_API int32_t wdc_num_labels(const wdc_model* model) {
  int32_t count = -1;
  guarded("wdc_num_labels",
          [&] { count = static_cast<int32_t>(live_model(model).label_names().size()); });
  return count;
}

WDC_API const char* wdc_label_name(const wdc_model* model, int32_t index) {
  const char* name = nullptr;
  guarded("wdc_label_name", [&] {
    const auto& names = live_model(model).label_names();
    if (index < 0 || static_cast<size_t>(index) >= names.size())
      fail(wdc::ErrorCode::kInvalidArgument,
           "index " + std::to_string(index) + " is out of range [0, " +
               std::to_string(names.size()) + ")");
    name = names[static_cast<size_t>(index)].c_str();
  });
  return name;
}

WDC_API wdc_status wdc_input_size(const wdc_model* model, int64_t* height, int64_t* width) {
  return guarded("wdc_input_size", [&] {
    const wdc_model& m = live_model(model);
    require(height != nullptr, "height is NULL");
    require(width != nullptr, "width is NULL");
    const int64_t h = m.classifier->input_height(), w = m.classifier->input_width();
    *height = h;
    *width = w;
  });
}

}  // extern "C"
