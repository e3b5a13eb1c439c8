"""Runs every Logbucket benchmark against the binaries of one build directory and reports.

Usage: run_bench.py BUILD_DIR  (scripts/bench.sh builds the targets first; `make bench` runs it)

Measures, in one run on this machine: the bare Beast server (the ceiling), Logbucket GET and PUT
of 4 KiB objects with access logging off and on, ListObjectsV2 pages in a 1,000,000-key bucket,
one 1 GiB object streamed up and down, start-up times and idle memory; then runs the
micro-benchmarks briefly. Prints a table and writes BUILD_DIR/bench-results.json. It reports
figures: a missed target is a line of the table, never a failure (exit 1 only when the tooling
itself breaks). Durations and sizes can be shortened through the environment (BENCH_DURATION,
BENCH_OBJECTS, BENCH_BIG_BYTES) for a quick look; BENCH_ONLY=small runs only the ceiling and the
4 KiB GET/PUT workloads (minutes instead of the 1,000,000-key fill).
"""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import bench_support as bs
import bench_table

DURATION = float(os.environ.get("BENCH_DURATION", "8"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "1"))
OBJECTS = int(os.environ.get("BENCH_OBJECTS", "1000000"))
BIG_BYTES = int(os.environ.get("BENCH_BIG_BYTES", str(1 << 30)))
LOADGEN_THREADS = int(os.environ.get("BENCH_LOADGEN_THREADS", "1"))
CONNECTIONS = (16, 64)
ONLY = os.environ.get("BENCH_ONLY", "")  # "" (everything) or "small"


class Bench:
    def __init__(self, build_dir):
        self.build = os.path.abspath(build_dir)
        self.tools = os.path.join(self.build, "tests", "bench")
        self.binary = os.path.join(self.build, "logbucket")
        self.work = tempfile.mkdtemp(prefix="logbucket-bench-")
        self.runs = {}  # name -> loadgen JSON or other measurement

    def loadgen(self, name, endpoint, server_pid, *args, duration=DURATION):
        cmd = [os.path.join(self.tools, "loadgen"), "--endpoint", endpoint,
               "--threads", str(LOADGEN_THREADS), "--server-pid", str(server_pid),
               "--duration", str(duration), "--warmup", str(WARMUP), *map(str, args)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration * 4 + 300)
        if out.returncode != 0:
            raise RuntimeError(f"loadgen {name} failed ({out.returncode}): {out.stderr.strip()}")
        result = json.loads(out.stdout)
        self.runs[name] = result
        bs.note(f"{name}: {result['rps']:.0f} req/s, p50 {result['latency_ms']['p50']:.2f} ms, "
                f"p99 {result['latency_ms']['p99']:.2f} ms, errors {result['errors']}, "
                f"server {result.get('server_cpu_us_per_request', 0):.1f} us CPU/req")
        if result["errors"]:
            bs.note(f"  first error: {result.get('first_error', '')}")
        return result

    def bare_ceiling(self):
        bs.note("bare Beast server (ceiling)")
        with bs.BareServer(os.path.join(self.tools, "bare_server")) as bare:
            for c in CONNECTIONS:
                self.loadgen(f"bare_get_c{c}", bare.endpoint, bare.pid, "--mode", "get",
                             "--connections", c, "--no-prepare")
                self.loadgen(f"bare_put_c{c}", bare.endpoint, bare.pid, "--mode", "put",
                             "--connections", c)

    def small_objects(self):
        bs.note("Logbucket 4 KiB GET/PUT, access logging off (bucket plain) and on (bucket logged)")
        with bs.Logbucket(self.binary, os.path.join(self.work, "small")) as lb:
            s3 = lb.client()
            for bucket in ("plain", "logged", "logs"):
                s3.create_bucket(Bucket=bucket)
            s3.put_bucket_logging(Bucket="logged", BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "access/"}})
            prepared = set()
            for c in CONNECTIONS:
                for op in ("get", "put"):
                    # Alternate off/on back to back so that both see the same machine load.
                    for bucket, suffix in (("plain", ""), ("logged", "_logging")):
                        args = ["--mode", op, "--connections", c, "--bucket", bucket]
                        if op == "get":
                            if bucket in prepared:
                                args.append("--no-prepare")
                            prepared.add(bucket)
                        self.loadgen(f"lb_{op}_c{c}{suffix}", lb.endpoint, lb.pid, *args)
            status = lb.status()
            self.runs["logging_status_after"] = status
            self.runs["rss_after_load_kib"] = bs.status_kib(lb.pid, "VmRSS:")
            logged = sum(self.runs[f"lb_{op}_c{c}_logging"]["requests"]
                         for op in ("get", "put") for c in CONNECTIONS)
            self.runs["logged_requests_measured"] = logged

    def big_object(self):
        bs.note(f"one {BIG_BYTES} byte object streamed up then down (fresh server)")
        with bs.Logbucket(self.binary, os.path.join(self.work, "big")) as lb:
            lb.client().create_bucket(Bucket="big")
            common = ["--bucket", "big", "--connections", 1, "--requests", 1,
                      "--size", BIG_BYTES, "--key-prefix", "big/"]
            self.loadgen("big_put", lb.endpoint, lb.pid, "--mode", "put", *common)
            self.loadgen("big_get", lb.endpoint, lb.pid, "--mode", "get", "--keys", 1,
                         "--no-prepare", *common)
            self.runs["big_vmhwm_kib"] = bs.status_kib(lb.pid, "VmHWM:")
            shutil.rmtree(os.path.join(self.work, "big"), ignore_errors=True)

    def startup_and_idle(self):
        bs.note("start-up to first 200 on /_logbucket/health, empty data directory")
        data = os.path.join(self.work, "empty")
        times = [bs.startup_ms(self.binary, data) for _ in range(5)]
        self.runs["startup_empty_ms"] = {"samples": times, "median": bs.median(times)}
        with bs.Logbucket(self.binary, data) as lb:
            lb.client().list_buckets()
            time.sleep(1.0)  # let start-up work settle before reading the idle footprint
            self.runs["idle_rss_kib"] = bs.status_kib(lb.pid, "VmRSS:")

    def million(self):
        bs.note(f"bucket of {OBJECTS} objects: fill through SqliteStore, start-up, list")
        data = os.path.join(self.work, "million")
        with bs.Logbucket(self.binary, data) as lb:
            lb.client().create_bucket(Bucket="million")
        t0 = time.monotonic()
        fill = subprocess.run([os.path.join(self.tools, "fill_store"), "--data-dir", data,
                               "--bucket", "million", "--count", str(OBJECTS)],
                              capture_output=True, text=True, timeout=3600)
        if fill.returncode != 0:
            raise RuntimeError(f"fill_store failed: {fill.stderr.strip()}")
        self.runs["fill"] = json.loads(fill.stdout)
        bs.note(f"  filled in {time.monotonic() - t0:.1f} s")
        times = [bs.startup_ms(self.binary, data) for _ in range(3)]
        self.runs["startup_million_ms"] = {"samples": times, "median": bs.median(times)}
        with bs.Logbucket(self.binary, data) as lb:
            for c in (1, 4):
                self.loadgen(f"list_c{c}", lb.endpoint, lb.pid, "--mode", "list",
                             "--bucket", "million", "--keys", OBJECTS, "--connections", c)
        shutil.rmtree(data, ignore_errors=True)

    def micro(self):
        bs.note("micro-benchmarks")
        out = os.path.join(self.work, "micro.json")
        run = subprocess.run([os.path.join(self.tools, "micro_bench"),
                              "--benchmark_min_time=0.2", "--benchmark_format=console",
                              f"--benchmark_out={out}", "--benchmark_out_format=json"],
                             capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            raise RuntimeError(f"micro_bench failed: {run.stderr.strip()}")
        with open(out) as f:
            self.runs["micro"] = json.load(f)["benchmarks"]
        return run.stdout


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bench = Bench(sys.argv[1])
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "host": platform.node(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "commit": bs.git_commit(), "duration_s": DURATION, "warmup_s": WARMUP,
            "objects": OBJECTS, "big_bytes": BIG_BYTES, "loadgen_threads": LOADGEN_THREADS,
            "only": ONLY}
    if ONLY not in ("", "small"):
        print(f"BENCH_ONLY={ONLY!r}: expected 'small' or nothing", file=sys.stderr)
        return 2
    micro_text = ""
    try:
        bench.bare_ceiling()
        bench.small_objects()
        if not ONLY:
            bench.big_object()
            bench.startup_and_idle()
            bench.million()
            micro_text = bench.micro()
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    meta["loadavg_end"] = os.getloadavg()
    rows = bench_table.rows(bench.runs, OBJECTS, BIG_BYTES)
    print()
    if micro_text:
        print(micro_text)
    print(bench_table.render(rows, meta))
    out = os.path.join(bench.build, "bench-results.json")
    with open(out, "w") as f:
        json.dump({"meta": meta, "table": rows, "runs": bench.runs}, f, indent=1)
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
