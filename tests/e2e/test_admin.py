"""Admin endpoints as test suites use them: health, status, flush, and reset (refused unless
admin.allow_reset is on)."""
import unittest

from harness import LogbucketServer


class AdminEndpoints(unittest.TestCase):
    def test_reset_is_refused_by_default(self):
        s = LogbucketServer().start()
        self.addCleanup(s.cleanup)
        s.boto3().create_bucket(Bucket="kept")
        status, body = s.admin("POST", "/_logbucket/reset")
        self.assertEqual(status, 403)
        self.assertIn("admin.allow_reset", body["error"])
        self.assertEqual([b["Name"] for b in s.boto3().list_buckets()["Buckets"]], ["kept"])

    def test_reset_drops_buckets_objects_and_pending_records(self):
        s = LogbucketServer(["--admin-allow-reset", "true"]).start()
        self.addCleanup(s.cleanup)
        c = s.boto3()
        c.create_bucket(Bucket="src")
        c.create_bucket(Bucket="logs")
        c.put_bucket_logging(Bucket="src", BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "a/"}})
        c.put_object(Bucket="src", Key="k", Body=b"data")
        status, body = s.admin("GET", "/_logbucket/status")
        self.assertEqual(status, 200)
        self.assertGreater(body["access_logging"]["buckets"]["src"]["pending_records"], 0)

        status, body = s.admin("POST", "/_logbucket/reset")
        self.assertEqual((status, body), (200, {"reset": True}))
        self.assertEqual(c.list_buckets()["Buckets"], [])
        status, body = s.admin("GET", "/_logbucket/status")
        self.assertEqual(body["buckets"], [])
        self.assertEqual(body["access_logging"]["buckets"], {})
        self.assertEqual(s.flush()["flushed"], [])
        # The server is a clean slate, not a broken one: the same names work again.
        c.create_bucket(Bucket="src")
        c.put_object(Bucket="src", Key="k", Body=b"again")
        self.assertEqual(c.get_object(Bucket="src", Key="k")["Body"].read(), b"again")
        # And it stays empty across a restart.
        s.restart()
        self.assertEqual([b["Name"] for b in s.boto3().list_buckets()["Buckets"]], ["src"])

    def test_health_and_unknown_admin_paths(self):
        s = LogbucketServer().start()
        self.addCleanup(s.cleanup)
        self.assertEqual(s.admin("GET", "/_logbucket/health"), (200, {"status": "ok"}))
        status, _ = s.admin("GET", "/_logbucket/nope")
        self.assertEqual(status, 404)
        status, _ = s.admin("POST", "/_logbucket/health")
        self.assertEqual(status, 405)
        status, body = s.admin("GET", "/_logbucket/status")
        self.assertEqual(status, 200)
        self.assertEqual(body["region"], "us-east-1")
        self.assertIn("version", body)
        self.assertGreaterEqual(body["uptime_seconds"], 0)


if __name__ == "__main__":
    unittest.main()
