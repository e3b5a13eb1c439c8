"""Bucket logging configuration end to end with the real aws CLI (issue "Bucket logging
configuration"): put-/get-bucket-logging round trips, every PutBucketLogging error as the CLI
shows it, loop refusal, the logging bucket policy, the log-delivery-write ACL with ownership
controls, and the delivery permission check made visible on GET /_logbucket/status."""
import itertools
import json
import re
import unittest

from harness import LogbucketServer, wait_until

OWNER = "000000000000"
ACCOUNTS = f"{OWNER}:test:test:test,111111111111:alice:alice:alicesecret"
ALICE = {"access_key": "alice", "secret_key": "alicesecret"}
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
MALFORMED_XML = ("The XML you provided was not well-formed or did not validate against our "
                 "published schema")
_names = itertools.count()


def unique(stem):
    return f"{stem}-{next(_names)}"


def cli_error(operation, code, message=None):
    text = f"An error occurred ({code}) when calling the {operation} operation"
    return text + (f": {message}" if message is not None else "")


def logging_policy(target, source, account=OWNER, prefix="logs/", effect="Allow"):
    """The bucket policy Amazon's documentation gives for server access log delivery."""
    statement = {
        "Sid": "S3ServerAccessLogsPolicy",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{target}/{prefix}*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"},
                      "StringEquals": {"aws:SourceAccount": account}},
    }
    if effect is not None:
        statement["Effect"] = effect
    return {"Version": "2012-10-17", "Statement": [statement]}


class CliHelpers:
    """Mixin: the aws CLI for the operations under test; boto3 (no process start-up per call)
    for setup and for the incidental checks that a refusal changed nothing."""

    def sdk(self, access_key="test", secret_key="test"):
        # Keyed by process so that no client reuses a connection to a server since restarted.
        clients = self.__dict__.setdefault("_sdk_clients", {})
        key = (self.server.proc.pid, access_key)
        if key not in clients:
            clients[key] = self.server.boto3(access_key, secret_key)
        return clients[key]

    def mb(self, bucket, region=None, **keys):
        args = {"Bucket": bucket}
        if region:
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        self.sdk(**keys).create_bucket(**args)
        return bucket

    def put_logging(self, bucket, status, check=True, **keys):
        return self.server.aws("s3api", "put-bucket-logging", "--bucket", bucket,
                               "--bucket-logging-status", json.dumps(status), check=check, **keys)

    def enable(self, source, target, prefix="logs/", check=True, **extra):
        enabled = {"TargetBucket": target, "TargetPrefix": prefix, **extra}
        return self.put_logging(source, {"LoggingEnabled": enabled}, check=check)

    def cli_get_logging(self, bucket):
        return self.server.aws_json("s3api", "get-bucket-logging", "--bucket", bucket)

    def get_logging(self, bucket):
        got = self.sdk().get_bucket_logging(Bucket=bucket)
        got.pop("ResponseMetadata", None)
        return got

    def assertCliError(self, result, operation, code, message=None):
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn(cli_error(operation, code, message), result.stderr)

    def assertLoggingRefused(self, result, code, message=None):
        self.assertCliError(result, "PutBucketLogging", code, message)


class LoggingConfiguration(CliHelpers, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer(["--accounts", ACCOUNTS]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # --- round trips -------------------------------------------------------------------------

    def test_round_trip_prefixes_and_key_formats(self):
        src, logs = self.mb(unique("rt-src")), self.mb(unique("rt-logs"))
        self.assertNotIn("LoggingEnabled", self.cli_get_logging(src))

        self.enable(src, logs, "access/")
        self.assertEqual(self.cli_get_logging(src),
                         {"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": "access/"}})

        formats = [{"SimplePrefix": {}},
                   {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
                   {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}}]
        for key_format in formats:
            with self.subTest(key_format=key_format):
                self.enable(src, logs, "p/", TargetObjectKeyFormat=key_format)
                got = self.cli_get_logging(src)["LoggingEnabled"]
                self.assertEqual(got["TargetBucket"], logs)
                self.assertEqual(got["TargetPrefix"], "p/")
                self.assertEqual(got["TargetObjectKeyFormat"], key_format)
                status = logging_status(self.server)
                self.assertEqual(status["buckets"][src]["key_format"],
                                 next(iter(key_format)))

        # An empty prefix is kept as given.
        self.enable(src, logs, "")
        self.assertEqual(self.get_logging(src)["LoggingEnabled"]["TargetPrefix"], "")

        self.put_logging(src, {})
        self.assertNotIn("LoggingEnabled", self.cli_get_logging(src))
        # Records spooled while logging was on keep the bucket listed, with no target.
        self.assertIsNone(logging_status(self.server)["buckets"].get(src, {}).get("target"))
        self.assertIsNone(bucket_entry(self.server, src)["logging"])

    def test_target_grants_need_acls_enabled_on_the_target(self):
        src, logs = self.mb(unique("tg-src")), self.mb(unique("tg-logs"))
        owner_id = self.server.aws_json("s3api", "get-bucket-acl", "--bucket", logs)["Owner"]["ID"]
        grants = [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner_id}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ"},
        ]
        refused = self.enable(src, logs, check=False, TargetGrants=grants)
        self.assertLoggingRefused(refused, "InvalidTargetBucketForLogging",
                                  "Target grants not allowed for bucket owner enforced buckets")
        self.assertNotIn("LoggingEnabled", self.get_logging(src))

        self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", logs,
                        "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
        self.enable(src, logs, TargetGrants=grants)
        got = self.cli_get_logging(src)["LoggingEnabled"]
        self.assertEqual(got["TargetBucket"], logs)
        self.assertEqual(len(got["TargetGrants"]), 2, got)
        self.assertEqual(got["TargetGrants"][0]["Grantee"]["Type"], "CanonicalUser")
        self.assertEqual(got["TargetGrants"][0]["Grantee"]["ID"], owner_id)
        self.assertEqual(got["TargetGrants"][0]["Permission"], "FULL_CONTROL")
        self.assertEqual(got["TargetGrants"][1]["Grantee"],
                         {"Type": "Group", "URI": LOG_DELIVERY})
        self.assertEqual(got["TargetGrants"][1]["Permission"], "READ")

        # Amazon accepts and echoes READ_ACP (outside the documented enum); a made-up
        # permission is MalformedXML.
        read_acp = [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ_ACP"}]
        self.enable(src, logs, TargetGrants=read_acp)
        self.assertEqual(self.get_logging(src)["LoggingEnabled"]["TargetGrants"], read_acp)
        bogus = [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "NOTREAL"}]
        result = self.enable(src, logs, check=False, TargetGrants=bogus)
        self.assertLoggingRefused(result, "MalformedXML", MALFORMED_XML)
        self.assertEqual(self.get_logging(src)["LoggingEnabled"]["TargetGrants"], read_acp)

    # --- errors ------------------------------------------------------------------------------

    def test_source_bucket_missing(self):
        logs = self.mb(unique("nsb-logs"))
        result = self.enable(unique("no-such-source"), logs, check=False)
        self.assertLoggingRefused(result, "NoSuchBucket", "The specified bucket does not exist")
        get = self.server.aws("s3api", "get-bucket-logging", "--bucket", unique("no-such-source"),
                              check=False)
        self.assertCliError(get, "GetBucketLogging", "NoSuchBucket")

    def test_target_missing(self):
        src = self.mb(unique("tm-src"))
        result = self.enable(src, unique("no-such-target"), check=False)
        self.assertLoggingRefused(result, "InvalidTargetBucketForLogging",
                                  "The target bucket for logging does not exist")
        self.assertNotIn("LoggingEnabled", self.get_logging(src))
        # The error body names the target, as Amazon's does.
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as caught:
            self.sdk().put_bucket_logging(Bucket=src, BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": "no-such-target-x", "TargetPrefix": ""}})
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(caught.exception.response["Error"].get("TargetBucket"),
                         "no-such-target-x")

    def test_target_owned_by_another_account(self):
        src = self.mb(unique("oa-src"))
        alices = self.mb(unique("oa-alice-logs"), **ALICE)
        result = self.enable(src, alices, check=False)
        self.assertLoggingRefused(
            result, "InvalidTargetBucketForLogging",
            "The owner for the bucket to be logged and the target bucket must be the same.")
        self.assertNotIn("LoggingEnabled", self.get_logging(src))

    def test_caller_not_source_owner(self):
        src, logs = self.mb(unique("na-src")), self.mb(unique("na-logs"))
        alices = self.mb(unique("na-alice-logs"), **ALICE)
        for target in (logs, alices):
            with self.subTest(target=target):
                result = self.put_logging(
                    src, {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": ""}},
                    check=False, **ALICE)
                self.assertLoggingRefused(result, "AccessDenied", "Access Denied")
        get = self.server.aws("s3api", "get-bucket-logging", "--bucket", src, check=False,
                              **ALICE)
        self.assertCliError(get, "GetBucketLogging", "AccessDenied", "Access Denied")
        # The owner with a wrong x-amz-expected-bucket-owner is refused too.
        wrong_owner = self.server.aws(
            "s3api", "put-bucket-logging", "--bucket", src, "--expected-bucket-owner",
            "111111111111", "--bucket-logging-status",
            json.dumps({"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": ""}}),
            check=False)
        self.assertLoggingRefused(wrong_owner, "AccessDenied", "Access Denied")
        self.assertNotIn("LoggingEnabled", self.get_logging(src))

    def test_target_in_another_region(self):
        src = self.mb(unique("xr-src"))
        far = self.mb(unique("xr-logs"), region="eu-west-1")
        location = self.server.aws_json("s3api", "get-bucket-location", "--bucket", far)
        self.assertEqual(location["LocationConstraint"], "eu-west-1")
        result = self.server.aws("s3api", "put-bucket-logging", "--bucket", src,
                                 "--bucket-logging-status",
                                 json.dumps({"LoggingEnabled": {"TargetBucket": far,
                                                                "TargetPrefix": ""}}),
                                 "--debug", check=False)
        self.assertLoggingRefused(result, "CrossLocationLoggingProhibitted",
                                  "Cross S3 location logging not allowed. ")
        # The CLI hides the status; urllib3's debug line shows it.
        self.assertRegex(result.stderr, rf'"PUT /{re.escape(src)}\?logging HTTP/1.1" 403 ')
        self.assertIn("<TargetBucketLocation>eu-west-1</TargetBucketLocation>", result.stderr)
        self.assertNotIn("<SourceBucketLocation>", result.stderr)  # source is us-east-1

        # From eu-west-1 into us-east-1: both locations are named.
        far_src = self.mb(unique("xr-far-src"), region="eu-west-1")
        near = self.mb(unique("xr-near-logs"))
        boto = self.sdk()
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as caught:
            boto.put_bucket_logging(Bucket=far_src, BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": near, "TargetPrefix": ""}})
        response = caught.exception.response
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(response["Error"]["Code"], "CrossLocationLoggingProhibitted")
        self.assertEqual(response["Error"].get("SourceBucketLocation"), "eu-west-1")
        self.assertEqual(response["Error"].get("TargetBucketLocation"), "us-east-1")
        # Same region away from us-east-1 is fine.
        far_logs = self.mb(unique("xr-far-logs"), region="eu-west-1")
        self.enable(far_src, far_logs)
        self.assertEqual(self.get_logging(far_src)["LoggingEnabled"]["TargetBucket"], far_logs)

    def test_bad_partition_date_source_from_the_cli(self):
        src, logs = self.mb(unique("pds-src")), self.mb(unique("pds-logs"))
        result = self.enable(src, logs, check=False, TargetObjectKeyFormat={
            "PartitionedPrefix": {"PartitionDateSource": "ArrivalTime"}})
        self.assertLoggingRefused(result, "MalformedXML", MALFORMED_XML)
        self.assertNotIn("LoggingEnabled", self.get_logging(src))

    def test_malformed_xml_bodies(self):
        src, logs = self.mb(unique("mx-src")), self.mb(unique("mx-logs"))
        ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
        bodies = {
            "not well formed": f"<BucketLoggingStatus {ns}><LoggingEnabled>",
            "no TargetBucket": f"<BucketLoggingStatus {ns}><LoggingEnabled><TargetPrefix>p"
                               "</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
            "unknown element": f"<BucketLoggingStatus {ns}><LoggingEnabled><TargetBucket>{logs}"
                               "</TargetBucket><Colour>red</Colour></LoggingEnabled>"
                               "</BucketLoggingStatus>",
            "wrong root": f"<LoggingStatus {ns}/>",
            "two key formats": f"<BucketLoggingStatus {ns}><LoggingEnabled><TargetBucket>{logs}"
                               "</TargetBucket><TargetPrefix/><TargetObjectKeyFormat>"
                               "<SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>"
                               "</LoggingEnabled></BucketLoggingStatus>",
            "bad date source": f"<BucketLoggingStatus {ns}><LoggingEnabled><TargetBucket>{logs}"
                               "</TargetBucket><TargetPrefix/><TargetObjectKeyFormat>"
                               "<PartitionedPrefix><PartitionDateSource>Tomorrow"
                               "</PartitionDateSource></PartitionedPrefix>"
                               "</TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>",
        }
        from botocore.exceptions import ClientError
        for name, body in bodies.items():
            with self.subTest(body=name):
                boto = self.server.boto3()

                def replace_body(params, body=body, **_):
                    params["body"] = body.encode()

                boto.meta.events.register("before-call.s3.PutBucketLogging", replace_body)
                with self.assertRaises(ClientError) as caught:
                    boto.put_bucket_logging(Bucket=src, BucketLoggingStatus={
                        "LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": ""}})
                error = caught.exception.response["Error"]
                self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"],
                                 400)
                self.assertEqual((error["Code"], error["Message"]), ("MalformedXML",
                                                                     MALFORMED_XML))
        empty = self.server.boto3()
        empty.meta.events.register("before-call.s3.PutBucketLogging",
                                   lambda params, **_: params.update(body=b""))
        with self.assertRaises(ClientError) as caught:
            empty.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(caught.exception.response["Error"]["Code"], "MissingRequestBodyError")
        self.assertNotIn("LoggingEnabled", self.get_logging(src))

    # --- loops ---------------------------------------------------------------------------------

    def test_self_logging_is_refused(self):
        a = self.mb(unique("loop-self"))
        result = self.enable(a, a, check=False)
        self.assertLoggingRefused(result, "InvalidTargetBucketForLogging")
        self.assertIn(f"logging {a} into {a} would be a logging loop", result.stderr)
        self.assertNotIn("LoggingEnabled", self.get_logging(a))

    def test_two_bucket_loop_is_refused_and_repointing_clears_it(self):
        a, b, c = (self.mb(unique(f"loop2-{n}")) for n in "abc")
        self.enable(a, b)
        result = self.enable(b, a, check=False)
        self.assertLoggingRefused(result, "InvalidTargetBucketForLogging")
        self.assertIn(f"This configuration would create a logging loop: {b} -> {a} -> {b}.",
                      result.stderr)
        self.assertNotIn("LoggingEnabled", self.get_logging(b))

        self.enable(a, c)  # re-point a: b -> a no longer closes a cycle
        self.enable(b, a)
        self.assertEqual(self.get_logging(b)["LoggingEnabled"]["TargetBucket"], a)
        # Pointing a back at b would now close b -> a -> b.
        again = self.enable(a, b, check=False)
        self.assertLoggingRefused(again, "InvalidTargetBucketForLogging")
        self.assertIn(f"{a} -> {b} -> {a}", again.stderr)
        self.assertEqual(self.get_logging(a)["LoggingEnabled"]["TargetBucket"], c)

    def test_three_bucket_loop_is_refused_and_disabling_clears_it(self):
        a, b, c, d = (self.mb(unique(f"loop3-{n}")) for n in "abcd")
        self.enable(a, b)
        self.enable(b, c)
        result = self.enable(c, a, check=False)
        self.assertLoggingRefused(result, "InvalidTargetBucketForLogging")
        self.assertIn(f"This configuration would create a logging loop: {c} -> {a} -> {b} -> {c}.",
                      result.stderr)
        self.assertNotIn("LoggingEnabled", self.get_logging(c))

        self.enable(b, d)  # a -> b -> d: c -> a is now a chain, not a cycle
        self.enable(c, a)
        self.assertEqual(self.get_logging(c)["LoggingEnabled"]["TargetBucket"], a)
        self.put_logging(c, {})
        self.enable(b, c)  # c logs nowhere now: a -> b -> c is fine
        self.assertEqual(self.get_logging(b)["LoggingEnabled"]["TargetBucket"], c)

    # --- bucket policy -------------------------------------------------------------------------

    def test_logging_bucket_policy(self):
        src, logs = self.mb(unique("pol-src")), self.mb(unique("pol-logs"))
        policy = logging_policy(logs, src)
        response = self.sdk().put_bucket_policy(Bucket=logs, Policy=json.dumps(policy))
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 204)
        got = self.server.aws_json("s3api", "get-bucket-policy", "--bucket", logs)
        self.assertEqual(json.loads(got["Policy"]), policy)

        # The CLI path replaces it.
        policy2 = logging_policy(logs, src, prefix="other/")
        self.server.aws("s3api", "put-bucket-policy", "--bucket", logs, "--policy",
                        json.dumps(policy2))
        got = self.server.aws_json("s3api", "get-bucket-policy", "--bucket", logs)
        self.assertEqual(json.loads(got["Policy"]), policy2)

        bad = {
            "malformed JSON": "{\"Version\": \"2012-10-17\", \"Statement\": [",
            "missing Effect": json.dumps(logging_policy(logs, src, effect=None)),
            "other bucket": json.dumps(logging_policy(src, src)),
        }
        for name, text in bad.items():
            with self.subTest(policy=name):
                result = self.server.aws("s3api", "put-bucket-policy", "--bucket", logs,
                                         "--policy", text, check=False)
                self.assertCliError(result, "PutBucketPolicy", "MalformedPolicy")
        got = self.sdk().get_bucket_policy(Bucket=logs)
        self.assertEqual(json.loads(got["Policy"]), policy2)  # refusals changed nothing

        self.server.aws("s3api", "delete-bucket-policy", "--bucket", logs)
        result = self.server.aws("s3api", "get-bucket-policy", "--bucket", logs, check=False)
        self.assertCliError(result, "GetBucketPolicy", "NoSuchBucketPolicy")

    # --- ACLs and ownership controls -----------------------------------------------------------

    def test_log_delivery_write_acl_and_ownership_controls(self):
        logs = self.mb(unique("acl-logs"))
        got = self.server.aws_json("s3api", "get-bucket-ownership-controls", "--bucket", logs)
        self.assertEqual(got["OwnershipControls"]["Rules"],
                         [{"ObjectOwnership": "BucketOwnerEnforced"}])
        refused = self.server.aws("s3api", "put-bucket-acl", "--bucket", logs, "--acl",
                                  "log-delivery-write", check=False)
        self.assertCliError(refused, "PutBucketAcl", "AccessControlListNotSupported")

        self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", logs,
                        "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
        got = self.sdk().get_bucket_ownership_controls(Bucket=logs)
        self.assertEqual(got["OwnershipControls"]["Rules"], [{"ObjectOwnership": "ObjectWriter"}])
        self.server.aws("s3api", "put-bucket-acl", "--bucket", logs, "--acl", "log-delivery-write")
        acl = self.server.aws_json("s3api", "get-bucket-acl", "--bucket", logs)
        group = sorted(g["Permission"] for g in acl["Grants"]
                       if g["Grantee"].get("URI") == LOG_DELIVERY)
        self.assertEqual(group, ["READ_ACP", "WRITE"])
        owner = [g["Permission"] for g in acl["Grants"]
                 if g["Grantee"].get("ID") == acl["Owner"]["ID"]]
        self.assertEqual(owner, ["FULL_CONTROL"])

        # ACLs granting others cannot be disabled underneath.
        enforce = self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", logs,
                                  "--ownership-controls",
                                  "Rules=[{ObjectOwnership=BucketOwnerEnforced}]", check=False)
        self.assertCliError(enforce, "PutBucketOwnershipControls",
                            "InvalidBucketAclWithObjectOwnership")

        self.server.aws("s3api", "delete-bucket-ownership-controls", "--bucket", logs)
        missing = self.server.aws("s3api", "get-bucket-ownership-controls", "--bucket", logs,
                                  check=False)
        self.assertCliError(missing, "GetBucketOwnershipControls",
                            "OwnershipControlsNotFoundError")
        self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", logs,
                        "--ownership-controls", "Rules=[{ObjectOwnership=BucketOwnerPreferred}]")
        got = self.sdk().get_bucket_ownership_controls(Bucket=logs)
        self.assertEqual(got["OwnershipControls"]["Rules"],
                         [{"ObjectOwnership": "BucketOwnerPreferred"}])


def status_of(server):
    code, body = server.admin("GET", "/_logbucket/status")
    assert code == 200, (code, body)
    return body


def logging_status(server):
    """The access-log service's part of GET /_logbucket/status (AccessLogService::StatusJson)."""
    return status_of(server)["access_logging"]


def bucket_entry(server, name):
    entries = [b for b in status_of(server)["buckets"] if b["name"] == name]
    assert len(entries) == 1, entries
    return entries[0]


def delivered_keys(server, bucket, prefix=""):
    listing = server.boto3().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


class ConfigurationLifetime(CliHelpers, unittest.TestCase):
    def setUp(self):
        self.server = LogbucketServer().start()
        self.addCleanup(self.server.cleanup)

    def test_survives_restart_and_dies_with_the_source_bucket(self):
        src, logs = self.mb("life-src"), self.mb("life-logs")
        self.enable(src, logs, "life/",
                    TargetObjectKeyFormat={"PartitionedPrefix": {"PartitionDateSource":
                                                                 "DeliveryTime"}})
        before = self.cli_get_logging(src)
        self.server.restart()
        self.assertEqual(self.cli_get_logging(src), before)
        self.assertEqual(logging_status(self.server)["buckets"][src]["target"], logs)
        # The registry was rebuilt too: a loop through the restored configuration is refused.
        self.assertLoggingRefused(self.enable(logs, src, check=False),
                                  "InvalidTargetBucketForLogging")

        self.server.aws("s3api", "delete-bucket", "--bucket", src)
        self.assertIsNone(logging_status(self.server)["buckets"].get(src, {}).get("target"))
        self.mb(src)
        self.assertNotIn("LoggingEnabled", self.get_logging(src))
        self.enable(logs, src)  # no stale edge src -> logs remains to close a loop
        self.server.restart()
        self.assertNotIn("LoggingEnabled", self.get_logging(src))
        self.assertEqual(self.get_logging(logs)["LoggingEnabled"]["TargetBucket"], src)


class DeliveryPermission(CliHelpers, unittest.TestCase):
    def start(self, *args):
        self.server = LogbucketServer(list(args)).start()
        self.addCleanup(self.server.cleanup)

    def log_some_requests(self, src):
        self.sdk().put_object(Bucket=src, Key="k", Body=b"logged")
        self.sdk().head_object(Bucket=src, Key="k")
        wait_until(lambda: logging_status(self.server)["buckets"][src]["pending_records"] >= 2,
                   what="records spooled")

    def test_default_delivers_and_warns(self):
        self.start()
        src, logs = self.mb("perm-src"), self.mb("perm-logs")
        self.enable(src, logs, "d/")
        self.log_some_requests(src)
        flushed = self.server.flush()
        self.assertEqual(len(flushed["flushed"]), 1, flushed)
        self.assertTrue(flushed["flushed"][0].startswith(f"{logs}/d/"), flushed)
        self.assertEqual(len(delivered_keys(self.server, logs, "d/")), 1)
        status = logging_status(self.server)
        self.assertEqual(status["buckets"][src]["pending_records"], 0)
        target = status["targets"][logs]
        self.assertIsNone(target["problem"])
        self.assertIsNotNone(target["warning"], target)
        self.assertIn("logging.s3.amazonaws.com", target["warning"])
        self.assertIn("LogDelivery", target["warning"])

        # With the logging policy in place the warning goes away at the next delivery.
        self.server.aws("s3api", "put-bucket-policy", "--bucket", logs, "--policy",
                        json.dumps(logging_policy(logs, src, prefix="d/")))
        self.log_some_requests(src)
        self.assertEqual(len(self.server.flush()["flushed"]), 1)
        target = logging_status(self.server)["targets"][logs]
        self.assertIsNone(target["warning"], target)
        self.assertEqual(target["objects_delivered"], 2)

    def test_strict_keeps_records_until_a_policy_allows_delivery(self):
        self.start("--logging-strict-permissions", "true")
        src, logs = self.mb("strict-src"), self.mb("strict-logs")
        self.enable(src, logs, "s/")
        self.log_some_requests(src)
        flushed = self.server.flush()
        self.assertEqual(flushed["flushed"], [])
        self.assertTrue(any(logs in p for p in flushed["problems"]), flushed)
        self.assertEqual(delivered_keys(self.server, logs), [])
        status = logging_status(self.server)
        self.assertGreaterEqual(status["buckets"][src]["pending_records"], 2)
        problem = status["targets"][logs]["problem"]
        self.assertIsNotNone(problem, status)
        self.assertIn("logging.s3.amazonaws.com", problem["message"])

        # A policy for another source or prefix does not help.
        self.server.aws("s3api", "put-bucket-policy", "--bucket", logs, "--policy",
                        json.dumps(logging_policy(logs, "some-other-source", prefix="s/")))
        self.assertEqual(self.server.flush()["flushed"], [])
        self.server.aws("s3api", "put-bucket-policy", "--bucket", logs, "--policy",
                        json.dumps(logging_policy(logs, src, prefix="s/")))
        flushed = self.server.flush()
        self.assertEqual(len(flushed["flushed"]), 1, flushed)
        self.assertEqual(len(delivered_keys(self.server, logs, "s/")), 1)
        status = logging_status(self.server)
        self.assertEqual(status["buckets"][src]["pending_records"], 0)
        self.assertIsNone(status["targets"][logs]["problem"])

    def test_strict_delivers_after_log_delivery_write_acl(self):
        self.start("--logging-strict-permissions", "true")
        src, logs = self.mb("acl-src"), self.mb("acl-logs")
        self.enable(src, logs, "a/")
        self.log_some_requests(src)
        self.assertEqual(self.server.flush()["flushed"], [])
        self.server.aws("s3api", "put-bucket-ownership-controls", "--bucket", logs,
                        "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
        self.assertEqual(self.server.flush()["flushed"], [])  # ACLs on, but no grant yet
        self.server.aws("s3api", "put-bucket-acl", "--bucket", logs, "--acl", "log-delivery-write")
        flushed = self.server.flush()
        self.assertEqual(len(flushed["flushed"]), 1, flushed)
        self.assertEqual(len(delivered_keys(self.server, logs, "a/")), 1)
        self.assertEqual(logging_status(self.server)["buckets"][src]["pending_records"], 0)


class LogDeliveryAclGrants(unittest.TestCase):
    """The ACL route to delivery permission: grant headers as the CLI examples write them, and
    Amazon's rule that the LogDelivery group needs both WRITE and READ_ACP."""

    def setUp(self):
        self.server = LogbucketServer(["--logging-strict-permissions", "true"]).start()
        self.addCleanup(self.server.cleanup)
        c = self.server.boto3()
        c.create_bucket(Bucket="logs")
        c.put_bucket_ownership_controls(Bucket="logs", OwnershipControls={
            "Rules": [{"ObjectOwnership": "ObjectWriter"}]})

    def test_unquoted_grant_header_from_the_cli_docs_example(self):
        # awscli/examples/s3api/put-bucket-acl.rst writes grantees unquoted: uri=http://...
        result = self.server.aws("s3api", "put-bucket-acl", "--bucket", "logs",
                                 "--grant-write", f"uri={LOG_DELIVERY}",
                                 "--grant-read-acp", f"uri={LOG_DELIVERY}", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        acl = self.server.aws_json("s3api", "get-bucket-acl", "--bucket", "logs")
        granted = sorted(g["Permission"] for g in acl["Grants"]
                         if g["Grantee"].get("URI") == LOG_DELIVERY)
        self.assertEqual(granted, ["READ_ACP", "WRITE"])

    def test_write_without_read_acp_is_not_enough_for_delivery(self):
        s = self.server
        s.aws("s3api", "put-bucket-acl", "--bucket", "logs", "--grant-write",
              f'uri="{LOG_DELIVERY}"')
        s.boto3().create_bucket(Bucket="src")
        s.aws("s3api", "put-bucket-logging", "--bucket", "src", "--bucket-logging-status",
              json.dumps({"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "w/"}}))
        s.boto3().put_object(Bucket="src", Key="k", Body=b"x")
        self.assertEqual(s.flush()["flushed"], [])



if __name__ == "__main__":
    unittest.main()
