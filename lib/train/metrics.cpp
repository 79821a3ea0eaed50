#include "train/metrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/error.h"
#include "data/mixedwm38.h"
#include "train/thresholds.h"

namespace wdc::train {

EvalReport evaluate_predictions(const std::vector<float>& probabilities,
                                const std::vector<uint8_t>& truth,
                                const std::vector<std::string>& names,
                                const std::vector<float>& thresholds, bool single_label) {
  const size_t L = names.size();
  if (L == 0 || thresholds.size() != L || probabilities.size() != truth.size() ||
      probabilities.size() % L != 0)
    fail(ErrorCode::kInvalidArgument, "evaluate: predictions, truth and labels disagree in size");
  return evaluate_decisions(decide(probabilities, thresholds, single_label), truth, names,
                            single_label);
}

EvalReport evaluate_decisions(const std::vector<uint8_t>& predicted,
                              const std::vector<uint8_t>& truth,
                              const std::vector<std::string>& names, bool single_label) {
  const size_t L = names.size();
  if (L == 0 || predicted.size() != truth.size() || predicted.size() % L != 0)
    fail(ErrorCode::kInvalidArgument, "evaluate: decisions, truth and labels disagree in size");
  EvalReport r;
  r.samples = static_cast<int64_t>(predicted.size() / L);
  std::vector<int64_t> tp(L), fp(L), fn(L);
  r.single_label = single_label;
  // Pattern types belong to MixedWM38's labels, recognised by name (the order may differ).
  const bool typed = !single_label && data::is_mixedwm38_label_set(names);
  std::vector<TypeMetrics> types(data::kNumPatternTypes);
  if (single_label) r.confusion.assign(L, std::vector<int64_t>(L, 0));
  int64_t exact = 0, label_hits = 0;
  for (int64_t s = 0; s < r.samples; ++s) {
    bool all = true;
    if (single_label) {
      const auto row = truth.begin() + static_cast<std::ptrdiff_t>(s * L);
      const auto guess = predicted.begin() + static_cast<std::ptrdiff_t>(s * L);
      const auto t =
          static_cast<size_t>(std::find(row, row + static_cast<std::ptrdiff_t>(L), 1) - row);
      const auto p =
          static_cast<size_t>(std::find(guess, guess + static_cast<std::ptrdiff_t>(L), 1) - guess);
      if (t == L)
        fail(ErrorCode::kInvalidArgument,
             "evaluate: map " + std::to_string(s) + " of a single-label set has no class");
      r.confusion[t][p] += 1;
    }
    for (size_t l = 0; l < L; ++l) {
      const bool p = predicted[s * L + l] != 0;
      const bool t = truth[s * L + l] != 0;
      tp[l] += p && t;
      fp[l] += p && !t;
      fn[l] += !p && t;
      all = all && p == t;
      label_hits += p == t;
    }
    exact += all;
    if (typed) {
      const int type = data::pattern_type_of_named(names, truth.data() + s * L);
      if (type >= 0) {
        types[type].count += 1;
        types[type].correct += all;
      }
    }
  }
  if (r.samples > 0) {
    r.exact_match = static_cast<double>(exact) / r.samples;
    r.hamming = static_cast<double>(label_hits) / (r.samples * L);
  }
  r.min_f1 = 1;
  for (size_t l = 0; l < L; ++l) {
    LabelMetrics m;
    m.name = names[l];
    m.support = tp[l] + fn[l];
    if (tp[l] + fp[l] + fn[l] == 0) {
      m.precision = m.recall = m.f1 = 1;
    } else {
      m.precision = tp[l] + fp[l] ? static_cast<double>(tp[l]) / (tp[l] + fp[l]) : 0;
      m.recall = tp[l] + fn[l] ? static_cast<double>(tp[l]) / (tp[l] + fn[l]) : 0;
      m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall)
                                        : 0;
    }
    r.mean_f1 += m.f1 / L;
    r.min_f1 = std::min(r.min_f1, m.f1);
    r.labels.push_back(m);
  }
  for (int t = 0; t < data::kNumPatternTypes; ++t) {
    if (types[t].count == 0) continue;
    types[t].id = data::kPatternTypes[t].id;
    types[t].name = data::kPatternTypes[t].name;
    r.types.push_back(types[t]);
  }
  return r;
}

nlohmann::json to_json(const EvalReport& r) {
  nlohmann::json labels = nlohmann::json::array(), types = nlohmann::json::array();
  for (const LabelMetrics& m : r.labels)
    labels.push_back({{"name", m.name},
                      {"precision", m.precision},
                      {"recall", m.recall},
                      {"f1", m.f1},
                      {"support", m.support}});
  if (r.single_label)
    return nlohmann::json{{"task", "single_label"},    {"samples", r.samples},
                          {"accuracy", r.exact_match}, {"macro_f1", r.mean_f1},
                          {"min_f1", r.min_f1},        {"labels", labels},
                          {"confusion", r.confusion}};
  for (const TypeMetrics& t : r.types)
    types.push_back({{"id", t.id},
                     {"name", t.name},
                     {"count", t.count},
                     {"correct", t.correct},
                     {"accuracy", t.accuracy()}});
  return nlohmann::json{
      {"task", "multi_label"}, {"samples", r.samples}, {"exact_match", r.exact_match},
      {"hamming", r.hamming},  {"mean_f1", r.mean_f1}, {"min_f1", r.min_f1},
      {"labels", labels},      {"types", types}};
}

}  // namespace wdc::train
