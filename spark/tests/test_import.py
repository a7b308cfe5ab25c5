"""`incident-atlas vectors import` against hostile Parquet: every bad file is refused with
a clear message and leaves the project as it was. The files are written with pyarrow in
the shape the Spark job writes, then broken one way each."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spark_helpers import atlas, atlas_fails, default_model, new_project, stored_vectors, vector_count

from incident_atlas import Encoder


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("import")
    csv = root / "reports.csv"
    atlas("demo-data", "--rows", "60", "--seed", "4", "--out", str(csv))
    project = new_project(root, csv, "project")
    import csv as csvmod

    with open(csv, newline="", encoding="utf-8") as f:
        rows = list(csvmod.DictReader(f))
    ids = [r["RP01_report_id"] for r in rows]
    texts = [r["IN07_description_of_what_happened"] for r in rows]
    encoder = Encoder(str(default_model()))
    return root, project, ids, encoder.encode(texts), encoder


def write(path, ids, vectors, sha, provenance, fields="description", vector_type=pa.float32()):
    vector = pa.array([list(map(float, v)) if v is not None else None for v in vectors], pa.list_(vector_type))
    n = len(ids)
    table = pa.table({
        "id": pa.array(ids, pa.string()),
        "vector": vector,
        "weights_sha256": pa.array([sha] * n, pa.string()),
        "provenance": pa.array([provenance] * n, pa.string()),
        "text_fields": pa.array([fields] * n, pa.string()),
    })
    pq.write_table(table, path, row_group_size=25)
    return path


def test_a_good_file_imports_and_a_second_import_changes_nothing(setup, tmp_path):
    root, project, ids, vectors, encoder = setup
    # Two part files in a folder, as Spark writes them, with its marker files beside.
    folder = tmp_path / "out.parquet"
    folder.mkdir()
    write(folder / "part-00000.parquet", ids[:30], vectors[:30], encoder.weights_sha256, encoder.provenance)
    write(folder / "part-00001.parquet", ids[30:], vectors[30:], encoder.weights_sha256, encoder.provenance)
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000.parquet.crc").write_bytes(b"\x00\x01")
    other = tmp_path / "other"
    other.mkdir()
    project2 = new_project(other, root / "reports.csv", "p")
    out = json.loads(atlas("--project", str(project2), "--json", "vectors", "import", str(folder), "--model", "all-MiniLM-L6-v2"))
    assert out["imported"] == 60 and out["files"] == 2 and out["precision"] == "int8"
    stored = stored_vectors(project2, "all-MiniLM-L6-v2")
    assert np.array_equal(np.stack([stored[i][1] for i in ids]), vectors)
    again = json.loads(atlas("--project", str(project2), "--json", "vectors", "import", str(folder), "--model", "all-MiniLM-L6-v2"))
    assert again["imported"] == 0 and again["already"] == 60
    # The imported vectors serve search like encoded ones.
    assert "IA-" in atlas("--project", str(project2), "similar", ids[0], "-k", "3")


def broken_files(tmp_path, ids, vectors, encoder):
    sha, prov = encoder.weights_sha256, encoder.provenance
    nan = vectors.copy()
    nan[3, 5] = np.nan
    long = vectors.copy() * 2
    cases = {
        "other weights": (write(tmp_path / "sha.parquet", ids, vectors, "0" * 64, prov), "other weights"),
        "unknown report": (write(tmp_path / "unknown.parquet", ids[:-1] + ["NOT-IN-PROJECT"], vectors, sha, prov), "not in this project"),
        "duplicate id": (write(tmp_path / "dup.parquet", ids[:-1] + [ids[0]], vectors, sha, prov), "more than once"),
        "NaN": (write(tmp_path / "nan.parquet", ids, nan, sha, prov), "NaN"),
        "not normalised": (write(tmp_path / "long.parquet", ids, long, sha, prov), "not 1"),
        "wrong dimension": (write(tmp_path / "dim.parquet", ids, vectors[:, :100], sha, prov), "values each"),
        "ragged": (write(tmp_path / "ragged.parquet", ids[:2], [vectors[0], vectors[1][:10]], sha, prov), "length"),
        "null vector": (write(tmp_path / "null.parquet", ids[:2], [vectors[0], None], sha, prov), "null"),
        "double vectors": (write(tmp_path / "f64.parquet", ids, vectors, sha, prov, vector_type=pa.float64()), "not a list of FLOAT"),
        "other text": (write(tmp_path / "fields.parquet", ids, vectors, sha, prov, fields="all"), "text fields"),
        "bad provenance": (write(tmp_path / "prov.parquet", ids, vectors, sha, "not json"), "provenance"),
    }
    table = pq.read_table(tmp_path / "sha.parquet").drop_columns(["weights_sha256"])
    pq.write_table(table, tmp_path / "nocol.parquet")
    cases["missing column"] = (tmp_path / "nocol.parquet", "no column \"weights_sha256\"")
    (tmp_path / "random.parquet").write_bytes(np.random.default_rng(1).bytes(5000))
    cases["not parquet"] = (tmp_path / "random.parquet", "not a Parquet file")
    good = (tmp_path / "unknown.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(good[: len(good) // 2])
    cases["truncated"] = (tmp_path / "cut.parquet", "Parquet")
    (tmp_path / "empty").mkdir()
    cases["empty folder"] = (tmp_path / "empty", "no .parquet files")
    cases["missing path"] = (tmp_path / "nowhere.parquet", "cannot read")
    return cases


def test_hostile_files_are_refused_and_change_nothing(setup, tmp_path):
    root, project, ids, vectors, encoder = setup
    before = vector_count(project)
    for name, (path, message) in broken_files(tmp_path, ids, vectors, encoder).items():
        err = atlas_fails("--project", str(project), "vectors", "import", str(path), "--model", "all-MiniLM-L6-v2")
        assert message in err, f"{name}: {err}"
        assert "panicked" not in err, f"{name}: {err}"
        assert vector_count(project) == before, f"{name} left vectors behind"
    err = atlas_fails("--project", str(project), "vectors", "import", str(tmp_path / "sha.parquet"), "--model", "no-such-model")
    assert "no model" in err
