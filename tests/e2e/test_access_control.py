"""Request authorisation against the real binary with two accounts: a second account (alice) and
anonymous clients (curl without auth, boto3 UNSIGNED) are denied on private buckets, read a
public-read object through its ACL, read through a bucket policy until an explicit Deny beats
it; presigned URLs work for the owner and expire."""
import json
import subprocess
import unittest

from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import REGION, LogbucketServer, wait_until

ALICE = ("alice", "alicesecret")
with open(__file__, "rb") as f:
    THIS_FILE = f.read()


def curl(url, method="GET"):
    """(HTTP status, body) of an unauthenticated request."""
    out = subprocess.run(["curl", "-s", "-X", method, "-w", "\n%{http_code}", url],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{call} succeeded but should have failed")


class AccessControl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer(
            ["--accounts", "000000000000:test:test:test,111111111111:alice:alice:alicesecret"])
        cls.server.start()
        cls.owner = cls.server.boto3()
        cls.alice = cls.server.boto3(*ALICE)
        import boto3
        cls.anonymous = boto3.client("s3", endpoint_url=cls.server.endpoint, region_name=REGION,
                                     config=Config(signature_version=UNSIGNED,
                                                   s3={"addressing_style": "path"},
                                                   retries={"max_attempts": 1}))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def url(self, bucket, key=""):
        return f"{self.server.endpoint}/{bucket}/{key}"

    def test_private_bucket_denies_other_account_and_anonymous(self):
        self.server.aws("s3api", "create-bucket", "--bucket", "private-b")
        self.server.aws("s3api", "put-object", "--bucket", "private-b", "--key", "k",
                        "--body", __file__)
        self.assertEqual(self.owner.get_object(Bucket="private-b", Key="k")["Body"].read(),
                         THIS_FILE)
        self.assertEqual(error_of(self.alice.get_object, Bucket="private-b", Key="k"),
                         (403, "AccessDenied"))
        self.assertEqual(error_of(self.alice.list_objects_v2, Bucket="private-b"),
                         (403, "AccessDenied"))
        self.assertEqual(error_of(self.anonymous.get_object, Bucket="private-b", Key="k"),
                         (403, "AccessDenied"))
        status, body = curl(self.url("private-b", "k"))
        self.assertEqual(status, 403)
        self.assertIn("<Code>AccessDenied</Code>", body)
        cli = self.server.aws("s3", "cp", "s3://private-b/k", "-", check=False,
                              access_key=ALICE[0], secret_key=ALICE[1])
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn("403", cli.stderr)

    def test_public_read_object_is_readable_by_everyone(self):
        self.server.aws("s3api", "create-bucket", "--bucket", "public-b")
        refused = self.server.aws("s3api", "put-object", "--bucket", "public-b", "--key", "pub",
                                  "--body", __file__, "--acl", "public-read", check=False)
        self.assertNotEqual(refused.returncode, 0, "BucketOwnerEnforced refuses ACLs")
        self.assertIn("AccessControlListNotSupported", refused.stderr)
        self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", "public-b",
                        "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
        self.server.aws("s3api", "put-object", "--bucket", "public-b", "--key", "pub",
                        "--body", __file__, "--acl", "public-read")
        self.server.aws("s3api", "put-object", "--bucket", "public-b", "--key", "priv",
                        "--body", __file__)
        expected = THIS_FILE.decode()
        status, body = curl(self.url("public-b", "pub"))
        self.assertEqual((status, body), (200, expected))
        self.assertEqual(self.anonymous.get_object(Bucket="public-b", Key="pub")["Body"].read(),
                         expected.encode())
        self.assertEqual(self.alice.get_object(Bucket="public-b", Key="pub")["Body"].read(),
                         expected.encode())
        self.assertEqual(curl(self.url("public-b", "priv"))[0], 403)
        self.assertEqual(curl(self.url("public-b"))[0], 403, "object READ is not bucket listing")
        acl = self.server.aws_json("s3api", "get-object-acl", "--bucket", "public-b",
                                   "--key", "pub")
        self.assertIn({"Grantee": {"Type": "Group",
                                   "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                       "Permission": "READ"}, acl["Grants"])
        self.server.aws("s3api", "put-object-acl", "--bucket", "public-b", "--key", "pub",
                        "--acl", "private")
        self.assertEqual(curl(self.url("public-b", "pub"))[0], 403)

    def test_bucket_policy_allows_alice_until_an_explicit_deny(self):
        self.server.aws("s3api", "create-bucket", "--bucket", "policy-b")
        self.owner.put_object(Bucket="policy-b", Key="doc", Body=b"shared")
        self.assertEqual(error_of(self.alice.get_object, Bucket="policy-b", Key="doc"),
                         (403, "AccessDenied"))
        allow = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::policy-b/*"}
        self.owner.put_bucket_policy(Bucket="policy-b", Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [allow]}))
        self.assertEqual(self.alice.get_object(Bucket="policy-b", Key="doc")["Body"].read(),
                         b"shared")
        self.assertEqual(error_of(self.alice.put_object, Bucket="policy-b", Key="doc", Body=b"x"),
                         (403, "AccessDenied"))
        self.assertEqual(error_of(self.anonymous.get_object, Bucket="policy-b", Key="doc"),
                         (403, "AccessDenied"))
        deny = {"Effect": "Deny", "Principal": {"AWS": "111111111111"},
                "Action": "s3:Get*", "Resource": "arn:aws:s3:::policy-b/doc"}
        self.owner.put_bucket_policy(Bucket="policy-b", Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [allow, deny]}))
        self.assertEqual(error_of(self.alice.get_object, Bucket="policy-b", Key="doc"),
                         (403, "AccessDenied"))
        self.assertEqual(self.owner.get_object(Bucket="policy-b", Key="doc")["Body"].read(),
                         b"shared", "the Deny names alice only")

    def test_presigned_url_works_for_the_owner_and_expires(self):
        self.server.aws("s3api", "create-bucket", "--bucket", "presign-b")
        self.owner.put_object(Bucket="presign-b", Key="p", Body=b"presigned bytes")
        good = self.server.aws("s3", "presign", "s3://presign-b/p",
                               "--expires-in", "300").stdout.strip()
        self.assertEqual(curl(good), (200, "presigned bytes"))
        alice_url = self.server.aws("s3", "presign", "s3://presign-b/p", "--expires-in", "300",
                                    access_key=ALICE[0], secret_key=ALICE[1]).stdout.strip()
        self.assertEqual(curl(alice_url)[0], 403, "alice's signature does not make her the owner")
        short = self.server.aws("s3", "presign", "s3://presign-b/p",
                                "--expires-in", "1").stdout.strip()
        expired = wait_until(lambda: (lambda r: r if r[0] == 403 else None)(curl(short)),
                             timeout=10, what="the presigned URL to expire")
        self.assertIn("<Code>AccessDenied</Code>", expired[1])
        self.assertIn("Request has expired", expired[1])


if __name__ == "__main__":
    unittest.main()
