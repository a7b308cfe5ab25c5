"""Assignment on Spark: a run exported from the desktop (`run export`), reports placed into
it by the job's `--assign` on the executors, equal to the desktop's own `assign` of the
same reports; and the wheel's Assigner against damaged exports and bad vectors."""

import csv
import json
import shutil
import sqlite3

import numpy as np
import pytest

from incident_atlas import Assigner, AtlasError, Encoder

from spark_helpers import atlas, atlas_fails, default_model, new_project
from test_spark_job import run_job


def split_csv(source, first, rest, n_first):
    with open(source, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for path, part in ((first, rows[:n_first]), (rest, rows[n_first:])):
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(part)
    return [r["RP01_report_id"] for r in rows[n_first:]]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("assign")
    atlas("demo-data", "--rows", "2400", "--seed", "8", "--out", str(root / "all.csv"))
    new_ids = split_csv(root / "all.csv", root / "fit.csv", root / "new.csv", 1800)
    project = new_project(root, root / "fit.csv", "project")
    atlas("--project", str(project), "encode", "--model", "all-MiniLM-L6-v2", "-q")
    atlas("--project", str(project), "analyse", "--model", "all-MiniLM-L6-v2", "-q")
    atlas("--project", str(project), "run", "export", "--out", str(root / "run-export"))
    return root, project, new_ids


def test_spark_assignment_equals_the_desktops(exported):
    root, project, new_ids = exported
    summary, _ = run_job("--input", str(root / "new.csv"), "--model", str(default_model()),
                         "--output", str(root / "assigned.parquet"), "--assign", str(root / "run-export"))
    assert summary["reports"] == len(new_ids)
    import pyarrow.parquet as pq

    table = pq.read_table(root / "assigned.parquet", columns=["id", "cluster", "base_cluster", "run_id"]).to_pydict()
    spark = {i: (c, b) for i, c, b in zip(table["id"], table["cluster"], table["base_cluster"])}
    # The desktop: the same reports imported after the run, encoded and assigned into it.
    atlas("--project", str(project), "ingest", str(root / "new.csv"), "-q")
    atlas("--project", str(project), "encode", "--model", "all-MiniLM-L6-v2", "-q")
    atlas("--project", str(project), "assign", "--run", str(table["run_id"][0]), "-q")
    with sqlite3.connect(project / "atlas.sqlite") as db:
        desktop = {r[0]: (r[1], r[2]) for r in db.execute(
            "SELECT i.external_id, m.cluster, m.base_cluster FROM cluster_members m JOIN incidents i "
            "ON i.id = m.incident_id WHERE m.placement = 'assigned' AND m.run_id = ?", (table["run_id"][0],))}
    assert set(desktop) == set(new_ids) == set(spark)
    same = sum(spark[i] == desktop[i] for i in new_ids)
    print(f"Spark and desktop agree on {same} of {len(new_ids)} reports' clusters")
    assert same == len(new_ids)
    assert len({c for c, _ in spark.values()}) > 2


def test_assigner_refuses_damaged_exports_and_bad_vectors(exported, tmp_path):
    root, _, _ = exported
    good = root / "run-export"
    assigner = Assigner(str(good), threads=1)
    assert assigner.dimension == 384 and assigner.text_fields == "description"
    assert assigner.weights_sha256 == Encoder(str(default_model())).weights_sha256
    # The run's vectors read reports without the project's boilerplate: the export carries
    # that model, and the job encodes with it (test above).
    assert assigner.boilerplate_sha256 == Encoder(str(default_model()), boilerplate=str(good / "boilerplate.json")).boilerplate_sha256
    assert len(assigner.boilerplate_sha256) == 64
    vectors = Encoder(str(default_model())).encode(["Patient fell from bed.", "Wrong dose given."])
    cluster, base = assigner.assign(vectors)
    assert cluster.dtype == np.int64 and cluster.shape == (2,) and base.shape == (2,)
    empty_cluster, _ = assigner.assign(np.zeros((0, 384), dtype=np.float32))
    assert empty_cluster.shape == (0,)
    with pytest.raises(AtlasError, match="384"):
        assigner.assign(np.zeros((2, 10), dtype=np.float32))
    bad = vectors.copy()
    bad[1, 3] = np.nan
    with pytest.raises(AtlasError, match="NaN"):
        assigner.assign(bad)
    with pytest.raises(TypeError):
        assigner.assign([[0.1] * 384])  # a list is not a float32 array

    def damaged(name, change):
        copy = tmp_path / name
        shutil.copytree(good, copy)
        change(copy)
        return str(copy)

    def flip(path):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))

    cases = {
        "fitted": (damaged("fitted", lambda d: flip(d / "fitted.bin")), "does not match its manifest"),
        "index": (damaged("index", lambda d: flip(sorted((d / "index").iterdir())[0])), "index"),
        "manifest": (damaged("manifest", lambda d: (d / "manifest.json").write_text("{")), "manifest"),
        "version": (damaged("version", lambda d: (d / "manifest.json").write_text(
            json.dumps({**json.loads((good / "manifest.json").read_text()), "version": 99}))), "version"),
        "missing": (str(tmp_path / "nowhere"), "manifest.json"),
        "boilerplate": (damaged("boilerplate", lambda d: (d / "boilerplate.json").write_text(
            (good / "boilerplate.json").read_text() + " ")), "boilerplate.json"),
        "no boilerplate": (damaged("no-boilerplate", lambda d: (d / "boilerplate.json").unlink()), "boilerplate.json"),
    }
    for name, (path, message) in cases.items():
        with pytest.raises(AtlasError, match=message):
            Assigner(path)
    with pytest.raises(AtlasError, match="threads"):
        Assigner(str(good), threads=0)
    err = atlas_fails("--project", str(exported[1]), "run", "export", "--out", str(good))
    assert "exists" in err
