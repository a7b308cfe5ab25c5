"""Benchmark: the Spark job in local mode beside the CLI on the same reports and threads.

For each size, writes that many demo reports, encodes them with `incident-atlas encode`
(all cores) and with the Spark job (local[N], one encoder thread per task), and prints
docs/s for both and their ratio. Two sizes or more give the marginal cost per report (what
a longer job pays once the JVM, the Python workers and the model are up), from which the
time for a national dataset on a cluster is estimated.

    python spark/bench_encode.py --sizes 2000 8000 [--model DIR] [--atlas-bin PATH]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    p.add_argument("--model", default=None, help="model folder (default: the installed all-MiniLM-L6-v2)")
    p.add_argument("--atlas-bin", default=None, help="the CLI (default: $ATLAS_BIN_DIR or the debug build)")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    p.add_argument("--national", type=int, default=30_000_000, help="reports in the estimate")
    args = p.parse_args()
    sys.path.insert(0, str(HERE.parent / "crates/python/tests"))
    import atlas_cli

    atlas = args.atlas_bin or str(atlas_cli.atlas_bin())
    model = args.model or str(atlas_cli.default_model())
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in args.sizes:
            csv = tmp / f"r{n}.csv"
            subprocess.run([atlas, "demo-data", "--rows", str(n), "--seed", "3", "--out", str(csv)], check=True,
                           capture_output=True)
            project = tmp / f"p{n}"
            subprocess.run([atlas, "init", str(project)], check=True, capture_output=True)
            subprocess.run([atlas, "--project", str(project), "ingest", str(csv), "-q"], check=True, capture_output=True)
            started = time.perf_counter()
            out = subprocess.run([atlas, "--project", str(project), "--json", "encode", "--model", model, "-q"],
                                 check=True, capture_output=True, text=True)
            cli_wall = time.perf_counter() - started
            cli = json.loads(out.stdout)[0]
            output = tmp / f"v{n}.parquet"
            started = time.perf_counter()
            job = subprocess.run([sys.executable, str(HERE / "encode_reports.py"), "--master", f"local[{args.cores}]",
                                  "--input", str(csv), "--model", model, "--output", str(output),
                                  "--partitions", str(args.cores * 2)],
                                 capture_output=True, text=True, env=env)
            spark_wall = time.perf_counter() - started
            if job.returncode != 0:
                sys.exit(f"the Spark job failed:\n{job.stderr[-3000:]}")
            shutil.rmtree(output, ignore_errors=True)
            job_summary = json.loads(job.stdout.strip().splitlines()[-1])
            row = {"reports": n, "cli_seconds": round(cli_wall, 2), "cli_encode_seconds": round(cli["seconds"], 2),
                   "cli_docs_per_second": round(n / cli_wall, 1), "spark_seconds": round(spark_wall, 2),
                   "spark_docs_per_second": round(n / spark_wall, 1)}
            row["spark_over_cli"] = round(row["spark_docs_per_second"] / row["cli_docs_per_second"], 3)
            # Summed over the tasks running side by side: per core, divide by the cores.
            row["spark_encoder_seconds_per_core"] = round(job_summary["encoder_task_seconds"] / args.cores, 2)
            results.append(row)
            print(f"{n:>8} reports: CLI {cli_wall:6.1f} s ({row['cli_docs_per_second']:.1f} docs/s, encoding "
                  f"{cli['seconds']:.1f} s), Spark local[{args.cores}] {spark_wall:6.1f} s "
                  f"({row['spark_docs_per_second']:.1f} docs/s, {row['spark_encoder_seconds_per_core']:.1f} s per core "
                  f"inside the encoder): Spark/CLI {row['spark_over_cli']:.2f}")
    summary = {"cores": args.cores, "sizes": results}
    if len(results) >= 2:
        a, b = results[0], results[-1]
        dn = b["reports"] - a["reports"]
        marginal_cli = dn / (b["cli_seconds"] - a["cli_seconds"])
        marginal_spark = dn / (b["spark_seconds"] - a["spark_seconds"])
        per_core = marginal_spark / args.cores
        fixed = a["spark_seconds"] - a["reports"] / marginal_spark
        summary.update(marginal_cli_docs_per_second=round(marginal_cli, 1),
                       marginal_spark_docs_per_second=round(marginal_spark, 1),
                       spark_fixed_seconds=round(fixed, 1), docs_per_second_per_core=round(per_core, 1))
        print(f"marginal: CLI {marginal_cli:.1f} docs/s, Spark {marginal_spark:.1f} docs/s "
              f"(Spark/CLI {marginal_spark / marginal_cli:.2f}); Spark's fixed start-up about {fixed:.0f} s; "
              f"{per_core:.1f} docs/s per core")
        for cores in (16, 64, 256):
            hours = args.national / (per_core * cores) / 3600
            print(f"  {args.national:,} reports on {cores} executor cores: about {hours:.1f} h")
            summary[f"hours_on_{cores}_cores"] = round(hours, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
