#!/usr/bin/env python3
"""Crash campaign: SIGKILL the real server at random moments while clients PUT, multipart-upload,
copy and delete and while access-log deliveries run, then restart and check what survived.

Each trial starts logbucket on one persistent data directory (--logging-flush-interval 1s, access
logging enabled on the source buckets), runs several client threads, kills the server with
SIGKILL at a random moment, restarts it (timing the start-up) and checks:

- every key holds exactly its last acknowledged state (bytes, metadata, content type, or
  absence), or, when a request on it was in flight at the kill, that request's complete new
  state: never a partial object, never a key nobody wrote;
- in the versioned source bucket, every acknowledged version id (objects and delete markers)
  is still there: each version written since the previous check, and a random sample of older
  ones, is read back by id with exactly its bytes (a delete marker answers 405);
- start-up is clean (no error diagnostics) and fast.

At the end it flushes, downloads every delivered log object, reads each line with
tests/e2e/access_log.py, and checks that every acknowledged request (including the checking
GETs) appears exactly once across all deliveries of the campaign and that no record is
duplicated.

Usage: crash_campaign.py [--trials N] [--seed S]; CRASH_TRIALS overrides --trials.
The binary comes from $LOGBUCKET_BINARY (as for the e2e tests). Exit status 0 on success.
"""
import argparse
import collections
import hashlib
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import access_log  # noqa: E402
import harness  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SOURCES = ("crash-src-a", "crash-src-b")
VERSIONED = {"crash-src-b"}
OLD_VERSIONS_CHECKED = 20  # per trial, besides every version acknowledged since the last check
TARGET = "crash-logs"
THREADS = 4
KEYS_PER_THREAD = 5
MiB = 1024 * 1024
MAX_STARTUP_SECONDS = 5.0
ABSENT = ("absent",)


def state_of(body, metadata, content_type):
    return (hashlib.md5(body).hexdigest(), len(body), tuple(sorted(metadata.items())),
            content_type)


class Ledger:
    """What the clients were told. Each key belongs to one thread, so its operations are
    sequential: `confirmed` is the last acknowledged state and `pending` the complete new state
    of a request whose outcome is unknown (in flight at the kill)."""

    def __init__(self):
        self.lock = threading.Lock()  # guards acked_ids and unknown
        self.confirmed = {}           # (bucket, key) -> state
        self.pending = {}             # (bucket, key) -> state a lost request may have made
        self.acked_ids = []           # (bucket, request id, operation) of answered requests
        self.unknown = 0
        self.versions = {}            # (bucket, key, version id) -> state (ABSENT: delete marker)
        self.new_versions = []        # version keys acknowledged since the last check

    def version(self, target, response, state):
        """Records the version an acknowledged write or delete created in a versioned bucket."""
        version_id = response.get("VersionId")
        if target[0] in VERSIONED and version_id:
            entry = (target[0], target[1], version_id)
            self.versions[entry] = state
            self.new_versions.append(entry)

    def ack(self, bucket, response_meta, operation):
        request_id = response_meta.get("RequestId")
        if request_id:
            with self.lock:
                self.acked_ids.append((bucket, request_id, operation))


class Client(threading.Thread):
    """One client thread: random operations on its own keys until `stop` is set."""

    def __init__(self, server, ledger, index, trial, rng, stop):
        super().__init__(daemon=True)
        self.s3 = server.boto3()
        self.ledger, self.index, self.trial, self.rng, self.stop = ledger, index, trial, rng, stop
        self.bucket = SOURCES[index % len(SOURCES)]
        self.seq = 0

    def keys(self):
        return [(self.bucket, f"t{self.index}/k{i}") for i in range(KEYS_PER_THREAD)]

    def run(self):
        while not self.stop.is_set():
            self.seq += 1
            target = self.rng.choice(self.keys())
            roll = self.rng.random()
            op = (self.put if roll < 0.5 else self.copy if roll < 0.7 else
                  self.delete if roll < 0.85 else self.multipart)
            if not op(target):
                return

    def call(self, target, new_state, operation, method, **kwargs):
        """Runs one request. Returns its response, None for an S3 error answer, or raises
        _Lost when no answer came (then `new_state`, if any, is recorded as pending)."""
        bucket, key = target
        try:
            response = getattr(self.s3, method)(Bucket=bucket, **kwargs)
        except ClientError as e:
            self.ledger.ack(bucket, e.response.get("ResponseMetadata", {}), operation)
            return None
        except Exception:  # connection reset or refused: the server died under the request
            with self.ledger.lock:
                self.ledger.unknown += 1
            if new_state is not None:
                self.ledger.pending[target] = new_state
            raise _Lost()
        self.ledger.ack(bucket, response["ResponseMetadata"], operation)
        return response

    def new_object(self, size):
        body = self.rng.randbytes(size)
        metadata = {"trial": str(self.trial), "seq": str(self.seq), "thread": str(self.index)}
        content_type = self.rng.choice(["application/octet-stream", "text/plain", "image/png"])
        return body, metadata, content_type

    def put(self, target):
        body, metadata, content_type = self.new_object(self.rng.choice([0, 1, 1000, 70000, 300000]))
        new = state_of(body, metadata, content_type)
        try:
            response = self.call(target, new, "REST.PUT.OBJECT", "put_object", Key=target[1],
                                 Body=body, Metadata=metadata, ContentType=content_type)
            if response is not None:
                self.ledger.confirmed[target] = new
                self.ledger.version(target, response, new)
        except _Lost:
            return False
        return True

    def copy(self, target):
        source = self.rng.choice(self.keys())
        source_state = self.ledger.confirmed.get(source, ABSENT)
        if source == target or source_state == ABSENT:
            return self.put(target)
        try:
            response = self.call(target, source_state, "REST.COPY.OBJECT", "copy_object",
                                 Key=target[1],
                                 CopySource={"Bucket": source[0], "Key": source[1]})
            if response is not None:
                self.ledger.confirmed[target] = source_state
                self.ledger.version(target, response, source_state)
        except _Lost:
            return False
        return True

    def delete(self, target):
        try:
            response = self.call(target, ABSENT, "REST.DELETE.OBJECT", "delete_object",
                                 Key=target[1])
            if response is not None:
                self.ledger.confirmed[target] = ABSENT
                if response.get("DeleteMarker"):
                    self.ledger.version(target, response, ABSENT)
        except _Lost:
            return False
        return True

    def multipart(self, target):
        body, metadata, content_type = self.new_object(5 * MiB + self.rng.randrange(1, 100000))
        new = state_of(body, metadata, content_type)
        key = target[1]
        try:
            created = self.call(target, None, "REST.POST.UPLOADS", "create_multipart_upload",
                                Key=key, Metadata=metadata, ContentType=content_type)
            if created is None:
                return True
            upload_id, parts = created["UploadId"], []
            for number, piece in ((1, body[:5 * MiB]), (2, body[5 * MiB:])):
                part = self.call(target, None, "REST.PUT.PART", "upload_part", Key=key,
                                 UploadId=upload_id, PartNumber=number, Body=piece)
                if part is None:
                    return True
                parts.append({"PartNumber": number, "ETag": part["ETag"]})
            response = self.call(target, new, "REST.POST.UPLOAD", "complete_multipart_upload",
                                 Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
            if response is not None:
                self.ledger.confirmed[target] = new
                self.ledger.version(target, response, new)
        except _Lost:
            return False
        return True


class _Lost(Exception):
    pass


class Campaign:
    def __init__(self, trials, seed):
        self.trials, self.rng = trials, random.Random(seed)
        self.seed = seed
        self.data_dir = tempfile.mkdtemp(prefix="logbucket-crash-")
        self.server = harness.LogbucketServer(["--logging-flush-interval", "1s"],
                                              data_dir=self.data_dir)
        self.ledger = Ledger()
        self.startups = []
        self.failures = []
        self.kills_during_requests = 0

    def fail(self, message):
        self.failures.append(message)
        print("FAIL:", message, flush=True)

    def start(self, port=None):
        started = time.monotonic()
        self.server.start(port)
        elapsed = time.monotonic() - started
        errors = [line for line in self.server.output if " error " in line or " critical " in line]
        if errors:
            self.fail(f"start-up reported errors: {errors[:5]}")
        self.server.output.clear()
        return elapsed

    def setup(self):
        self.start()
        s3 = self.server.boto3()
        for bucket in (TARGET, *SOURCES):
            s3.create_bucket(Bucket=bucket)
        for source in SOURCES:
            self.server.enable_logging(source, TARGET, f"{source}/")
        for bucket in VERSIONED:
            s3.put_bucket_versioning(Bucket=bucket,
                                     VersioningConfiguration={"Status": "Enabled"})

    def trial(self, number):
        stop = threading.Event()
        clients = [Client(self.server, self.ledger, i, number, random.Random(self.rng.random()),
                          stop) for i in range(THREADS)]
        for client in clients:
            client.start()
        # Kill at a random moment: sometimes almost at once, sometimes after deliveries ran.
        time.sleep(self.rng.choice([0.05, 0.2, 0.5]) + self.rng.random() * 1.2)
        unknown_before = self.ledger.unknown
        stop.set()
        self.server.kill()
        for client in clients:
            client.join(timeout=60)
            if client.is_alive():
                self.fail(f"trial {number}: client {client.index} hung after the kill")
        if self.ledger.unknown > unknown_before:
            self.kills_during_requests += 1
        elapsed = self.start(self.server.port)
        self.startups.append(elapsed)
        if elapsed > MAX_STARTUP_SECONDS:
            self.fail(f"trial {number}: start-up after SIGKILL took {elapsed:.2f}s")
        self.verify(number)

    def verify(self, number):
        s3 = self.server.boto3()
        expected_keys = {target for target in set(self.ledger.confirmed) | set(self.ledger.pending)
                         if self.ledger.confirmed.get(target) != ABSENT
                         or target in self.ledger.pending}
        for target in sorted(expected_keys):
            bucket, key = target
            try:
                response = s3.get_object(Bucket=bucket, Key=key)
                body = response["Body"].read()
                self.ledger.ack(bucket, response["ResponseMetadata"], "REST.GET.OBJECT")
                got = state_of(body, response.get("Metadata", {}), response.get("ContentType"))
                if len(body) != response["ContentLength"]:
                    self.fail(f"trial {number}: {target} short body {len(body)}")
            except ClientError as e:
                self.ledger.ack(bucket, e.response["ResponseMetadata"], "REST.GET.OBJECT")
                if e.response["Error"]["Code"] != "NoSuchKey":
                    self.fail(f"trial {number}: GET {target}: {e.response['Error']}")
                    continue
                got = ABSENT
            allowed = {self.ledger.confirmed.get(target, ABSENT)}
            if target in self.ledger.pending:
                allowed.add(self.ledger.pending[target])
            if got not in allowed:
                self.fail(f"trial {number}: {target} is {got[:2]}..., expected one of "
                          f"{[a[:2] for a in allowed]}")
            self.ledger.confirmed[target] = got
        self.ledger.pending.clear()
        self.verify_versions(number, s3)
        for bucket in SOURCES:
            listing = s3.list_objects_v2(Bucket=bucket)
            self.ledger.ack(bucket, listing["ResponseMetadata"], "REST.GET.BUCKET")
            for item in listing.get("Contents", []):
                state = self.ledger.confirmed.get((bucket, item["Key"]), ABSENT)
                if state == ABSENT or state[1] != item["Size"]:
                    self.fail(f"trial {number}: listing shows {bucket}/{item['Key']} "
                              f"({item['Size']} bytes), ledger has {state[:2]}")

    def verify_versions(self, number, s3):
        older = [v for v in self.ledger.versions if v not in set(self.ledger.new_versions)]
        sample = self.rng.sample(older, min(OLD_VERSIONS_CHECKED, len(older)))
        for entry in self.ledger.new_versions + sample:
            bucket, key, version_id = entry
            want = self.ledger.versions[entry]
            try:
                response = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)
                body = response["Body"].read()
                self.ledger.ack(bucket, response["ResponseMetadata"], "REST.GET.OBJECT")
                got = state_of(body, response.get("Metadata", {}), response.get("ContentType"))
            except ClientError as e:
                self.ledger.ack(bucket, e.response["ResponseMetadata"], "REST.GET.OBJECT")
                code = e.response["Error"]["Code"]
                got = ABSENT if code == "MethodNotAllowed" else ("error", code)
            if got != want:
                self.fail(f"trial {number}: version {entry} is {got[:2]}, acknowledged as "
                          f"{want[:2]}")
        self.ledger.new_versions.clear()

    def verify_logs(self):
        self.server.flush()
        seen = collections.Counter()
        log_objects = 0
        for source in SOURCES:
            for key, body in self.server.download_all(TARGET, f"{source}/").items():
                log_objects += 1
                for record in access_log.parse_log_object(body):
                    seen[(record.bucket, record.request_id, record.operation)] += 1
        duplicated = {k: n for k, n in seen.items() if n > 1}
        if duplicated:
            self.fail(f"{len(duplicated)} records delivered more than once, e.g. "
                      f"{list(duplicated.items())[:5]}")
        missing = [a for a in self.ledger.acked_ids if seen[a] == 0]
        if missing:
            by_id = collections.defaultdict(list)
            for bucket, request_id, operation in seen:
                by_id[request_id].append((bucket, operation))
            examples = [(a, "logged as", by_id.get(a[1], [])) for a in missing[:5]]
            self.fail(f"{len(missing)} of {len(self.ledger.acked_ids)} acknowledged requests "
                      f"have no record, e.g. {examples}")
        return log_objects, sum(seen.values())

    def run(self):
        began = time.monotonic()
        try:
            self.setup()
            for number in range(1, self.trials + 1):
                self.trial(number)
            log_objects, records = self.verify_logs()
        finally:
            self.server.stop(signal.SIGTERM)
            shutil.rmtree(self.data_dir, ignore_errors=True)
        print(f"crash campaign: seed {self.seed}, {self.trials} trials in "
              f"{time.monotonic() - began:.1f}s, {self.kills_during_requests} kills with a request "
              f"in flight, {self.ledger.unknown} requests of unknown outcome, "
              f"{len(self.ledger.acked_ids)} acknowledged requests checked against {records} "
              f"records in {log_objects} log objects, {len(self.ledger.versions)} acknowledged "
              f"versions kept")
        print(f"start-up after SIGKILL: mean {statistics.mean(self.startups):.3f}s, "
              f"max {max(self.startups):.3f}s")
        for failure in self.failures:
            print("FAIL:", failure)
        return not self.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    trials = int(os.environ.get("CRASH_TRIALS", args.trials))
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    return 0 if Campaign(trials, seed).run() else 1


if __name__ == "__main__":
    sys.exit(main())
