"""The access-logging walk-through users try first, with the real aws CLI: a source bucket logging
to a log bucket, versioning on, the same key uploaded twice, versions listed, the key deleted, an
old version read back, a copy of it with --sse AES256, lifecycle rules on both buckets with a
two-second lifecycle day; then the delivered access logs, read with Amazon's Athena regex, hold
the right records with the right version ids. A focused check reads every file of the data
directory to see that bodies written with SSE-S3 are not stored in clear (and that one written
without it is, so the scan can fail).

Lifecycle runs with lifecycle.day = 2s, so "Days 1" falls due 2 to 4 seconds after an object is
written and the expirer runs every second; the test waits on conditions with deadlines."""
import json
import os
import shutil
import tempfile
import unittest
import uuid

from botocore.exceptions import ClientError

from harness import LogbucketServer, wait_until

SOURCE = "walk-source"
LOGS = "walk-logs"
LOG_PREFIX = "source-logs/"
KEY = "report.txt"
TEST_ARN = "arn:aws:iam::000000000000:user/test"
LIFECYCLE_DAY_SECONDS = 2


def lifecycle_rule(rule_id, prefix):
    return json.dumps({"Rules": [{"ID": rule_id, "Filter": {"Prefix": prefix},
                                  "Status": "Enabled", "Expiration": {"Days": 1}}]})


def files_containing(root, needle):
    """Paths of the files under `root` whose bytes contain `needle`."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except FileNotFoundError:  # a temporary file removed while walking
                pass
    return found


class VersioningSseLifecycleWalkThrough(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer(["--lifecycle-day", f"{LIFECYCLE_DAY_SECONDS}s"]).start()
        cls.work = tempfile.mkdtemp(prefix="logbucket-walk-")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.work, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def lifecycle_status(self):
        status, body = self.server.admin("GET", "/_logbucket/status")
        self.assertEqual(status, 200, body)
        return body["lifecycle"]

    def versions(self, prefix):
        """(Versions, DeleteMarkers) of `prefix` in SOURCE, as boto3 lists them."""
        listing = self.server.boto3().list_object_versions(Bucket=SOURCE, Prefix=prefix)
        return listing.get("Versions", []), listing.get("DeleteMarkers", [])

    def test_walk_through(self):
        s = self.server
        # 1. Two buckets, logging from the source to the log bucket, versioning on the source.
        s.aws("s3", "mb", f"s3://{SOURCE}")
        s.aws("s3", "mb", f"s3://{LOGS}")
        s.aws("s3api", "put-bucket-logging", "--bucket", SOURCE, "--bucket-logging-status",
              json.dumps({"LoggingEnabled": {"TargetBucket": LOGS, "TargetPrefix": LOG_PREFIX}}))
        s.aws("s3api", "put-bucket-versioning", "--bucket", SOURCE,
              "--versioning-configuration", "Status=Enabled")
        self.assertEqual(s.aws_json("s3api", "get-bucket-versioning", "--bucket", SOURCE),
                         {"Status": "Enabled"})

        # 2. The same key uploaded twice: two distinct version ids.
        first, second = b"first draft\n", b"second draft, longer\n"
        s.aws("s3", "cp", self.write("v1.txt", first), f"s3://{SOURCE}/{KEY}")
        put = s.aws_json("s3api", "put-object", "--bucket", SOURCE, "--key", KEY,
                         "--body", self.write("v2.txt", second))
        new_id = put["VersionId"]

        # 3. Both versions listed, the second on top; a delete puts a marker on top; the old
        #    version stays readable by id, the key without one is 404.
        listing = s.aws_json("s3api", "list-object-versions", "--bucket", SOURCE, "--prefix", KEY)
        self.assertNotIn("DeleteMarkers", listing)
        versions = listing["Versions"]
        self.assertEqual([v["IsLatest"] for v in versions], [True, False], versions)
        self.assertEqual(versions[0]["VersionId"], new_id)
        self.assertEqual([v["Size"] for v in versions], [len(second), len(first)])
        old_id = versions[1]["VersionId"]
        self.assertNotEqual(old_id, new_id)
        self.assertNotEqual(old_id, "null")

        s.aws("s3", "rm", f"s3://{SOURCE}/{KEY}")
        listing = s.aws_json("s3api", "list-object-versions", "--bucket", SOURCE, "--prefix", KEY)
        markers = listing["DeleteMarkers"]
        self.assertEqual(len(markers), 1, markers)
        self.assertTrue(markers[0]["IsLatest"])
        marker_id = markers[0]["VersionId"]
        self.assertNotIn(marker_id, (old_id, new_id))
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]],
                         [(new_id, False), (old_id, False)])

        got = s.aws_json("s3api", "get-object", "--bucket", SOURCE, "--key", KEY,
                         "--version-id", old_id, self.path("old.out"))
        self.assertEqual(got["VersionId"], old_id)
        self.assertEqual(self.read("old.out"), first)
        missing = s.aws("s3api", "get-object", "--bucket", SOURCE, "--key", KEY,
                        self.path("missing.out"), check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("NoSuchKey", missing.stderr)
        # What the CLI does not show: S3's 404 names the delete marker it found.
        with self.assertRaises(ClientError) as caught:
            s.boto3().get_object(Bucket=SOURCE, Key=KEY)
        error = caught.exception.response
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker"),
                         "true")
        self.assertEqual(error["ResponseMetadata"]["HTTPHeaders"].get("x-amz-version-id"),
                         marker_id)

        # 4. The old version copied back with SSE-S3.
        copied = s.aws_json("s3api", "copy-object", "--bucket", SOURCE, "--key", "restored.txt",
                            "--copy-source", f"{SOURCE}/{KEY}?versionId={old_id}",
                            "--server-side-encryption", "AES256")
        self.assertEqual(copied["CopySourceVersionId"], old_id)
        self.assertEqual(copied["ServerSideEncryption"], "AES256")
        restored_id = copied["VersionId"]
        self.assertNotIn(restored_id, (old_id, new_id, marker_id))
        head = s.aws_json("s3api", "head-object", "--bucket", SOURCE, "--key", "restored.txt")
        self.assertEqual(head["ServerSideEncryption"], "AES256")
        self.assertEqual(head["VersionId"], restored_id)
        self.assertEqual(head["ContentLength"], len(first))
        self.assertEqual(s.aws("s3", "cp", f"s3://{SOURCE}/restored.txt", "-").stdout,
                         first.decode())

        # Everything so far is delivered and read now: the log bucket's lifecycle rule below
        # expires these log objects.
        flushed = s.flush()
        self.assertEqual(flushed["problems"], [])
        early_keys = s.list_keys(LOGS, LOG_PREFIX)
        self.assertTrue(early_keys)
        records = s.log_records(LOGS, LOG_PREFIX)

        # 5. Lifecycle: expire tmp/ in the source (versioned: a delete marker) and old log
        #    objects in the log bucket.
        s.aws("s3", "cp", "-", f"s3://{SOURCE}/tmp/scratch.txt", input="scratch\n")
        s.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", LOGS,
              "--lifecycle-configuration", lifecycle_rule("expire-old-logs", LOG_PREFIX))
        s.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", SOURCE,
              "--lifecycle-configuration", lifecycle_rule("expire-tmp", "tmp/"))
        rules = s.aws_json("s3api", "get-bucket-lifecycle-configuration", "--bucket", SOURCE)
        self.assertEqual(rules["Rules"], [{"ID": "expire-tmp", "Filter": {"Prefix": "tmp/"},
                                           "Status": "Enabled", "Expiration": {"Days": 1}}])
        rules = s.boto3().get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]
        self.assertEqual(rules, [{"ID": "expire-old-logs", "Filter": {"Prefix": LOG_PREFIX},
                                  "Status": "Enabled", "Expiration": {"Days": 1}}])

        lifecycle = self.lifecycle_status()
        self.assertEqual(lifecycle["day_seconds"], LIFECYCLE_DAY_SECONDS)
        self.assertEqual(lifecycle["interval_ms"], 1000)
        self.assertTrue(lifecycle["next_run"])

        def tmp_expired():
            _, tmp_markers = self.versions("tmp/")
            return [m for m in tmp_markers if m["IsLatest"]]

        def early_logs_gone():
            return not set(early_keys) & set(s.list_keys(LOGS, LOG_PREFIX))

        tmp_markers = wait_until(tmp_expired, timeout=30, interval=0.25,
                                 what="the lifecycle delete marker on tmp/scratch.txt")
        wait_until(early_logs_gone, timeout=30, interval=0.25,
                   what="the lifecycle expiration of the delivered log objects")
        lifecycle = self.lifecycle_status()
        self.assertGreaterEqual(lifecycle["totals"]["delete_markers_created"], 1, lifecycle)
        self.assertGreaterEqual(lifecycle["totals"]["expired_objects"], len(early_keys), lifecycle)
        self.assertEqual(lifecycle["last_problems"], [])
        self.assertTrue(lifecycle["last_run"])

        listing = s.aws_json("s3api", "list-object-versions", "--bucket", SOURCE, "--prefix",
                             "tmp/")
        self.assertEqual([(m["Key"], m["IsLatest"]) for m in listing["DeleteMarkers"]],
                         [("tmp/scratch.txt", True)])
        self.assertEqual([(v["Key"], v["IsLatest"]) for v in listing["Versions"]],
                         [("tmp/scratch.txt", False)])
        lifecycle_marker_id = listing["DeleteMarkers"][0]["VersionId"]
        self.assertEqual(tmp_markers[0]["VersionId"], lifecycle_marker_id)
        # The rule's prefix holds: nothing outside tmp/ was touched.
        versions, markers = self.versions(KEY)
        self.assertEqual([v["VersionId"] for v in versions], [new_id, old_id])
        self.assertEqual([m["VersionId"] for m in markers], [marker_id])
        versions, markers = self.versions("restored.txt")
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in versions],
                         [(restored_id, True)])
        self.assertEqual(markers, [])

        # The log bucket's rule goes, so that the next delivery stays to be read.
        s.aws("s3api", "delete-bucket-lifecycle", "--bucket", LOGS)
        gone = s.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", LOGS,
                     check=False)
        self.assertNotEqual(gone.returncode, 0)
        self.assertIn("NoSuchLifecycleConfiguration", gone.stderr)

        # 6. The delivered records.
        flushed = s.flush()
        self.assertEqual(flushed["problems"], [])
        late_keys = s.list_keys(LOGS, LOG_PREFIX)
        self.assertTrue(late_keys)
        self.assertFalse(set(late_keys) & set(early_keys))
        records += s.log_records(LOGS, LOG_PREFIX)
        self.check_records(records, dict(old_id=old_id, first=first, second=second,
                                         marker_id=marker_id,
                                         lifecycle_marker_id=lifecycle_marker_id))

    def check_records(self, records, facts):
        for r in records:  # exactly 26 fields: no source-region field was asked for
            self.assertIsNone(r.source_region, r.line)
            self.assertEqual(r.extra_fields, [], r.line)
            self.assertEqual(r.bucket, SOURCE, r.line)
        ids = [r.request_id for r in records if not r.operation.startswith("REST.COPY.")]
        self.assertEqual(len(ids), len(set(ids)), "a request was delivered twice")

        def find(operation, key="-", **fields):
            found = [r for r in records if r.operation == operation and r.key == key
                     and all(r.values[k] == v for k, v in fields.items())]
            self.assertTrue(found, f"no {operation} {key} {fields} among:\n" +
                            "\n".join(r.line for r in records))
            return found

        by_cli = dict(requester=TEST_ARN, signature_version="SigV4", auth_type="AuthHeader")
        # The request that turned logging on arrived while the bucket had none: a change
        # applies to the requests after it, so that one is not logged.
        self.assertNotIn("REST.PUT.LOGGING_STATUS", {r.operation for r in records})
        find("REST.PUT.VERSIONING", request_uri=f"PUT /{SOURCE}?versioning HTTP/1.1",
             http_status="200", version_id="-", **by_cli)
        find("REST.GET.VERSIONING", request_uri=f"GET /{SOURCE}?versioning HTTP/1.1",
             http_status="200", **by_cli)
        puts = find("REST.PUT.OBJECT", KEY, http_status="200", version_id="-", **by_cli)
        self.assertEqual(sorted(r.object_size for r in puts),
                         sorted([str(len(facts["first"])), str(len(facts["second"]))]))
        listings = find("REST.GET.BUCKETVERSIONS", http_status="200", **by_cli)
        self.assertGreaterEqual(len(listings), 3)
        for r in listings:
            self.assertTrue(r.request_uri.startswith(f"GET /{SOURCE}?versions"), r.line)
        delete = find("REST.DELETE.OBJECT", KEY, http_status="204", version_id="-", **by_cli)
        self.assertEqual(len(delete), 1)
        old = facts["old_id"]
        get_old = find("REST.GET.OBJECT", KEY, http_status="200", version_id=old, **by_cli)
        self.assertEqual(len(get_old), 1)
        self.assertEqual(get_old[0].request_uri, f"GET /{SOURCE}/{KEY}?versionId={old} HTTP/1.1")
        self.assertEqual(get_old[0].bytes_sent, str(len(facts["first"])))
        self.assertEqual(get_old[0].object_size, str(len(facts["first"])))
        missing = find("REST.GET.OBJECT", KEY, http_status="404", error_code="NoSuchKey",
                       version_id="-", **by_cli)
        self.assertEqual(len(missing), 2)  # the CLI's and boto3's

        copy = find("REST.COPY.OBJECT", "restored.txt", http_status="200", **by_cli)
        self.assertEqual(len(copy), 1)
        copy_get = find("REST.COPY.OBJECT_GET", KEY, version_id=old,
                        request_id=copy[0].request_id)
        self.assertEqual(len(copy_get), 1)
        self.assertEqual(copy_get[0].object_size, str(len(facts["first"])))
        find("REST.HEAD.OBJECT", "restored.txt", http_status="200", **by_cli)
        find("REST.GET.OBJECT", "restored.txt", http_status="200", version_id="-", **by_cli)

        scratch = find("REST.PUT.OBJECT", "tmp/scratch.txt", http_status="200", **by_cli)
        find("REST.PUT.LIFECYCLE", request_uri=f"PUT /{SOURCE}?lifecycle HTTP/1.1",
             http_status="200", **by_cli)
        find("REST.GET.LIFECYCLE", request_uri=f"GET /{SOURCE}?lifecycle HTTP/1.1",
             http_status="200", **by_cli)
        expired = find("S3.CREATE.DELETEMARKER", "tmp/scratch.txt")
        self.assertEqual(len(expired), 1, [r.line for r in expired])
        r = expired[0]
        self.assertEqual(r.requester, "AmazonS3", r.line)
        self.assertEqual(r.version_id, facts["lifecycle_marker_id"], r.line)
        self.assertEqual((r.request_uri, r.quoted["request_uri"]), ("-", False), r.line)
        for name in ("remote_ip", "http_status", "error_code", "signature_version", "auth_type"):
            self.assertEqual(r.values[name], "-", f"{name}: {r.line}")
        # Not before its day: written at t, "Days 1" falls due at t + 1 day rounded up to a day
        # boundary, so the logged times (whole seconds) are at least a day apart.
        waited = (r.time_utc - scratch[0].time_utc).total_seconds()
        self.assertGreaterEqual(waited, LIFECYCLE_DAY_SECONDS, r.line)
        # No lifecycle action but that one happened in the source bucket.
        self.assertEqual([x.key for x in records if x.operation.startswith("S3.")],
                         ["tmp/scratch.txt"])

    def test_sse_bodies_are_not_stored_in_clear(self):
        s = self.server
        bucket = "sse-at-rest"
        s.aws("s3", "mb", f"s3://{bucket}")
        tag = uuid.uuid4().hex

        def body(kind, size):
            line = f"{kind}-{tag} plaintext that must not reach the disk\n".encode()
            return (line * (size // len(line) + 1))[:size]

        # A control in clear: the scan finds what is there to find.
        clear = body("clear", 4096)
        s.boto3().put_object(Bucket=bucket, Key="clear.txt", Body=clear)
        self.assertTrue(files_containing(s.data_dir, f"clear-{tag}".encode()))

        small = body("small", 64 * 1024)
        large = body("large", 9 * 1024 * 1024)  # above the CLI's 8 MiB multipart threshold
        s.aws("s3", "cp", self.write("small.bin", small), f"s3://{bucket}/small.bin",
              "--sse", "AES256")
        s.aws("s3", "cp", self.write("large.bin", large), f"s3://{bucket}/large.bin",
              "--sse", "AES256")
        s.aws("s3", "cp", f"s3://{bucket}/small.bin", f"s3://{bucket}/copy/small.bin",
              "--sse", "AES256")
        # A bucket default encrypts a write that names no encryption.
        s.aws("s3api", "put-bucket-encryption", "--bucket", bucket,
              "--server-side-encryption-configuration",
              json.dumps({"Rules": [{"ApplyServerSideEncryptionByDefault":
                                     {"SSEAlgorithm": "AES256"}}]}))
        by_default = body("default", 4096)
        s.boto3().put_object(Bucket=bucket, Key="default.txt", Body=by_default)

        c = s.boto3()
        for key, data in [("small.bin", small), ("large.bin", large),
                          ("copy/small.bin", small), ("default.txt", by_default)]:
            head = c.head_object(Bucket=bucket, Key=key)
            self.assertEqual(head["ServerSideEncryption"], "AES256", key)
            self.assertEqual(head["ContentLength"], len(data), key)
            self.assertEqual(c.get_object(Bucket=bucket, Key=key)["Body"].read(), data, key)
        self.assertEqual(c.get_object(Bucket=bucket, Key="large.bin", Range="bytes=5000000-5000099")
                         ["Body"].read(), large[5000000:5000100])
        self.assertTrue(s.aws_json("s3api", "head-object", "--bucket", bucket, "--key",
                                   "large.bin")["ETag"].endswith('-2"'))
        for kind in ("small", "large", "default"):
            self.assertEqual(files_containing(s.data_dir, f"{kind}-{tag}".encode()), [], kind)


if __name__ == "__main__":
    unittest.main()
