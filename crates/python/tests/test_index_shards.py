"""The wheel's index-shard writers, as the Spark job's executors and driver call them:
a written folder has the files and entries the desktop reads; bad input raises AtlasError
or TypeError and writes nothing."""

import json

import numpy as np
import pytest

from incident_atlas import SHARD_ROWS, AtlasError, write_index_manifest, write_index_shard

SHA = "ab" * 32
PROVENANCE = json.dumps({"weights_sha256": SHA, "precision": "int8"})


def unit_rows(n, d=8, seed=3):
    v = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_shards_and_manifest_are_written_with_their_entries(tmp_path):
    assert SHARD_ROWS == 262_144
    entries = [
        write_index_shard(str(tmp_path), 0, ["a", "b", "c"], unit_rows(3), SHA, "description", PROVENANCE),
        write_index_shard(str(tmp_path), 7, ["d"], unit_rows(1, seed=4), SHA, "description", PROVENANCE,
                          quantisation="f32", connectivity=16),
    ]
    first = json.loads(entries[0])
    assert first["name"] == "shard-000" and first["rows"] == 3 and first["precision"] == "int8"
    assert json.loads((tmp_path / "shard-000.ids.json").read_text()) == ["a", "b", "c"]
    assert (tmp_path / "shard-007.usearch").stat().st_size > 0
    # The driver collects the entries in any order, a retried task's twice.
    manifest = json.loads(write_index_manifest(str(tmp_path), [entries[1], entries[0], entries[0]]))
    assert manifest["rows"] == 4 and [s["name"] for s in manifest["shards"]] == ["shard-000", "shard-007"]
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest


@pytest.mark.parametrize("ids, vectors, kwargs, says", [
    (["a", "b"], unit_rows(3), {}, "not rows of"),
    (["a", "a"], unit_rows(2), {}, "more than once"),
    (["a"], np.full((1, 8), np.nan, np.float32), {}, "NaN"),
    (["a"], unit_rows(1) * 3, {}, "not 1"),
    (["a"], unit_rows(1), {"weights_sha256": "not-a-hash"}, "SHA-256"),
    (["a"], unit_rows(1), {"text_fields": "everything"}, "text fields"),
    (["a"], unit_rows(1), {"provenance": "{broken"}, "not JSON"),
    (["a"], unit_rows(1), {"quantisation": "f64"}, "quantisation"),
    (["a"], unit_rows(1), {"connectivity": 1}, "connectivity"),
    (["a"], unit_rows(1), {"number": 10_000_000}, "too large"),
])
def test_bad_shard_input_raises_and_writes_nothing(tmp_path, ids, vectors, kwargs, says):
    args = dict(dir=str(tmp_path / "out"), number=0, ids=ids, vectors=vectors, weights_sha256=SHA,
                text_fields="description", provenance=PROVENANCE)
    args.update(kwargs)
    with pytest.raises(AtlasError, match=says):
        write_index_shard(**args)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.usearch"))


def test_wrong_types_and_bad_entries_raise(tmp_path):
    with pytest.raises(TypeError):
        write_index_shard(str(tmp_path), 0, ["a"], unit_rows(1).astype(np.float64), SHA, "description", PROVENANCE)
    with pytest.raises(TypeError):
        write_index_shard(str(tmp_path), 0, ["a"], unit_rows(1)[0], SHA, "description", PROVENANCE)
    with pytest.raises(TypeError):
        write_index_shard(str(tmp_path), 0, [1], unit_rows(1), SHA, "description", PROVENANCE)
    with pytest.raises(AtlasError, match="not a shard entry"):
        write_index_manifest(str(tmp_path), ['{"name": "shard-000"}'])
    with pytest.raises(AtlasError, match="no shards"):
        write_index_manifest(str(tmp_path), [])
    a = write_index_shard(str(tmp_path), 0, ["a"], unit_rows(1), SHA, "description", PROVENANCE)
    b = write_index_shard(str(tmp_path), 1, ["b"], unit_rows(1), "cd" * 32, "description", PROVENANCE)
    with pytest.raises(AtlasError, match="other weights"):
        write_index_manifest(str(tmp_path), [a, b])
    assert not (tmp_path / "manifest.json").exists()
