"""Encode incident reports on Apache Spark with Incident Atlas's own models.

Reads a table of reports (Parquet, CSV, JSON, Delta, or a catalog table), encodes each
report's text on the executors with the `incident_atlas` wheel (the app's engine, so the
vectors equal `incident-atlas encode`'s for the same model folder and text), and writes
Parquet: id, vector (array<float>), weights_sha256, provenance (JSON), text_fields. Bring
that folder to the desktop and run `incident-atlas vectors import`. With --assign, each
report is also placed into the clusters of a run exported from the desktop (`incident-atlas
run export`): columns run_id, cluster, base_cluster, the ids the desktop's `assign` gives.
With --index-out, the executors also build the vectors' similarity index in shards (HNSW
graphs, one per task), for `incident-atlas vectors import-index` after the vectors' import:
a national extract's index is then not built on the desktop.

    spark-submit spark/encode_reports.py --input reports.parquet --model /models/all-MiniLM-L6-v2 \\
        --output vectors.parquet

The model folder is shipped with the job (SparkContext.addFile) unless --model-on-executors
says the executors can read it where it is (a Databricks Volume). Nothing is fetched from a
model hub or anywhere else: the job makes no network calls of its own.
"""

import argparse
import json
import os
import sys

# NRLS / LFPSE codes the desktop's column mapping also recognises, by field.
FIELD_CODES = {
    "id": ("RP01", "id", "report_id"),
    "description": ("IN07", "F001", "description"),
    "causes": ("IN11", "causes"),
    "actions": ("IN10", "AC001", "actions"),
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="path of the reports, or a table name with --format table")
    p.add_argument("--format", default=None, choices=["parquet", "csv", "json", "delta", "table"],
                   help="input format (default: from the path's extension, else parquet)")
    p.add_argument("--model", required=True, help="model folder (transformer, word vectors or a fitted tfidf-lsa)")
    p.add_argument("--assign", default=None, metavar="RUN_EXPORT",
                   help="also assign each report to the clusters of this run export (incident-atlas run export)")
    p.add_argument("--model-on-executors", action="store_true",
                   help="the executors read --model and --assign where they are (shared storage); do not ship them")
    p.add_argument("--boilerplate", default=None, metavar="FILE",
                   help="the project's boilerplate model (text/boilerplate-<fields>.json) when its vectors read "
                        "reports without it (default with --assign: the run export's own, if it has one)")
    p.add_argument("--output", required=True, help="Parquet folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    p.add_argument("--fields", default="description", choices=["description", "all"],
                   help="text to encode, as `incident-atlas encode --text`")
    for field in FIELD_CODES:
        p.add_argument(f"--{field}-column", default=None,
                       help=f"column holding the {field} (default: found by NRLS/LFPSE code or name)")
    p.add_argument("--threads", type=int, default=None,
                   help="encoder threads per task (default: spark.task.cpus)")
    p.add_argument("--batch-size", type=int, default=32, help="texts per forward pass of a transformer")
    p.add_argument("--precision", default="auto", help="auto, f32, int8 or bf16, as the desktop's --precision")
    p.add_argument("--partitions", type=int, default=None,
                   help="repartition the reports into this many tasks before encoding")
    p.add_argument("--index-out", default=None, metavar="DIR",
                   help="also build the index shards here (storage the executors and the driver both write: "
                        "a Volume, or a local path in local mode)")
    p.add_argument("--index-shards", type=int, default=None,
                   help="number of index shards (default: one per 262,144 reports, as the desktop splits)")
    p.add_argument("--index-quantisation", default="f32", choices=["f32", "f16", "i8"],
                   help="how the index stores vectors, as `incident-atlas index --quantisation`")
    p.add_argument("--master", default=None, help="Spark master (default: spark-submit's)")
    return p.parse_args(argv)


def find_column(columns, field, given):
    if given:
        if given not in columns:
            sys.exit(f"error: --{field}-column {given!r} is not a column; columns: {', '.join(columns)}")
        return given
    for code in FIELD_CODES[field]:
        for c in columns:
            if c == code or c.upper().startswith(code.upper() + "_") or c.lower() == code.lower():
                return c
    return None


def read_reports(spark, args):
    fmt = args.format or {".csv": "csv", ".json": "json", ".jsonl": "json"}.get(
        os.path.splitext(args.input.rstrip("/"))[1].lower(), "parquet")
    if fmt == "table":
        return spark.table(args.input)
    reader = spark.read.format(fmt)
    if fmt == "csv":
        # As the desktop reads CSV: a header row, quoted fields across lines, UTF-8.
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"') \
            .option("encoding", "UTF-8").option("inferSchema", False)
    return reader.load(args.input)


# Stands for "the boilerplate.json inside the run export" in what the executors are told.
EXPORT_BOILERPLATE = ":run-export:"


def encode_partitions(model, threads, batch_size, precision, fields, has_causes, has_actions, skipped, encoding,
                      run_export=None, boilerplate=None):
    """The mapInArrow function: one Encoder per Python worker (workers are reused across
    tasks), Arrow batches in, Arrow batches of id + vector out."""

    def run(batches):
        import time
        import numpy as np
        import pyarrow as pa
        from pyspark import SparkFiles
        import incident_atlas

        def local(path):
            return path if os.path.isabs(path) and os.path.exists(path) else SparkFiles.get(path)

        folder = local(model)
        # The run export's own boilerplate model travels inside it.
        text_filter = None
        if boilerplate == EXPORT_BOILERPLATE:
            text_filter = os.path.join(local(run_export), "boilerplate.json")
        elif boilerplate is not None:
            text_filter = local(boilerplate)
        key = (folder, threads, batch_size, precision, text_filter)
        cache = incident_atlas.__dict__.setdefault("_spark_encoders", {})
        if key not in cache:
            cache[key] = incident_atlas.Encoder(folder, threads=threads, batch_size=batch_size,
                                                precision=precision, boilerplate=text_filter)
        encoder = cache[key]
        assigner = None
        if run_export is not None:
            if local(run_export) not in cache:
                cache[local(run_export)] = incident_atlas.Assigner(local(run_export), threads=threads)
            assigner = cache[local(run_export)]
            if assigner.weights_sha256 != encoder.weights_sha256:
                raise RuntimeError(
                    f"the run export {run_export} clusters vectors of weights {assigner.weights_sha256}; "
                    f"the model {model} has {encoder.weights_sha256}: assign with the run's own model")
            if assigner.boilerplate_sha256 != encoder.boilerplate_sha256:
                raise RuntimeError(
                    f"the run export {run_export} clusters vectors of text read without boilerplate model "
                    f"{assigner.boilerplate_sha256}; these read {encoder.boilerplate_sha256}: leave out --boilerplate")
        # Where this executor's copy of the folder is says nothing about the vectors, and
        # differs between executors.
        provenance = json.loads(encoder.provenance)
        provenance.pop("folder", None)
        sha, provenance, d = encoder.weights_sha256, json.dumps(provenance, sort_keys=True), encoder.dimension
        for batch in batches:
            ids = batch.column("id").to_pylist()
            descriptions = batch.column("description").to_pylist()
            causes = batch.column("causes").to_pylist() if has_causes else [None] * len(ids)
            actions = batch.column("actions").to_pylist() if has_actions else [None] * len(ids)
            keep, texts = [], []
            for i, (identifier, text) in enumerate(zip(ids, descriptions)):
                joined = incident_atlas.incident_text(text, causes[i], actions[i], fields=fields)
                if joined is None or identifier is None:
                    continue  # no description or no id: a report the app does not import
                keep.append(i)
                texts.append(joined)
            skipped.add(len(ids) - len(keep))
            started = time.perf_counter()
            vectors = encoder.encode(texts) if texts else np.zeros((0, d), dtype=np.float32)
            encoding.add(time.perf_counter() - started)
            offsets = pa.array(np.arange(0, (len(keep) + 1) * d, d, dtype=np.int32))
            column = pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1), type=pa.float32()))
            n = len(keep)
            arrays = [pa.array([str(ids[i]) for i in keep], pa.string()), column,
                      pa.array([sha] * n, pa.string()), pa.array([provenance] * n, pa.string()),
                      pa.array([fields] * n, pa.string())]
            names = ["id", "vector", "weights_sha256", "provenance", "text_fields"]
            if assigner is not None:
                cluster, base = assigner.assign(vectors)
                arrays += [pa.array([assigner.run_id] * n, pa.int64()), pa.array(cluster, pa.int64()),
                           pa.array(base, pa.int64())]
                names += ["run_id", "cluster", "base_cluster"]
            yield pa.RecordBatch.from_arrays(arrays, names=names)

    return run


def build_shards(index_out, quantisation):
    """The mapInArrow function of the index stage: a task's rows (one partition, sorted by
    id) become one shard, numbered by the partition, written where every task writes."""

    def run(batches):
        import numpy as np
        from pyspark import TaskContext
        import incident_atlas

        import pyarrow as pa
        import pyarrow.compute as pc

        ids, parts, sources = [], [], set()
        for batch in batches:
            vector = batch.column("vector")
            lengths = pc.unique(pc.list_value_length(vector)).to_pylist()
            if len(lengths) > 1 or None in lengths:
                raise RuntimeError(f"vectors of {lengths} values in one index shard")
            ids.extend(batch.column("id").to_pylist())
            parts.append(vector.flatten().to_numpy(zero_copy_only=False).reshape(len(batch), -1))
            sources.update(zip(batch.column("weights_sha256").to_pylist(), batch.column("text_fields").to_pylist(),
                               batch.column("provenance").to_pylist()))
        if not ids:
            return
        if len(sources) != 1 or len({p.shape[1] for p in parts}) != 1:
            raise RuntimeError("the vectors of one index shard come from several models or settings")
        sha, fields, provenance = sources.pop()
        vectors = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
        del parts
        entry = incident_atlas.write_index_shard(
            index_out, TaskContext.get().partitionId(), ids, vectors, sha, fields, provenance,
            quantisation=quantisation)
        yield pa.RecordBatch.from_arrays([pa.array([entry], pa.string())], names=["entry"])

    return run


def write_index(spark, args, reports):
    """Builds the index shards of the written vectors on the executors, then the manifest."""
    import shutil
    import incident_atlas

    if os.path.exists(args.index_out):
        shutil.rmtree(args.index_out)  # --overwrite was given (checked before encoding)
    os.makedirs(args.index_out)
    shards = args.index_shards or max(1, -(-reports // incident_atlas.SHARD_ROWS))
    written = spark.read.parquet(args.output).select("id", "vector", "weights_sha256", "provenance", "text_fields")
    # Hash partitioning by id puts a report in the same shard whatever the input's order,
    # and sorting makes a retried task write the same graph.
    entries = written.repartition(shards, "id").sortWithinPartitions("id") \
        .mapInArrow(build_shards(os.path.abspath(args.index_out), args.index_quantisation), "entry string").collect()
    manifest = json.loads(incident_atlas.write_index_manifest(os.path.abspath(args.index_out),
                                                              [r["entry"] for r in entries]))
    return len(manifest["shards"])


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    from pyspark.sql import SparkSession, functions as F

    builder = SparkSession.builder.appName("incident-atlas encode")
    if args.master:
        builder = builder.master(args.master)
    # In a notebook the session is the notebook's: leave it running at the end.
    owns_session = SparkSession.getActiveSession() is None
    spark = builder.getOrCreate()
    if not os.path.isfile(os.path.join(args.model, "config.json")) and not args.model_on_executors:
        sys.exit(f"error: {args.model} is not a model folder (no config.json)")
    def ship(path):
        """The name the executors find `path` under: shipped with the job, or as it is."""
        if args.model_on_executors:
            return path
        spark.sparkContext.addFile(os.path.abspath(path), recursive=True)
        return os.path.basename(os.path.abspath(path).rstrip("/"))

    if args.index_out and os.path.exists(args.index_out) and not args.overwrite:
        sys.exit(f"error: {args.index_out} exists; give --overwrite to replace it")
    model = ship(args.model)
    run_export = None
    if args.assign:
        try:
            with open(os.path.join(args.assign, "manifest.json"), encoding="utf-8") as f:
                manifest = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"error: {args.assign} is not a run export (incident-atlas run export): {e}")
        if manifest.get("text_fields") != args.fields:
            sys.exit(f"error: run {manifest.get('run_id')} clusters the {manifest.get('text_fields')} text; "
                     f"give --fields {manifest.get('text_fields')}")
        run_export = ship(args.assign)
    boilerplate = None
    if args.boilerplate:
        if not os.path.isfile(args.boilerplate):
            sys.exit(f"error: {args.boilerplate} is not a file (a project's text/boilerplate-<fields>.json)")
        boilerplate = ship(args.boilerplate)
    elif args.assign and manifest.get("boilerplate_sha256"):
        boilerplate = EXPORT_BOILERPLATE
    threads = args.threads or int(spark.conf.get("spark.task.cpus", "1"))

    reports = read_reports(spark, args)
    columns = reports.columns
    chosen = {f: find_column(columns, f, getattr(args, f"{f}_column")) for f in FIELD_CODES}
    for required in ("id", "description"):
        if chosen[required] is None:
            sys.exit(f"error: no {required} column found; name it with --{required}-column "
                     f"(columns: {', '.join(columns)})")
    wanted = ["id", "description"] + (["causes", "actions"] if args.fields == "all" else [])
    selected = [F.col(chosen[f]).cast("string").alias(f) for f in wanted if chosen[f] is not None]
    reports = reports.select(*selected)
    if args.partitions:
        reports = reports.repartition(args.partitions)
    has = {f: f in reports.columns for f in ("causes", "actions")}
    skipped = spark.sparkContext.accumulator(0)
    # Seconds spent inside the encoder, summed over tasks: the rest of the job's time is
    # Spark's reading, Arrow transfer and writing.
    encoding = spark.sparkContext.accumulator(0.0)
    schema = "id string, vector array<float>, weights_sha256 string, provenance string, text_fields string"
    if run_export is not None:
        schema += ", run_id bigint, cluster bigint, base_cluster bigint"
    vectors = reports.mapInArrow(
        encode_partitions(model, threads, args.batch_size, args.precision, args.fields,
                          has["causes"], has["actions"], skipped, encoding, run_export, boilerplate),
        schema)
    vectors.write.mode("overwrite" if args.overwrite else "errorifexists").parquet(args.output)
    summary = spark.read.parquet(args.output).agg(
        F.count("*").alias("reports"), F.countDistinct("weights_sha256").alias("hashes"),
        F.first("weights_sha256").alias("weights_sha256")).collect()[0]
    result = {"output": args.output, "reports": summary["reports"], "skipped": skipped.value,
              "encoder_task_seconds": round(encoding.value, 2),
              "weights_sha256": summary["weights_sha256"], "threads_per_task": threads,
              "text_fields": args.fields}
    if args.index_out:
        result["index_out"] = args.index_out
        import time
        started = time.perf_counter()
        result["index_shards"] = write_index(spark, args, summary["reports"])
        result["index_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result))
    if owns_session:
        spark.stop()


if __name__ == "__main__":
    main()
