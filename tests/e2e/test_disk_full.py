"""Disk full: the data directory on a 64 MiB tmpfs is filled with PUTs until they fail. The
failing answer must be S3's 5xx XML error (ServiceUnavailable or InternalError); objects stored
before must still read back exactly; access-log records spooled before the disk filled must be
delivered once space returns; and the server must keep serving throughout and after a restart.
Needs root (mount); skipped with the reason otherwise."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from botocore.exceptions import ClientError

from harness import LogbucketServer, wait_until

MiB = 1024 * 1024


def mount_tmpfs(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                          capture_output=True, text=True)


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.mountpoint = tempfile.mkdtemp(prefix="logbucket-diskfull-")
        self.addCleanup(shutil.rmtree, self.mountpoint, ignore_errors=True)
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        result = mount_tmpfs(self.mountpoint, "64m")
        if result.returncode != 0:
            self.skipTest(f"mount -t tmpfs is not permitted here: {result.stderr.strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", self.mountpoint], capture_output=True)
        self.server = LogbucketServer(data_dir=os.path.join(self.mountpoint, "data"))
        self.server.start()
        self.addCleanup(self.server.stop)
        self.s3 = self.server.boto3()

    def put(self, key, body, **kwargs):
        response = self.s3.put_object(Bucket="src", Key=key, Body=body, **kwargs)
        return response["ResponseMetadata"]["RequestId"]

    def fill(self, size, limit):
        """PUTs `size`-byte objects until one fails; returns (stored keys, failing answer)."""
        stored = []
        for i in range(limit):
            key = f"fill-{size}-{i}"
            status, headers, body = self.server.signed_request(
                "PUT", f"/src/{key}", os.urandom(size))
            if status != 200:
                return stored, (status, headers, body)
            stored.append(key)
        self.fail(f"{limit} PUTs of {size} bytes all succeeded on a 64 MiB filesystem")

    def assert_s3_5xx(self, answer):
        status, headers, body = answer
        code = re.search(rb"<Code>([^<]*)</Code>", body)
        self.assertIn(status, (500, 503), body[:300])
        self.assertIsNotNone(code, body[:300])
        self.assertIn(code.group(1), (b"ServiceUnavailable", b"InternalError"))
        self.assertTrue(body.startswith(b"<?xml"), body[:100])
        self.assertIn("application/xml", headers.get("content-type", ""))
        self.assertIn("x-amz-request-id", headers)

    def assert_kept(self, kept):
        for key, (body, metadata) in kept.items():
            response = self.s3.get_object(Bucket="src", Key=key)
            self.assertEqual(hashlib.sha256(response["Body"].read()).digest(),
                             hashlib.sha256(body).digest(), key)
            self.assertEqual(response["Metadata"], metadata, key)

    def test_writes_fail_with_5xx_and_nothing_stored_or_spooled_is_lost(self):
        self.s3.create_bucket(Bucket="src")
        self.s3.create_bucket(Bucket="logs")
        self.server.enable_logging("src", "logs", "full/")
        kept, ids_before = {}, set()
        for i in range(4):
            body, metadata = os.urandom(MiB + i), {"index": str(i)}
            ids_before.add(self.put(f"keep-{i}", body, Metadata=metadata))
            kept[f"keep-{i}"] = (body, metadata)
        ids_before.add(self.s3.get_object(Bucket="src", Key="keep-0")
                       ["ResponseMetadata"]["RequestId"])

        big, first_failure = self.fill(4 * MiB, 40)
        self.assert_s3_5xx(first_failure)
        small, last_failure = self.fill(64 * 1024, 2000)
        self.assert_s3_5xx(last_failure)
        multipart_error = None
        try:
            upload = self.s3.create_multipart_upload(Bucket="src", Key="mp")
            self.s3.upload_part(Bucket="src", Key="mp", UploadId=upload["UploadId"],
                                PartNumber=1, Body=os.urandom(5 * MiB))
        except ClientError as e:
            multipart_error = e.response
        self.assertIsNotNone(multipart_error, "a 5 MiB part was stored on a full disk")
        self.assertIn(multipart_error["ResponseMetadata"]["HTTPStatusCode"], (500, 503))

        # Still serving: reads, listings and the admin surface answer; stored objects intact.
        self.assert_kept(kept)
        listed = set(self.server.list_keys("src"))
        self.assertTrue(set(kept) | set(big) | set(small) <= listed)
        self.assertEqual(self.server.admin("GET", "/_logbucket/health")[0], 200)
        for key in big[:2]:
            self.assertEqual(self.s3.head_object(Bucket="src", Key=key)["ContentLength"], 4 * MiB)

        # Space returns (the filesystem grows), then everything works again.
        self.remount("256m")
        after_id = self.put("after", b"space is back", Metadata={"x": "y"})
        kept["after"] = (b"space is back", {"x": "y"})
        self.server.flush()
        records = self.server.log_records("logs", "full/")
        logged = {r.request_id for r in records}
        self.assertEqual(ids_before - logged, set(), "records spooled before the disk filled")
        self.assertIn(after_id, logged)
        ids = [r.request_id for r in records]
        self.assertEqual(len(ids), len(set(ids)), "a record was delivered twice")
        for key in big + small:
            self.s3.delete_object(Bucket="src", Key=key)

        # And the data survives a crash and restart after all this.
        self.server.kill()
        self.server.start(self.server.port)
        self.s3 = self.server.boto3()
        self.assert_kept(kept)
        self.assertEqual(self.s3.list_objects_v2(Bucket="src")["KeyCount"], len(kept))

    def remount(self, size):
        result = subprocess.run(["mount", "-o", f"remount,size={size}", self.mountpoint],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_deleting_objects_on_a_full_disk_frees_space(self):
        self.s3.create_bucket(Bucket="src")
        self.s3.create_bucket(Bucket="logs")
        self.server.enable_logging("src", "logs", "full/")
        self.put("before", b"before")
        big, failure = self.fill(4 * MiB, 40)
        self.assert_s3_5xx(failure)
        small, failure = self.fill(64 * 1024, 2000)
        self.assert_s3_5xx(failure)
        with self.assertRaises(ClientError):  # a multipart part cannot be stored either
            upload = self.s3.create_multipart_upload(Bucket="src", Key="mp")
            self.s3.upload_part(Bucket="src", Key="mp", UploadId=upload["UploadId"],
                                PartNumber=1, Body=os.urandom(5 * MiB))
        for key in big + small:  # S3 always lets the owner delete; a full disk must not stop it
            status, _, body = self.server.signed_request("DELETE", f"/src/{key}")
            self.assertEqual(status, 204, (key, body[:300]))
        self.assertEqual(self.s3.list_objects_v2(Bucket="src")["KeyCount"], 1)
        self.put("resumed", b"r" * MiB)
        self.assertEqual(self.s3.get_object(Bucket="src", Key="resumed")["Body"].read(),
                         b"r" * MiB)
        self.assertEqual(self.s3.get_object(Bucket="src", Key="before")["Body"].read(), b"before")

    def test_remounting_bigger_resumes_service(self):
        self.s3.create_bucket(Bucket="src")
        self.put("before", b"before")
        _, failure = self.fill(8 * MiB, 20)
        self.assert_s3_5xx(failure)
        self.remount("256m")
        wait_until(lambda: self.server.signed_request("PUT", "/src/resumed", b"r" * MiB)[0] == 200,
                   timeout=10, what="PUTs to succeed once the filesystem is bigger")
        self.assertEqual(self.s3.get_object(Bucket="src", Key="resumed")["Body"].read(),
                         b"r" * MiB)
        self.assertEqual(self.s3.get_object(Bucket="src", Key="before")["Body"].read(), b"before")


if __name__ == "__main__":
    unittest.main()
