"""Process helpers for run_bench.py: the servers under test, /proc readings, start-up timing."""
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"


def note(text):
    print(text, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values):
    return statistics.median(values)


def status_kib(pid, field):
    """A "Vm...:" line of /proc/PID/status in KiB (0 when absent)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def git_commit():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return ""


def health_ok(port, timeout=0.5):
    """True when GET /_logbucket/health answers 200 right now."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/_logbucket/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def wait_healthy(proc, port, deadline_s, poll_s):
    deadline = time.monotonic() + deadline_s
    while not health_ok(port):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not answer on port {port} within {deadline_s} s")
        time.sleep(poll_s)


def stop(proc, timeout=60):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def logbucket_command(binary, data_dir, port):
    return [binary, "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
            "--diagnostics-level", "warn"]


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("LOGBUCKET_")}


def startup_ms(binary, data_dir):
    """Milliseconds from exec to the first 200 on /_logbucket/health (polled every 1 ms)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(logbucket_command(binary, data_dir, port), env=clean_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(proc, port, 60, 0.001)
        return (time.perf_counter() - t0) * 1000.0
    finally:
        stop(proc)


class Logbucket:
    """The real binary on a free port with the given data directory (kept after stop)."""

    def __init__(self, binary, data_dir):
        self.binary = binary
        self.data_dir = data_dir
        self.port = free_port()
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid

    def __enter__(self):
        os.makedirs(self.data_dir, exist_ok=True)
        self.log = open(self.data_dir + ".out", "w")
        self.proc = subprocess.Popen(logbucket_command(self.binary, self.data_dir, self.port),
                                     env=clean_env(), stdout=self.log, stderr=subprocess.STDOUT)
        wait_healthy(self.proc, self.port, 60, 0.01)
        return self

    def __exit__(self, *exc):
        stop(self.proc)
        self.log.close()
        return False

    def client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(s3={"addressing_style": "path"}))

    def status(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/_logbucket/status")
        body = conn.getresponse().read()
        conn.close()
        import json
        return json.loads(body)


class BareServer:
    """tests/bench/bare_server on a free port, two threads (one per core of this machine kind)."""

    def __init__(self, binary, threads=2, size=4096):
        self.binary = binary
        self.threads = threads
        self.size = size

    def __enter__(self):
        self.proc = subprocess.Popen([self.binary, "--listen", "127.0.0.1:0", "--threads",
                                      str(self.threads), "--size", str(self.size)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "ready port=" not in line:
            raise RuntimeError(f"bare_server did not start: {line!r}")
        self.port = int(line.split("port=")[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.pid = self.proc.pid
        return self

    def __exit__(self, *exc):
        stop(self.proc)
        self.proc.stdout.close()
        return False
