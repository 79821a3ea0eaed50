// The classifier and the map index together: an index built from a set with a model's
// embeddings, and the check that an index is queried only with the model that built it. Every
// door (the C ABI, Python) goes through here.
#pragma once

#include "data/wafer_set.h"
#include "model/classifier.h"
#include "search/map_index.h"

namespace wdc {

// Every map of `set` embedded by `model`, with the set's labels and the model's fingerprint.
search::MapIndex build_index(const Classifier& model, const data::WaferSet& set);

// Error(kInvalidArgument) unless `index` was built by `model` (same fingerprint): another
// model's embeddings live in another space, and comparing them would answer nonsense.
void require_index_of(const Classifier& model, const search::MapIndex& index);

}  // namespace wdc
