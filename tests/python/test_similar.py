"""Embeddings and similar-map search in Python: unit-length embeddings that agree however the
maps are passed, an index whose answers are the largest dot products of those embeddings, save
and load, and refusal of another model's index."""

import numpy as np
import pytest

import wdc


@pytest.fixture(scope="module")
def model():
    return wdc.Model.load_builtin(threads=2)


@pytest.fixture(scope="module")
def library():
    return wdc.synth(30, seed=4)


def test_embeddings_are_unit_length_and_agree(model, library):
    maps, _ = library
    e = model.embed(maps)
    assert e.shape == (30, model.embedding_size) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(model.embed(maps[3]), e[3], atol=1e-6)
    np.testing.assert_allclose(model.embed(list(maps[:2])), e[:2], atol=1e-6)
    assert model.embed(maps[:0]).shape == (0, model.embedding_size)


def test_index_search_answers_the_largest_dot_products(model, library, tmp_path):
    maps, labels = library
    index = wdc.MapIndex.build(model, (maps, labels))
    assert len(index) == 30 and index.model == model.fingerprint
    assert index.label_names == list(wdc.LABELS)
    np.testing.assert_array_equal(index.labels, labels)
    e = model.embed(maps)
    found, similarity = index.search(model, maps[:5], k=4)
    assert found.shape == (5, 4) and similarity.shape == (5, 4)
    for q in range(5):
        expected = e @ e[q]
        # The k largest, in order (recomputed here with numpy).
        np.testing.assert_allclose(similarity[q], np.sort(expected)[::-1][:4], atol=1e-5)
        np.testing.assert_allclose(similarity[q], expected[found[q]], atol=1e-5)
    assert (similarity[:, 0] > 0.999).all()

    index.save(tmp_path / "index.npz")
    loaded = wdc.MapIndex.load(tmp_path / "index.npz")
    again, _ = loaded.search(model, maps[:5], k=4)
    np.testing.assert_array_equal(again, found)
    # numpy reads the file as it is documented.
    with np.load(tmp_path / "index.npz") as z:
        assert set(z.files) == {"embeddings", "labels", "label_names", "model"}
        np.testing.assert_allclose(z["embeddings"], loaded.embeddings)


def test_index_refuses_another_model_and_bad_k(model, library):
    maps, labels = library
    index = wdc.MapIndex.build(model, (maps, labels))
    other = wdc.Model.create({"blocks": [{"channels": 8, "stride": 2}]})
    with pytest.raises(wdc.InvalidArgument, match="another model"):
        index.search(other, maps[:1])
    with pytest.raises(wdc.InvalidArgument):
        index.search(model, maps[:1], k=0)
    found, similarity = index.search(model, maps[0], k=100)
    assert found.shape == (30,) and similarity.shape == (30,)


def test_a_data_file_is_not_an_index(tmp_path, library):
    maps, labels = library
    wdc.save_npz(tmp_path / "data.npz", maps, labels)
    with pytest.raises(wdc.FormatError, match="not a map index"):
        wdc.MapIndex.load(tmp_path / "data.npz")
