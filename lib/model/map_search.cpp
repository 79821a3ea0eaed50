#include "model/map_search.h"

#include "base/error.h"

namespace wdc {

search::MapIndex build_index(const Classifier& model, const data::WaferSet& set) {
  data::WaferSet labels;  // the labels alone: the index keeps no maps
  labels.count = set.count;
  labels.labels = set.labels;
  labels.label_names = set.label_names;
  labels.single_label = set.single_label;
  return search::make_index(model.embed_set(set), model.embedding_size(), std::move(labels),
                            model.fingerprint());
}

void require_index_of(const Classifier& model, const search::MapIndex& index) {
  if (model.fingerprint() != index.model)
    fail(ErrorCode::kInvalidArgument, "the index was built by another model (fingerprint " +
                                          index.model + "): rebuild it with this model");
}

}  // namespace wdc
