"""The Spark job in local mode (local[2]) with the real default model, in a network
namespace with nothing in it but loopback: its vectors, imported on the desktop, equal the
CLI's encoding of the same reports, and an analysis of them equals one of the CLI's; the
index shards its executors build, adopted on the desktop, are searched together and serve
an analysis."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from spark_helpers import SPARK_DIR, atlas, atlas_fails, cosines, default_model, new_project, stored_vectors, vector_count

ROWS = int(os.environ.get("ATLAS_SPARK_TEST_ROWS", "3000"))


def isolated_network():
    """A prefix that runs a command with no network but loopback (root and unshare
    needed), or None where that is not possible here."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return None
    probe = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True)
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "job"] if probe.returncode == 0 else None


def run_job(*args):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1")
    prefix = isolated_network()
    if prefix is None:
        print("no empty network namespace here; running the job in this one")
    command = (prefix or []) + [sys.executable, str(SPARK_DIR / "encode_reports.py"), "--master", "local[2]", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"the Spark job failed:\n{done.stderr[-5000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1]), prefix is not None


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    csv = root / "reports.csv"
    atlas("demo-data", "--rows", str(ROWS), "--seed", "21", "--out", str(csv))
    local = new_project(root, csv, "local")
    atlas("--project", str(local), "encode", "--model", "all-MiniLM-L6-v2", "-q")
    # The local project's vectors read reports without its boilerplate; the job reads them
    # the same way when given the same model file.
    boilerplate = local / "text" / "boilerplate-description.json"
    assert boilerplate.is_file()
    summary, isolated = run_job("--input", str(csv), "--model", str(default_model()),
                                "--output", str(root / "vectors.parquet"), "--partitions", "4",
                                "--index-out", str(root / "index"), "--index-shards", "3",
                                "--boilerplate", str(boilerplate))
    assert summary["reports"] == ROWS and summary["skipped"] == 0 and summary["index_shards"] == 3
    print(f"job ran {'without' if isolated else 'with'} a network")
    imported = new_project(root, csv, "imported")
    # Without the boilerplate model in the project, its vectors would not be repeatable.
    err = atlas_fails("--project", str(imported), "vectors", "import", str(root / "vectors.parquet"),
                      "--model", "all-MiniLM-L6-v2")
    assert "boilerplate" in err and vector_count(imported) == 0, err
    (imported / "text").mkdir()
    shutil.copy(boilerplate, imported / "text" / boilerplate.name)
    atlas("--project", str(imported), "vectors", "import", str(root / "vectors.parquet"), "--model", "all-MiniLM-L6-v2")
    return root, local, imported


def test_spark_vectors_equal_the_clis(projects):
    root, local, imported = projects
    a, b = stored_vectors(local, "all-MiniLM-L6-v2"), stored_vectors(imported, "all-MiniLM-L6-v2")
    assert len(a) == ROWS
    c = cosines(a, b)
    print(f"cosine Spark vs CLI: min {c.min():.8f}, mean {c.mean():.8f}")
    assert c.min() >= 0.99999


def members(project):
    with sqlite3.connect(project / "atlas.sqlite") as db:
        return db.execute(
            "SELECT i.external_id, m.cluster, round(m.x, 5), round(m.y, 5) FROM cluster_members m "
            "JOIN incidents i ON i.id = m.incident_id ORDER BY i.external_id").fetchall()


def test_analysis_of_imported_vectors_equals_the_local_one(projects):
    root, local, imported = projects
    for project in (local, imported):
        atlas("--project", str(project), "analyse", "--model", "all-MiniLM-L6-v2", "-q")
    a, b = members(local), members(imported)
    assert len(a) == ROWS and a == b
    assert len({row[1] for row in a}) > 2, "the analysis found clusters"


def similar(project, report_id, k=10):
    hits = json.loads(atlas("--project", str(project), "--json", "similar", report_id, "-k", str(k)))
    return [h["external_id"] for h in hits]


def test_index_shards_from_spark_are_adopted_and_searched_together(projects):
    root, local, imported = projects
    sharded = new_project(root, root / "reports.csv", "sharded")
    (sharded / "text").mkdir()
    shutil.copy(local / "text" / "boilerplate-description.json", sharded / "text")
    atlas("--project", str(sharded), "vectors", "import", str(root / "vectors.parquet"), "--model", "all-MiniLM-L6-v2")
    report = json.loads(atlas("--project", str(sharded), "--json", "vectors", "import-index", str(root / "index"),
                              "--model", "all-MiniLM-L6-v2"))
    assert report["rows"] == ROWS and report["shards"] == 3
    with sqlite3.connect(local / "atlas.sqlite") as db:
        ids = [r[0] for r in db.execute("SELECT external_id FROM incidents ORDER BY id")]
    # The desktop's own index and the executors' shards agree on each report's neighbours
    # (both are approximate graphs over the same vectors).
    overlap = []
    for report_id in ids[:: max(1, ROWS // 60)]:
        a, b = similar(local, report_id), similar(sharded, report_id)
        overlap.append(len(set(a) & set(b)) / len(a))
    print(f"top-10 overlap, desktop index vs Spark shards: mean {sum(overlap) / len(overlap):.3f}, "
          f"min {min(overlap):.2f} over {len(overlap)} reports")
    assert sum(overlap) / len(overlap) >= 0.95
    # An analysis reads the adopted index as it is: it is not rebuilt.
    index = sharded / "indexes" / "all-MiniLM-L6-v2.usearch"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in index.iterdir())
    atlas("--project", str(sharded), "analyse", "--model", "all-MiniLM-L6-v2", "-q")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in index.iterdir()) == before
    assert len({row[1] for row in members(sharded)}) > 2
