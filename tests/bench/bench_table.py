"""The table of figures run_bench.py prints: one row per figure, with its target and whether this
run met it. Targets are reading aids, never a pass/fail: the machine is shared and noisy, so a
throughput is always set beside the bare server's figure measured minutes earlier on the same
cores, and the server's CPU time per request is printed next to it (the steadier figure)."""

CONNECTIONS = (16, 64)
MIB = 1024 * 1024


def _row(workload, figure, value, unit, target, met, ceiling_pct=None, detail=""):
    return {"workload": workload, "figure": figure, "value": value, "unit": unit,
            "target": target, "met": met, "pct_of_ceiling": ceiling_pct, "detail": detail}


def _latency(run):
    lat = run["latency_ms"]
    cpu = run.get("server_cpu_us_per_request")
    text = f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms"
    if cpu is not None:
        text += f", server CPU {cpu:.1f} us/req"
    if run["errors"]:
        text += f", {run['errors']} errors"
    return text


def rows(runs, objects, big_bytes):
    out = []
    for op, share in (("get", 50), ("put", 25)):
        for c in CONNECTIONS:
            bare = runs[f"bare_{op}_c{c}"]
            out.append(_row(f"bare {op.upper()} 4 KiB, {c} conn", "req/s", bare["rps"], "req/s",
                            "ceiling", None, 100.0, _latency(bare)))
    for op, share in (("get", 50), ("put", 25)):
        for c in CONNECTIONS:
            bare = runs[f"bare_{op}_c{c}"]
            plain = runs[f"lb_{op}_c{c}"]
            logged = runs[f"lb_{op}_c{c}_logging"]
            pct = 100.0 * plain["rps"] / bare["rps"] if bare["rps"] else 0.0
            out.append(_row(f"{op.upper()} 4 KiB, {c} conn, logging off", "req/s", plain["rps"],
                            "req/s", f">= {share}% of ceiling", pct >= share, pct,
                            _latency(plain)))
            lpct = 100.0 * logged["rps"] / bare["rps"] if bare["rps"] else 0.0
            change = 100.0 * (logged["rps"] / plain["rps"] - 1) if plain["rps"] else 0.0
            out.append(_row(f"{op.upper()} 4 KiB, {c} conn, logging on", "req/s", logged["rps"],
                            "req/s", "<= 5% below logging off", change >= -5.0, lpct,
                            f"{change:+.1f}% vs off; " + _latency(logged)))
    status = runs.get("logging_status_after", {}).get("access_logging", {})
    if status:
        out.append(_row("access-log records (logging runs)", "submitted",
                        status.get("records_submitted", 0), "records",
                        f">= {runs['logged_requests_measured']} measured requests",
                        status.get("records_submitted", 0) >= runs["logged_requests_measured"]
                        and status.get("records_dropped", 0) == 0, None,
                        f"dropped {status.get('records_dropped', 0)}"))
    for c in (1, 4):
        run = runs.get(f"list_c{c}")
        if run:
            p50 = run["latency_ms"]["p50"]
            out.append(_row(f"ListObjectsV2 1000/page, {objects} keys, {c} conn", "p50 per page",
                            p50, "ms", "< 20 ms", p50 < 20, None,
                            f"{run['rps']:.0f} pages/s, smallest page "
                            f"{run.get('min_key_count', '?')} keys; " + _latency(run)))
    if "big_put" not in runs:  # BENCH_ONLY=small: the 4 KiB workloads only
        return out
    put, get = runs["big_put"], runs["big_get"]
    for name, run, target in (("PUT", put, 300), ("GET", get, 1000)):
        mbps = run["bytes_per_s"] / 1e6
        out.append(_row(f"{name} one {big_bytes / MIB:.0f} MiB object, streamed", "throughput",
                        mbps, "MB/s", f">= {target} MB/s",
                        mbps >= target and run["requests"] == 1, None,
                        f"{run['seconds']:.2f} s, server CPU {run.get('server_cpu_s', 0):.2f} s, "
                        f"errors {run['errors']}"))
    sampled = max(put.get("server_max_rss_kib", 0), get.get("server_max_rss_kib", 0)) / 1024
    hwm = runs.get("big_vmhwm_kib", 0) / 1024
    rss = max(sampled, hwm)
    out.append(_row("server memory during the big PUT and GET", "max RSS / VmHWM", rss, "MiB",
                    "< 64 MiB", rss < 64, None,
                    f"sampled VmRSS max {sampled:.1f} MiB, VmHWM {hwm:.1f} MiB"))
    for name, key, target in (("empty data directory", "startup_empty_ms", 50),
                              (f"{objects} objects", "startup_million_ms", 500)):
        s = runs[key]
        out.append(_row(f"start-up to first health 200, {name}", "median", s["median"], "ms",
                        f"< {target} ms", s["median"] < target, None,
                        "samples " + ", ".join(f"{v:.0f}" for v in s["samples"])))
    idle = runs["idle_rss_kib"] / 1024
    out.append(_row("idle server", "VmRSS", idle, "MiB", "< 30 MiB", idle < 30, None,
                    f"after the 4 KiB load: {runs.get('rss_after_load_kib', 0) / 1024:.1f} MiB"))
    return out


def _fmt(value):
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(table, meta):
    head = ("workload", "figure", "value", "target", "% ceiling", "met")
    lines = [(r["workload"], r["figure"], f"{_fmt(r['value'])} {r['unit']}", r["target"],
              "" if r["pct_of_ceiling"] is None else f"{r['pct_of_ceiling']:.0f}%",
              "-" if r["met"] is None else ("met" if r["met"] else "MISSED"))
             for r in table]
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{'>' if i in (2, 4) else '<'}{w}}}" for i, w in enumerate(widths))
    text = [f"Logbucket benchmarks: commit {meta['commit']}, {meta['cpus']} CPUs, load average "
            f"{meta['loadavg_start'][0]:.1f} at start, {meta['loadavg_end'][0]:.1f} at end "
            "(shared machine: figures are noisy; compare ratios within one run)",
            fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    for line, r in zip(lines, table):
        text.append(fmt.format(*line))
        if r["detail"]:
            text.append(" " * 4 + r["detail"])
    return "\n".join(text)
