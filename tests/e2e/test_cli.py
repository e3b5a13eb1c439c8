"""The README's first session with the real aws CLI, plus presigned URLs, bad signatures and
restarts (issue: foundation)."""
import filecmp
import hashlib
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import LogbucketServer


class CliSession(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer().start()
        cls.work = tempfile.mkdtemp(prefix="logbucket-cli-")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def test_first_session(self):
        s = self.server
        s.aws("s3", "mb", "s3://demo")
        self.assertIn("demo", s.aws("s3", "ls").stdout)

        small = self.path("hello.txt")
        with open(small, "w") as f:
            f.write("hello, logbucket\n")
        s.aws("s3", "cp", small, "s3://demo/hello.txt")

        big = self.path("big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(50 * 1024 * 1024))
        s.aws("s3", "cp", big, "s3://demo/dir/big.bin")  # multipart: 8 MiB parts

        head = s.aws_json("s3api", "head-object", "--bucket", "demo", "--key", "dir/big.bin")
        self.assertEqual(head["ContentLength"], 50 * 1024 * 1024)
        self.assertTrue(head["ETag"].endswith('-7"'), head["ETag"])  # 50 MiB / 8 MiB parts

        listing = s.aws("s3", "ls", "s3://demo/", "--recursive").stdout
        self.assertIn("hello.txt", listing)
        self.assertIn("dir/big.bin", listing)

        back = self.path("big.back")
        s.aws("s3", "cp", "s3://demo/dir/big.bin", back)
        self.assertTrue(filecmp.cmp(big, back, shallow=False))
        got = s.aws("s3", "cp", "s3://demo/hello.txt", "-").stdout
        self.assertEqual(got, "hello, logbucket\n")

        tree = self.path("tree")
        for sub in ["a", "a/b", "c d"]:
            os.makedirs(os.path.join(tree, sub), exist_ok=True)
        files = {"a/1.txt": b"one", "a/b/2.txt": b"two" * 1000, "c d/3 %+.txt": b"three",
                 "top.json": b"{}"}
        for name, data in files.items():
            with open(os.path.join(tree, name), "wb") as f:
                f.write(data)
        s.aws("s3", "sync", tree, "s3://demo/tree")
        synced = s.aws("s3", "ls", "s3://demo/tree/", "--recursive").stdout
        for name in files:
            self.assertIn("tree/" + name, synced)

        down = self.path("down")
        s.aws("s3", "cp", "s3://demo/tree", down, "--recursive")
        for name, data in files.items():
            with open(os.path.join(down, name), "rb") as f:
                self.assertEqual(f.read(), data, name)

        # rb refuses a non-empty bucket; rm --recursive empties it.
        refused = s.aws("s3", "rb", "s3://demo", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("BucketNotEmpty", refused.stderr)
        s.aws("s3", "rm", "s3://demo", "--recursive")
        self.assertEqual(s.aws("s3", "ls", "s3://demo", "--recursive").stdout.strip(), "")
        s.aws("s3", "rb", "s3://demo")
        self.assertNotIn("demo", s.aws("s3", "ls").stdout)

    def test_presigned_get_with_curl(self):
        s = self.server
        s.aws("s3", "mb", "s3://presign")
        s.aws("s3", "cp", "-", "s3://presign/doc.txt", input="presigned body")
        url = s.aws("s3", "presign", "s3://presign/doc.txt", "--expires-in", "300").stdout.strip()
        out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", url], capture_output=True,
                             text=True, check=True).stdout
        body, code = out.rsplit("\n", 1)
        self.assertEqual(code, "200")
        self.assertEqual(body, "presigned body")
        tampered = url.replace("doc.txt", "other.txt")
        out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", tampered],
                             capture_output=True, text=True, check=True).stdout
        self.assertTrue(out.endswith("403"), out)
        self.assertIn("SignatureDoesNotMatch", out)

    def test_wrong_secret_is_signature_does_not_match(self):
        s = self.server
        s.aws("s3", "mb", "s3://secret-check")
        bad = s.aws("s3api", "list-objects-v2", "--bucket", "secret-check", check=False,
                    secret_key="not-the-secret")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("SignatureDoesNotMatch", bad.stderr)
        unknown = s.aws("s3", "ls", check=False, access_key="nobody")
        self.assertIn("InvalidAccessKeyId", unknown.stderr)


class Restart(unittest.TestCase):
    def test_data_survives_restart_and_kill(self):
        s = LogbucketServer().start()
        try:
            s.aws("s3", "mb", "s3://durable")
            data = os.urandom(3 * 1024 * 1024)
            digest = hashlib.md5(data).hexdigest()
            c = s.boto3()
            c.put_object(Bucket="durable", Key="x/y.bin", Body=data, Metadata={"k": "v"})
            s.restart()
            c = s.boto3()
            got = c.get_object(Bucket="durable", Key="x/y.bin")
            self.assertEqual(hashlib.md5(got["Body"].read()).hexdigest(), digest)
            self.assertEqual(got["Metadata"], {"k": "v"})
            c.put_object(Bucket="durable", Key="after-kill", Body=b"acknowledged")
            s.kill()
            s.start(s.port)
            c = s.boto3()
            self.assertEqual(c.get_object(Bucket="durable", Key="after-kill")["Body"].read(),
                             b"acknowledged")
            names = [o["Key"] for o in c.list_objects_v2(Bucket="durable")["Contents"]]
            self.assertEqual(names, ["after-kill", "x/y.bin"])
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
