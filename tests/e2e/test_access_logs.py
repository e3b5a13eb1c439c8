"""Server access logs as an exacting Amazon user checks them: real aws CLI and boto3 requests of
every kind (successes, 4xx of each origin, multipart, copy, batch delete, presigned SigV2/SigV4,
anonymous, another account, odd keys, custom headers), delivered log objects read with Amazon's
Athena regex, and every record compared field by field with what the request's response said.
Then key formats, scheduled delivery, crash and shutdown durability, a missing target, Ceph's
flush extension and the optional 27th field."""
import base64
import collections
import datetime
import hashlib
import json
import os
import re
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.config import Config
from botocore.exceptions import ClientError

import access_log
from access_log import parse_log_object, rest_logged_key, log_key_encode
from harness import LogbucketServer, wait_until

ACCOUNTS = "000000000000:test:test:test,111111111111:alice:alice:alicesecret"
TEST_ARN = "arn:aws:iam::000000000000:user/test"
ALICE_ARN = "arn:aws:iam::111111111111:user/alice"
ODD_KEY = "dir/my file+100%ü.txt"
CUSTOM_UA = 'Mozilla/5.0 (X11; "q") back\\slash %22 100%'
CUSTOM_REFERER = 'https://example.com/a page?q=%20&r="x"'
MiB = 1024 * 1024


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def target_of(url):
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def want(operation, key, **fields):
    """Expected record fields of a request: operation, key and any others (as logged text)."""
    return dict(operation=operation, key=key, **{k: str(v) for k, v in fields.items()})


def sdk_client(server, **config):
    """A boto3 client for `server` with path-style addressing and `config` (botocore Config)."""
    import boto3
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, **config))


def put_ids(records):
    """Request id -> number of REST.PUT.OBJECT records."""
    return collections.Counter(r.request_id for r in records if r.operation == "REST.PUT.OBJECT")


class Wire:
    """Remembers the last request a boto3 client really sent (method, target, headers)."""

    def __init__(self, client, user_agent=None, referer=None):
        self.last = None
        if user_agent or referer:
            def customise(request, **_):
                if user_agent:
                    request.headers["User-Agent"] = user_agent
                if referer:
                    request.headers["Referer"] = referer
            client.meta.events.register("before-sign.s3", customise)
        client.meta.events.register("before-send.s3", self._sent)

    def _sent(self, request, **_):
        self.last = (request.method, target_of(request.url), dict(request.headers))


class AccessLogRecords(unittest.TestCase):
    """One server, one burst of requests, two flushes; each test checks part of the result."""

    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer(["--accounts", ACCOUNTS]).start()
        cls.expected = {}
        try:
            cls._make_requests()
            cls._deliver()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # --- the requests --------------------------------------------------------------------------
    @classmethod
    def _client(cls, **kwargs):
        user_agent = kwargs.pop("user_agent", None)
        referer = kwargs.pop("referer", None)
        client = cls.server.boto3(**kwargs)
        return client, Wire(client, user_agent, referer)

    @classmethod
    def _call(cls, label, client_wire, method, expect, **kwargs):
        client, wire = client_wire
        kwargs.setdefault("Bucket", "src")
        start = utcnow()
        try:
            response = getattr(client, method)(**kwargs)
            if "Body" in response:
                response["_body"] = response["Body"].read()
        except ClientError as e:
            response = e.response
        meta = response["ResponseMetadata"]
        verb, target, headers = wire.last
        length = meta["HTTPHeaders"].get("content-length")
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
        cls.expected[label] = dict({
            "request_id": meta["RequestId"], "host_id": meta["HostId"],
            "http_status": str(meta["HTTPStatusCode"]),
            "request_uri": f"{verb} {target} HTTP/1.1",
            "user_agent": text.get("User-Agent", "-"), "referer": text.get("Referer", "-"),
            "bytes_sent": "-" if verb == "HEAD" or length in (None, "0") else length,
            "requester": TEST_ARN, "signature_version": "SigV4", "auth_type": "AuthHeader",
            "error_code": response.get("Error", {}).get("Code", "-"),
            "start": start, "end": utcnow(),
        }, **expect)
        return response

    @classmethod
    def _fetch(cls, label, url, expect, headers=None):
        """A GET without an SDK (urllib): presigned or anonymous."""
        start = utcnow()
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, got, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, got, body = e.code, e.headers, e.read()
        cls.expected[label] = dict({
            "request_id": got["x-amz-request-id"], "host_id": got["x-amz-id-2"],
            "http_status": str(status), "request_uri": f"GET {target_of(url)} HTTP/1.1",
            "user_agent": "Python-urllib/%d.%d" % sys.version_info[:2],
            "referer": "-", "bytes_sent": str(len(body)) if body else "-",
            "start": start, "end": utcnow(),
        }, **expect)
        return status, body

    @classmethod
    def _make_requests(cls):
        server = cls.server
        s3 = cls._client()
        cls.s3 = s3[0]
        for bucket in ("src", "src2", "quiet", "logs", "meta"):
            cls.s3.create_bucket(Bucket=bucket)
        cls.owner_id = cls.s3.list_buckets()["Owner"]["ID"]
        server.aws("s3api", "put-bucket-logging", "--bucket", "src", "--bucket-logging-status",
                   json.dumps({"LoggingEnabled": {"TargetBucket": "logs",
                                                  "TargetPrefix": "access/"}}))
        for source, target, prefix in (("src2", "logs", "access/"), ("logs", "meta", "m/")):
            cls.s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": target, "TargetPrefix": prefix}})

        body = cls.body = b"hello, access logs\n" * 50
        size = len(body)
        call, get, hello = cls._call, "REST.GET.OBJECT", {"Key": "hello.txt"}
        call("put", s3, "put_object", want("REST.PUT.OBJECT", "hello.txt", object_size=size),
             Key="hello.txt", Body=body)
        call("get", s3, "get_object", want(get, "hello.txt", object_size=size, bytes_sent=size),
             **hello)
        call("head", s3, "head_object", want("REST.HEAD.OBJECT", "hello.txt", object_size=size),
             **hello)
        call("range", s3, "get_object", want(get, "hello.txt", object_size=size, bytes_sent=100),
             Range="bytes=10-109", **hello)
        call("list", s3, "list_objects_v2", want("REST.GET.BUCKET", "-", object_size="-"),
             Prefix="hel")
        call("get404", s3, "get_object", want(get, "missing.txt", object_size="-"),
             Key="missing.txt")
        # Amazon logs, for a HEAD error, the size of the error body a GET would have had.
        call("head404", s3, "head_object", want(
            "REST.HEAD.OBJECT", "missing.txt", object_size="-", error_code="NoSuchKey",
            bytes_sent=cls.expected["get404"]["bytes_sent"]), Key="missing.txt")
        call("badsig", cls._client(secret_key="wrong"), "get_object", want(
            get, "hello.txt", requester="-", signature_version="-", auth_type="-"), **hello)
        call("alice", cls._client(access_key="alice", secret_key="alicesecret"), "get_object",
             want(get, "hello.txt", requester=ALICE_ARN), **hello)
        call("412", s3, "get_object", want(get, "hello.txt"),
             IfMatch='"0123456789abcdef0123456789abcdef"', **hello)
        call("416", s3, "get_object", want(get, "hello.txt"), Range="bytes=5000-6000", **hello)
        odd = rest_logged_key(ODD_KEY)
        call("odd_put", s3, "put_object", want("REST.PUT.OBJECT", odd, object_size=3),
             Key=ODD_KEY, Body=b"odd")
        call("odd_get", s3, "get_object", want(get, odd, object_size=3, bytes_sent=3),
             Key=ODD_KEY)
        call("custom", cls._client(user_agent=CUSTOM_UA, referer=CUSTOM_REFERER), "get_object",
             want(get, "hello.txt", bytes_sent=size), **hello)

        parts = [os.urandom(5 * MiB), b"tail" * 25]
        big = {"Key": "big.bin"}
        upload = call("mpu_create", s3, "create_multipart_upload",
                      want("REST.POST.UPLOADS", "big.bin"), **big)
        etags = []
        for number, data in enumerate(parts, start=1):
            part = call(f"mpu_part{number}", s3, "upload_part",
                        want("REST.PUT.PART", "big.bin", object_size=len(data)),
                        UploadId=upload["UploadId"], PartNumber=number, Body=data, **big)
            etags.append({"PartNumber": number, "ETag": part["ETag"]})
        call("mpu_complete", s3, "complete_multipart_upload",
             want("REST.POST.UPLOAD", "big.bin", object_size=sum(map(len, parts))),
             UploadId=upload["UploadId"], MultipartUpload={"Parts": etags}, **big)

        call("copy", s3, "copy_object", want("REST.COPY.OBJECT", "copy.txt", object_size=size),
             Key="copy.txt", CopySource={"Bucket": "src", "Key": "hello.txt"})
        cls.delete_keys = ["d/1", "d/2 sp+%", "d/3"]
        for key in cls.delete_keys:
            cls.s3.put_object(Bucket="src", Key=key, Body=b"x")
        call("multi_delete", s3, "delete_objects", want("REST.POST.MULTI_OBJECT_DELETE", "-"),
             Delete={"Objects": [{"Key": k} for k in cls.delete_keys]})

        bad_xml = b"<BucketLoggingStatus><LoggingEnabled>"
        start = utcnow()
        status, headers, _ = server.signed_request(
            "PUT", "/src?logging", bad_xml,
            {"Content-MD5": base64.b64encode(hashlib.md5(bad_xml).digest()).decode()})
        cls.expected["malformed"] = dict(want(
            "REST.PUT.LOGGING_STATUS", "-", request_id=headers["x-amz-request-id"],
            host_id=headers["x-amz-id-2"], http_status=status, error_code="MalformedXML",
            request_uri="PUT /src?logging HTTP/1.1", bytes_sent=headers["content-length"],
            user_agent="-", referer="-", requester=TEST_ARN, signature_version="SigV4",
            auth_type="AuthHeader"), start=start, end=utcnow())

        # The CLI v1 presigns with SigV2 unless told otherwise; boto3 here with SigV4.
        cli_url = server.aws("s3", "presign", "s3://src/hello.txt").stdout.strip()
        v4_url = sdk_client(server, signature_version="s3v4").generate_presigned_url(
            "get_object", Params={"Bucket": "src", "Key": "hello.txt"})
        for label, url in (("presign_cli", cli_url), ("presign_v4", v4_url)):
            cls._fetch(label, url, want(
                get, "hello.txt", requester=TEST_ARN, auth_type="QueryString", error_code="-",
                signature_version="SigV4" if "X-Amz-Algorithm" in url else "SigV2",
                object_size=size))
        cls._fetch("anonymous", f"{server.endpoint}/src/hello.txt", want(
            get, "hello.txt", requester="-", signature_version="-", auth_type="-",
            error_code="AccessDenied"))

        server.aws("s3", "cp", "-", "s3://src/cli.txt", input="from the cli\n")
        cls.s3.put_object(Bucket="src2", Key="other.txt", Body=b"2")
        cls.s3.put_object(Bucket="quiet", Key="unlogged.txt", Body=b"q")
        cls.s3.get_object(Bucket="quiet", Key="unlogged.txt")["Body"].read()

    @classmethod
    def _deliver(cls):
        server = cls.server
        cls.flush_time = utcnow()
        cls.flush1 = server.flush()
        cls.log_objects = server.download_all("logs", "access/")
        cls.by_object = {key: parse_log_object(body) for key, body in cls.log_objects.items()}
        cls.records = [r for records in cls.by_object.values() for r in records]
        cls.src = [r for r in cls.records if r.bucket == "src"]
        cls.index = collections.defaultdict(list)
        for r in cls.src:
            cls.index[(r.request_id, r.operation)].append(r)
        server.flush()
        cls.keys_after_second_flush = server.list_keys("logs", "access/")
        cls.meta_records = server.log_records("meta", "m/")

    def record(self, label):
        exp = self.expected[label]
        found = self.index.get((exp["request_id"], exp["operation"]), [])
        self.assertEqual(len(found), 1, f"{label}: {len(found)} records for {exp['request_id']} "
                                        f"{exp['operation']}")
        return found[0]

    def check(self, label):
        """Compares every field of the record of request `label` with what its response said."""
        exp, rec = self.expected[label], self.record(label)
        wrong = []
        fields = {"bucket_owner": self.owner_id, "bucket": "src", "remote_ip": "127.0.0.1",
                  "version_id": "-", "cipher_suite": "-", "tls_version": "-",
                  "access_point_arn": "-", "acl_required": "-",
                  "host_header": f"127.0.0.1:{self.server.port}"}
        for name in access_log.FIELDS:
            if name in exp:
                fields[name] = exp[name]
        for name, value in fields.items():
            if rec.values[name] != value:
                wrong.append(f"{name}: logged {rec.values[name]!r}, expected {value!r}")
        for name in ("total_time", "turn_around_time"):
            if not rec.values[name].isdigit():
                wrong.append(f"{name}: {rec.values[name]!r} is not an integer")
        for name in ("request_uri", "referer", "user_agent"):
            if not rec.quoted[name]:
                wrong.append(f"{name} is not quoted")
        if not re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", rec.time):
            wrong.append(f"time {rec.time!r} is not [dd/Mon/yyyy:HH:MM:SS +0000]")
        else:
            low = exp["start"].replace(microsecond=0) - datetime.timedelta(seconds=1)
            high = exp["end"] + datetime.timedelta(seconds=1)
            if not low <= rec.time_utc <= high:
                wrong.append(f"time {rec.time} outside [{low}, {high}]")
        self.assertEqual(wrong, [], f"{label}: {rec.line}")
        return rec

    # --- format and delivery -------------------------------------------------------------------
    def test_log_objects_are_named_as_simple_prefix_one_per_source_bucket(self):
        keys = sorted(self.log_objects)
        self.assertEqual(len(keys), 2, keys)
        for key in keys:
            m = access_log.SIMPLE_KEY.fullmatch(key)
            self.assertIsNotNone(m, key)
            self.assertEqual(m["prefix"], "access/")
            stamp = datetime.datetime.strptime(m["ts"], "%Y-%m-%d-%H-%M-%S").replace(
                tzinfo=datetime.timezone.utc)
            self.assertLess(abs((stamp - self.flush_time).total_seconds()), 10, key)
            self.assertEqual(len({r.bucket for r in self.by_object[key]}), 1, key)
        self.assertEqual(sorted({r.bucket for r in self.records}), ["src", "src2"])
        self.assertEqual(sorted(k for k in self.flush1["flushed"] if k.startswith("logs/")),
                         ["logs/" + k for k in keys])
        self.assertEqual(self.flush1["problems"], [])

    def test_every_record_has_26_fields_and_owner_is_canonical_id(self):
        self.assertGreater(len(self.src), len(self.expected))
        for r in self.records:
            self.assertIsNone(r.source_region, r.line)
            self.assertRegex(r.bucket_owner, r"^[0-9a-f]{64}$")
            self.assertEqual(r.bucket_owner, self.owner_id)
            self.assertRegex(r.request_id, r"^[0-9A-F]{16}$")

    def test_each_request_is_logged_exactly_once(self):
        ids = {e["request_id"] for e in self.expected.values()}
        self.assertEqual(len(ids), len(self.expected), "request ids must be unique")
        for label in self.expected:
            with self.subTest(label):
                self.record(label)
        # Anything else in src's log was made by the aws CLI (put-bucket-logging, s3 cp) or by
        # the unlabelled setup PUTs of the keys to delete.
        others = [r for r in self.src if r.request_id not in ids]
        for r in others:
            self.assertTrue(r.user_agent.startswith("aws-cli/") or r.key.startswith("d/"), r.line)
        cli_puts = [r for r in others if r.operation == "REST.PUT.OBJECT" and r.key == "cli.txt"]
        self.assertEqual(len(cli_puts), 1)
        self.assertEqual(cli_puts[0].object_size, "13")

    def test_object_requests(self):
        for label in ("put", "get", "head", "range", "list", "odd_put", "odd_get"):
            with self.subTest(label):
                self.check(label)
        self.assertEqual(self.record("put").http_status, "200")
        self.assertEqual(self.record("put").bytes_sent, "-")
        self.assertEqual(self.record("head").bytes_sent, "-")
        self.assertEqual(self.record("range").http_status, "206")
        self.assertTrue(self.record("list").request_uri.startswith("GET /src?list-type=2"))

    def test_error_responses(self):
        for label, status, code in (("get404", "404", "NoSuchKey"),
                                    ("badsig", "403", "SignatureDoesNotMatch"),
                                    ("alice", "403", "AccessDenied"),
                                    ("412", "412", "PreconditionFailed"),
                                    ("416", "416", "InvalidRange"),
                                    ("malformed", "400", "MalformedXML"),
                                    ("anonymous", "403", "AccessDenied")):
            with self.subTest(label):
                rec = self.check(label)
                self.assertEqual((rec.http_status, rec.error_code), (status, code))
                self.assertNotEqual(rec.bytes_sent, "-")

    def test_head_404_bytes_sent_is_the_error_body_get_would_send(self):
        rec = self.check("head404")
        self.assertEqual((rec.http_status, rec.error_code), ("404", "NoSuchKey"))
        # Amazon logs the size of the error body it did not send: a HEAD and a GET of the same
        # missing key report the same Bytes Sent (Amazon's real HEAD 404 line logs 311, which is
        # exactly its GET NoSuchKey body for that key).
        self.assertEqual(rec.bytes_sent, self.record("get404").bytes_sent)

    def test_multipart_upload(self):
        for label in ("mpu_create", "mpu_part1", "mpu_part2", "mpu_complete"):
            with self.subTest(label):
                self.check(label)
        self.assertIn("?uploads", self.record("mpu_create").request_uri)
        self.assertIn("partNumber=1", self.record("mpu_part1").request_uri)

    def test_copy_logs_both_sides(self):
        put_side = self.check("copy")
        get_side = self.index.get((self.expected["copy"]["request_id"],
                                   "REST.COPY.OBJECT_GET"), [])
        self.assertEqual(len(get_side), 1)
        get_side = get_side[0]
        self.assertEqual((get_side.bucket, get_side.key, get_side.http_status),
                         ("src", "hello.txt", "200"))
        self.assertEqual(get_side.object_size, str(len(self.body)))
        self.assertEqual(get_side.host_id, put_side.host_id)
        self.assertEqual(get_side.requester, TEST_ARN)

    def test_delete_objects_logs_one_batch_record_per_key(self):
        parent = self.check("multi_delete")
        self.assertEqual(parent.request_uri, "POST /src?delete HTTP/1.1")
        self.assertEqual(parent.http_status, "200")
        batch = self.index.get((parent.request_id, "BATCH.DELETE.OBJECT"), [])
        self.assertCountEqual([r.key for r in batch], [log_key_encode(k)
                                                       for k in self.delete_keys])
        for r in batch:
            self.assertEqual(r.http_status, "204", r.line)
            self.assertEqual((r.request_uri, r.quoted["request_uri"]), ("-", False), r.line)
            for name in ("error_code", "bytes_sent", "object_size", "total_time",
                         "turn_around_time", "referer", "user_agent", "version_id"):
                self.assertEqual((r.values[name], r.quoted[name]), ("-", False), name)
            for name in ("host_id", "requester", "signature_version", "auth_type", "time",
                         "host_header", "bucket_owner"):
                self.assertEqual(r.values[name], parent.values[name], name)

    def test_presigned_requests(self):
        for label in ("presign_cli", "presign_v4"):
            with self.subTest(label):
                rec = self.check(label)
                self.assertEqual(rec.http_status, "200")
        self.assertEqual(self.record("presign_v4").signature_version, "SigV4")
        self.assertIn("Signature=", self.record("presign_cli").request_uri)

    def test_key_encoding(self):
        rec = self.check("odd_put")
        self.assertEqual(rec.key, "dir/my%2520file%252B100%2525%25C3%25BC.txt")
        self.assertEqual(urllib.parse.unquote(rec.decoded_key), ODD_KEY)
        # The request line is logged as received; its "%25" is written "%2525" so that it can
        # not be read as an escape (logging/access_log_line.h).
        self.assertIn('"PUT /src/dir/my%20file%2B100%2525%C3%BC.txt', rec.line)
        self.assertIn("/src/dir/my%20file%2B100%25%C3%BC.txt", rec.request_uri)

    def test_custom_user_agent_and_referer(self):
        rec = self.check("custom")
        self.assertEqual(rec.user_agent, CUSTOM_UA)
        self.assertEqual(rec.referer, CUSTOM_REFERER)
        # The Athena regex reads Referer as [^ ]*: it must carry no space.
        raw_referer = access_log.ATHENA_REGEX.fullmatch(rec.line).group(16)
        self.assertNotIn(" ", raw_referer)

    def test_missing_headers_are_quoted_dashes(self):
        rec = self.check("malformed")
        self.assertEqual((rec.user_agent, rec.quoted["user_agent"]), ("-", True))
        self.assertEqual((rec.referer, rec.quoted["referer"]), ("-", True))

    def test_unlogged_bucket_produces_nothing(self):
        everything = self.records + self.meta_records
        self.assertFalse([r.line for r in everything if r.bucket == "quiet"])
        self.assertFalse([k for k in self.keys_after_second_flush if "quiet" in k])

    def test_delivery_itself_is_not_logged(self):
        # "logs" logs into "meta": its records are our listing and downloads, never the PUTs
        # of the log objects delivered into it, even after a second flush.
        self.assertEqual(sorted(self.keys_after_second_flush), sorted(self.log_objects))
        logs_records = [r for r in self.meta_records if r.bucket == "logs"]
        self.assertEqual([r.line for r in logs_records if r.operation == "REST.PUT.OBJECT"], [])
        downloaded = {urllib.parse.unquote(r.decoded_key) for r in logs_records
                      if r.operation == "REST.GET.OBJECT"}
        self.assertEqual(downloaded, set(self.log_objects))
        self.assertIn("REST.GET.BUCKET", {r.operation for r in logs_records})

    def test_log_objects_are_ordinary_objects(self):
        listing = self.server.aws("s3", "ls", "s3://logs/access/").stdout
        for key, body in self.log_objects.items():
            self.assertIn(key.split("/")[-1], listing)
            got = self.server.aws("s3", "cp", f"s3://logs/{key}", "-").stdout
            self.assertEqual(got.encode(), body)


def put_objects(s3, bucket, count, prefix="k"):
    """Puts `count` small objects; returns the request ids the server acknowledged."""
    return [s3.put_object(Bucket=bucket, Key=f"{prefix}{i}", Body=b"x" * (i + 1))
            ["ResponseMetadata"]["RequestId"] for i in range(count)]


class Delivery(unittest.TestCase):
    """Key formats, a missing target and Ceph's flush, each on its own buckets of one server."""

    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer().start()
        cls.s3 = cls.server.boto3()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def logging_pair(self, source, target, prefix, key_format=None):
        self.s3.create_bucket(Bucket=source)
        self.s3.create_bucket(Bucket=target)
        self.server.enable_logging(source, target, prefix, key_format)

    def test_partitioned_prefix_event_time_and_delivery_time(self):
        for source, prefix, date_source in (("ev-src", "ev/", "EventTime"),
                                            ("dl-src", "dl/", "DeliveryTime")):
            self.logging_pair(source, "part-logs", prefix,
                              {"PartitionedPrefix": {"PartitionDateSource": date_source}})
        sent = utcnow()
        ids = {b: put_objects(self.s3, b, 2) for b in ("ev-src", "dl-src")}
        for bucket in ids:
            self.server.flush(bucket)
        delivered = utcnow()
        for bucket, prefix in (("ev-src", "ev/"), ("dl-src", "dl/")):
            keys = self.server.list_keys("part-logs", prefix)
            self.assertEqual(len(keys), 1, keys)
            m = access_log.PARTITIONED_KEY.fullmatch(keys[0])
            self.assertIsNotNone(m, keys[0])
            self.assertEqual((m["prefix"], m["account"], m["region"], m["bucket"]),
                             (prefix, "000000000000", "us-east-1", bucket))
            self.assertEqual(m["ts"][:10], f"{m['y']}-{m['m']}-{m['d']}", keys[0])
            stamp = datetime.datetime.strptime(m["ts"], "%Y-%m-%d-%H-%M-%S").replace(
                tzinfo=datetime.timezone.utc)
            if bucket == "ev-src":
                self.assertEqual(m["ts"][11:], "00-00-00", keys[0])
                self.assertIn(stamp.date(), {sent.date(), delivered.date()})
            else:
                self.assertLess(abs((stamp - delivered).total_seconds()), 10, keys[0])
            records = self.server.log_records("part-logs", prefix)
            self.assertEqual({r.bucket for r in records}, {bucket})
            self.assertEqual(put_ids(records), collections.Counter(ids[bucket]))

    def test_missing_target_keeps_records_pending_until_it_exists(self):
        self.logging_pair("ms-src", "ms-logs", "p/")
        self.s3.delete_bucket(Bucket="ms-logs")
        ids = put_objects(self.s3, "ms-src", 3)
        result = self.server.flush("ms-src")
        self.assertEqual(result["flushed"], [])
        self.assertTrue(any("ms-logs" in p for p in result["problems"]), result)
        status, body = self.server.admin("GET", "/_logbucket/status")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(body["access_logging"]["buckets"]["ms-src"]["pending_records"], 3)
        problem = body["access_logging"]["targets"]["ms-logs"]["problem"]
        self.assertIsNotNone(problem)
        self.assertIn("ms-logs", problem["message"])

        self.s3.create_bucket(Bucket="ms-logs")
        result = self.server.flush("ms-src")
        self.assertEqual(len(result["flushed"]), 1, result)
        self.assertEqual(result["problems"], [])
        self.server.flush("ms-src")
        self.assertEqual(["ms-logs/" + k for k in self.server.list_keys("ms-logs", "p/")],
                         result["flushed"])
        self.assertEqual(put_ids(self.server.log_records("ms-logs", "p/")),
                         collections.Counter(ids))
        _, body = self.server.admin("GET", "/_logbucket/status")
        self.assertEqual(body["access_logging"]["buckets"]["ms-src"]["pending_records"], 0)
        self.assertIsNone(body["access_logging"]["targets"]["ms-logs"]["problem"])

    def test_the_request_that_ends_logging_is_itself_logged(self):
        # Disabling logging, changing its target and deleting the bucket are logged as the
        # bucket was configured when each request arrived.
        self.logging_pair("end-src", "end-logs", "e/")
        self.s3.create_bucket(Bucket="end-logs2")
        self.server.enable_logging("end-src", "end-logs2", "e2/")
        self.s3.put_object(Bucket="end-src", Key="after-change", Body=b"x")
        self.s3.put_bucket_logging(Bucket="end-src", BucketLoggingStatus={})
        self.s3.put_object(Bucket="end-src", Key="not-logged", Body=b"x")
        self.server.enable_logging("end-src", "end-logs", "e/")
        for key in ("after-change", "not-logged"):
            self.s3.delete_object(Bucket="end-src", Key=key)
        self.s3.delete_bucket(Bucket="end-src")
        self.server.flush()
        first = [(r.operation, r.key) for r in self.server.log_records("end-logs", "e/")]
        second = [(r.operation, r.key) for r in self.server.log_records("end-logs2", "e2/")]
        self.assertIn(("REST.PUT.LOGGING_STATUS", "-"), first, "the change away from end-logs")
        self.assertIn(("REST.DELETE.BUCKET", "-"), first)
        self.assertIn(("REST.PUT.OBJECT", "after-change"), second)
        self.assertIn(("REST.PUT.LOGGING_STATUS", "-"), second, "the request that disabled it")
        self.assertNotIn(("REST.PUT.OBJECT", "not-logged"), first + second)

    def test_ceph_post_bucket_logging_flushes_and_names_the_object(self):
        self.logging_pair("ceph-src", "ceph-logs", "c/")
        ids = put_objects(self.s3, "ceph-src", 2)
        status, _, body = self.server.signed_request("POST", "/ceph-src?logging")
        self.assertEqual(status, 200, body)
        root = ET.fromstring(body)
        self.assertEqual(root.tag.split("}")[-1], "PostBucketLoggingOutput")
        flushed = [e.text for e in root.iter() if e.tag.split("}")[-1] == "FlushedLoggingObject"]
        self.assertEqual(len(flushed), 1, body)
        self.assertRegex(flushed[0], r"^c/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")
        self.assertEqual(self.server.list_keys("ceph-logs", "c/"), flushed)
        self.assertEqual(put_ids(self.server.log_records("ceph-logs", "c/")),
                         collections.Counter(ids))

    def test_empty_put_then_put_on_one_connection_are_both_answered_and_logged(self):
        # botocore sends "Expect: 100-continue" on every PutObject, also with an empty body.
        self.logging_pair("empty-src", "empty-logs", "e/")
        s3 = sdk_client(self.server, read_timeout=5,
                        retries={"max_attempts": 1, "mode": "standard"})
        ids = []
        for body in (b"", b"after the empty one"):
            try:
                ids.append(s3.put_object(Bucket="empty-src", Key="folder/", Body=body)
                           ["ResponseMetadata"]["RequestId"])
            except Exception as e:  # a hang shows up as the client's read timeout
                self.fail(f"PutObject after an empty PutObject on the same connection: {e!r}")
        self.server.flush("empty-src")
        self.assertEqual(put_ids(self.server.log_records("empty-logs", "e/")),
                         collections.Counter(ids), "one record per PutObject the client made")


class ScheduledDeliveryWithRegionField(unittest.TestCase):
    def test_idle_bucket_is_delivered_on_schedule_with_27th_field(self):
        server = LogbucketServer(["--logging-flush-interval", "1s",
                                  "--logging-source-region-field", "true"]).start()
        self.addCleanup(server.cleanup)
        s3 = server.boto3()
        s3.create_bucket(Bucket="sched-src")
        s3.create_bucket(Bucket="sched-logs")
        server.enable_logging("sched-src", "sched-logs", "s/")
        ids = collections.Counter(put_objects(s3, "sched-src", 3))
        # No flush call and no further request to the source bucket: the schedule delivers.
        def delivered():
            records = server.log_records("sched-logs", "s/")
            return records if put_ids(records) == ids else None

        records = wait_until(delivered, timeout=15, what="a scheduled delivery of every record")
        for r in records:
            self.assertEqual((r.source_region, r.extra_fields), ("us-east-1", []), r.line)
            self.assertTrue(r.line.endswith(" - us-east-1"), r.line)


class Durability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def requests(self, source, target, prefix, count):
        s3 = self.server.boto3()
        s3.create_bucket(Bucket=source)
        s3.create_bucket(Bucket=target)
        self.server.enable_logging(source, target, prefix)
        ids = collections.Counter(put_objects(s3, source, count))
        self.assertEqual(self.server.list_keys(target), [])
        return ids

    def test_kill_9_before_delivery_loses_nothing_and_duplicates_nothing(self):
        ids = self.requests("kill-src", "kill-logs", "k/", 20)
        self.server.kill()
        self.server.start(self.server.port)
        self.server.flush()
        self.assertEqual(put_ids(self.server.log_records("kill-logs", "k/")), ids)
        self.server.flush()
        self.assertEqual(put_ids(self.server.log_records("kill-logs", "k/")), ids)

    def test_sigterm_delivers_pending_records(self):
        ids = self.requests("term-src", "term-logs", "t/", 5)
        self.assertEqual(self.server.stop(), 0)
        self.server.start(self.server.port)
        self.assertEqual(put_ids(self.server.log_records("term-logs", "t/")), ids)


if __name__ == "__main__":
    unittest.main()
