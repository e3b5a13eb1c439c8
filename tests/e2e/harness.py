"""Starts the real logbucket binary for end-to-end tests and drives real clients against it.

Each LogbucketServer runs on a free port with its own temporary data directory; tests wait on
conditions with deadlines (never fixed sleeps). The binary comes from $LOGBUCKET_BINARY (set by
ctest) or build/logbucket.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("LOGBUCKET_BINARY", os.path.join(REPO, "build", "logbucket"))
ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class LogbucketServer:
    def __init__(self, extra_args=(), data_dir=None, env=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="logbucket-e2e-")
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.port = None
        self.proc = None
        self.output = []

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=None):
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBUCKET_")}
        env.update(self.env)
        self.proc = subprocess.Popen(
            [BINARY, "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
             "--diagnostics-level", "warn", *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.monotonic() + 30
        while True:
            line = self.proc.stdout.readline()
            if line:
                self.output.append(line)
            if "ready:" in line:
                break
            if not line and self.proc.poll() is not None:
                raise AssertionError("logbucket exited before it was ready:\n" + "".join(self.output))
            if time.monotonic() > deadline:
                raise AssertionError("logbucket did not become ready:\n" + "".join(self.output))
        # Keep draining output so the server never blocks on a full pipe.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        code = self.proc.returncode if self.proc else None
        if self.proc:
            drainer = getattr(self, "_drainer", None)
            if drainer is not None:
                drainer.join(timeout=5)  # the pipe reaches EOF once the process is gone
            self.proc.stdout.close()
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start(self.port)

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- clients -------------------------------------------------------------------------------
    def client_env(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_PAGER": "",
        })
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return env

    def aws(self, *args, check=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY, input=None):
        """Runs the real aws CLI against this server; returns CompletedProcess."""
        cmd = ["aws", "--endpoint-url", self.endpoint, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, input=input,
                                env=self.client_env(access_key, secret_key), timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def aws_json(self, *args, **kwargs):
        out = self.aws(*args, "--output", "json", **kwargs).stdout
        return json.loads(out) if out.strip() else {}

    def boto3(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY, addressing="path"):
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": addressing},
                          retries={"max_attempts": 1, "mode": "standard"}))

    def admin(self, method, path, timeout=60):
        req = urllib.request.Request(self.endpoint + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def flush(self, bucket=None):
        path = "/_logbucket/flush" + (f"?bucket={bucket}" if bucket else "")
        status, body = self.admin("POST", path)
        assert status == 200, (status, body)
        return body

    # --- access logs ---------------------------------------------------------------------------
    def list_keys(self, bucket, prefix=""):
        """Every key under `prefix` in `bucket` (ListObjectsV2, all pages), in listing order."""
        keys = []
        for page in self.boto3().get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                           Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def download_all(self, bucket, prefix=""):
        """{key: bytes} of every object under `prefix` in `bucket`."""
        s3 = self.boto3()
        return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                for key in self.list_keys(bucket, prefix)}

    def signed_request(self, method, path, body=b"", headers=None, access_key=ACCESS_KEY,
                       secret_key=SECRET_KEY):
        """Sends one SigV4-signed path-style request (`path` as sent on the wire, query included)
        with http.client; returns (status, headers with lower-case names, body bytes)."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        import http.client
        request = botocore.awsrequest.AWSRequest(method=method, url=self.endpoint + path,
                                                 data=body, headers=dict(headers or {}))
        credentials = botocore.credentials.Credentials(access_key, secret_key)
        botocore.auth.S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=dict(request.headers.items()))
            response = conn.getresponse()
            return (response.status, {k.lower(): v for k, v in response.getheaders()},
                    response.read())
        finally:
            conn.close()

    def log_records(self, bucket, prefix=""):
        """Every record of every log object under `prefix`, each line read with Amazon's Athena
        regex (tests/e2e/access_log.py); raises if a line does not match."""
        import access_log
        return [record for body in self.download_all(bucket, prefix).values()
                for record in access_log.parse_log_object(body)]

    def enable_logging(self, source, target, prefix, key_format=None):
        """PutBucketLogging with boto3; key_format is a TargetObjectKeyFormat dict."""
        enabled = {"TargetBucket": target, "TargetPrefix": prefix}
        if key_format:
            enabled["TargetObjectKeyFormat"] = key_format
        self.boto3().put_bucket_logging(Bucket=source,
                                        BucketLoggingStatus={"LoggingEnabled": enabled})
