"""The S3 API as a demanding boto3 user drives it against the real binary: metadata, ranges,
conditional requests, big paginated listings, odd keys, copies, batch deletes, multipart uploads
(upload_file, upload_part_copy, abort), virtual-hosted addressing, bucket logging configuration,
and every error's HTTP status and code as boto3 reports them."""
import concurrent.futures
import datetime
import hashlib
import http.client
import os
import shutil
import tempfile
import unittest
import zlib
import base64

import botocore.auth
import botocore.awsrequest
import botocore.credentials
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from harness import ACCESS_KEY, REGION, SECRET_KEY, LogbucketServer

MiB = 1024 * 1024


def error_of(call, *args, **kwargs):
    """(HTTP status, error code) of a call that must fail."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{getattr(call, '__name__', call)} succeeded but should have failed")


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


class S3Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LogbucketServer().start()
        cls.s3 = cls.server.boto3()
        cls.work = tempfile.mkdtemp(prefix="logbucket-s3api-")
        cls.s3.create_bucket(Bucket="api")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def bucket(self, name):
        self.s3.create_bucket(Bucket=name)
        return name

    # --- objects -------------------------------------------------------------------------------

    def test_put_get_with_metadata_and_content_type(self):
        body = b"hello, logbucket\n" * 10
        put = self.s3.put_object(Bucket="api", Key="meta/hello.txt", Body=body,
                                 ContentType="text/plain; charset=utf-8",
                                 Metadata={"Color": "blue", "owner-name": "test"},
                                 CacheControl="max-age=60", ContentDisposition="inline")
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        got = self.s3.get_object(Bucket="api", Key="meta/hello.txt")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], "text/plain; charset=utf-8")
        self.assertEqual(got["Metadata"], {"color": "blue", "owner-name": "test"})
        self.assertEqual(got["CacheControl"], "max-age=60")
        self.assertEqual(got["ContentDisposition"], "inline")
        self.assertEqual(got["ContentLength"], len(body))
        self.assertEqual(got["ETag"], put["ETag"])
        self.assertIn("x-amz-request-id", got["ResponseMetadata"]["HTTPHeaders"])
        head = self.s3.head_object(Bucket="api", Key="meta/hello.txt")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["Metadata"]["color"], "blue")
        self.assertIsInstance(head["LastModified"], datetime.datetime)

    def test_ranged_get(self):
        body = bytes(range(256)) * 4
        self.s3.put_object(Bucket="api", Key="range.bin", Body=body)
        part = self.s3.get_object(Bucket="api", Key="range.bin", Range="bytes=10-19")
        self.assertEqual(part["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(part["Body"].read(), body[10:20])
        self.assertEqual(part["ContentRange"], "bytes 10-19/1024")
        self.assertEqual(part["ContentLength"], 10)
        suffix = self.s3.get_object(Bucket="api", Key="range.bin", Range="bytes=-5")
        self.assertEqual(suffix["Body"].read(), body[-5:])
        self.assertEqual(error_of(self.s3.get_object, Bucket="api", Key="range.bin",
                                  Range="bytes=2000-"), (416, "InvalidRange"))

    def test_conditional_get(self):
        put = self.s3.put_object(Bucket="api", Key="cond.txt", Body=b"v1")
        etag = put["ETag"]
        self.assertEqual(self.s3.get_object(Bucket="api", Key="cond.txt",
                                            IfMatch=etag)["Body"].read(), b"v1")
        self.assertEqual(error_of(self.s3.get_object, Bucket="api", Key="cond.txt",
                                  IfNoneMatch=etag), (304, "304"))
        self.assertEqual(error_of(self.s3.get_object, Bucket="api", Key="cond.txt",
                                  IfMatch='"0123456789abcdef0123456789abcdef"'),
                         (412, "PreconditionFailed"))
        future = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
        past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertEqual(error_of(self.s3.get_object, Bucket="api", Key="cond.txt",
                                  IfModifiedSince=future), (304, "304"))
        self.assertEqual(error_of(self.s3.get_object, Bucket="api", Key="cond.txt",
                                  IfUnmodifiedSince=past), (412, "PreconditionFailed"))
        self.assertEqual(error_of(self.s3.head_object, Bucket="api", Key="cond.txt",
                                  IfNoneMatch=etag), (304, "304"))

    def test_conditional_put(self):
        self.s3.put_object(Bucket="api", Key="once.txt", Body=b"first", IfNoneMatch="*")
        self.assertEqual(error_of(self.s3.put_object, Bucket="api", Key="once.txt",
                                  Body=b"second", IfNoneMatch="*"), (412, "PreconditionFailed"))
        self.assertEqual(self.s3.get_object(Bucket="api", Key="once.txt")["Body"].read(),
                         b"first")

    def test_checksum_mismatch_is_bad_digest_and_stores_nothing(self):
        self.assertEqual(error_of(self.s3.put_object, Bucket="api", Key="crc.txt",
                                  Body=b"payload", ChecksumCRC32=crc32_b64(b"other")),
                         (400, "BadDigest"))
        self.assertEqual(error_of(self.s3.head_object, Bucket="api", Key="crc.txt"),
                         (404, "404"))
        ok = self.s3.put_object(Bucket="api", Key="crc.txt", Body=b"payload",
                                ChecksumCRC32=crc32_b64(b"payload"))
        self.assertEqual(ok["ChecksumCRC32"], crc32_b64(b"payload"))

    # --- listing -------------------------------------------------------------------------------

    def test_paginator_over_2500_keys_with_delimiter(self):
        b = self.bucket("many")
        keys = [f"p{i % 5}/k{i:04d}" for i in range(2400)] + [f"top{i:03d}" for i in range(100)]

        def put(key):
            self.s3.put_object(Bucket=b, Key=key, Body=key.encode())

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, keys))

        paginator = self.s3.get_paginator("list_objects_v2")
        seen = []
        pages = 0
        for page in paginator.paginate(Bucket=b, PaginationConfig={"PageSize": 1000}):
            pages += 1
            seen.extend(o["Key"] for o in page.get("Contents", []))
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), len(set(seen)), "no duplicates")
        self.assertEqual(seen, sorted(keys))

        contents, prefixes = [], []
        for page in paginator.paginate(Bucket=b, Delimiter="/",
                                       PaginationConfig={"PageSize": 7}):
            contents.extend(o["Key"] for o in page.get("Contents", []))
            prefixes.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        self.assertEqual(prefixes, [f"p{i}/" for i in range(5)])
        self.assertEqual(contents, [f"top{i:03d}" for i in range(100)])

        sub = []
        for page in paginator.paginate(Bucket=b, Prefix="p3/", Delimiter="/",
                                       PaginationConfig={"PageSize": 200}):
            self.assertNotIn("CommonPrefixes", page)
            sub.extend(o["Key"] for o in page.get("Contents", []))
        self.assertEqual(sub, sorted(k for k in keys if k.startswith("p3/")))
        self.assertEqual(len(sub), 480)

        v1 = []
        for page in self.s3.get_paginator("list_objects").paginate(
                Bucket=b, Prefix="p1/", PaginationConfig={"PageSize": 150}):
            v1.extend(o["Key"] for o in page.get("Contents", []))
        self.assertEqual(v1, sorted(k for k in keys if k.startswith("p1/")))

        after = self.s3.list_objects_v2(Bucket=b, StartAfter="p4/k2399", MaxKeys=3)
        self.assertEqual([o["Key"] for o in after["Contents"]], ["top000", "top001", "top002"])
        self.assertTrue(after["IsTruncated"])

    def test_odd_keys_round_trip_and_list_in_utf8_byte_order(self):
        b = self.bucket("odd-keys")
        keys = ["../../etc/passwd", "a", "a/b", "sp ace", "100%", "plus+sign",
                "ключ/日本.txt", "tilde~and=equals", "q?mark#hash", "  leading-spaces"]
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=("body of " + k).encode())
        for k in keys:
            got = self.s3.get_object(Bucket=b, Key=k)["Body"].read().decode()
            self.assertEqual(got, "body of " + k)
        listed = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(listed, sorted(keys, key=lambda k: k.encode("utf-8")))
        v1 = [o["Key"] for o in self.s3.list_objects(Bucket=b)["Contents"]]
        self.assertEqual(v1, listed)
        top = self.s3.list_objects_v2(Bucket=b, Delimiter="/")
        self.assertEqual(sorted(p["Prefix"] for p in top["CommonPrefixes"]),
                         sorted(["../", "a/", "ключ/"]))
        self.assertIn("a", [o["Key"] for o in top["Contents"]])
        stored_names = {f for _, _, files in os.walk(self.server.data_dir) for f in files}
        self.assertNotIn("passwd", stored_names, "keys never name files")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="../../etc/passwd")["ContentLength"],
                         len("body of ../../etc/passwd"))

    # --- copy and delete -------------------------------------------------------------------------

    def test_copy_object_with_metadata_directive(self):
        self.s3.put_object(Bucket="api", Key="copy/src.txt", Body=b"copy me",
                           ContentType="text/x-src", Metadata={"origin": "source"})
        dest = self.bucket("copy-dest")
        copied = self.s3.copy_object(Bucket=dest, Key="kept.txt",
                                     CopySource={"Bucket": "api", "Key": "copy/src.txt"})
        self.assertEqual(copied["CopyObjectResult"]["ETag"],
                         '"%s"' % hashlib.md5(b"copy me").hexdigest())
        kept = self.s3.get_object(Bucket=dest, Key="kept.txt")
        self.assertEqual(kept["Body"].read(), b"copy me")
        self.assertEqual(kept["Metadata"], {"origin": "source"})
        self.assertEqual(kept["ContentType"], "text/x-src")

        self.s3.copy_object(Bucket=dest, Key="replaced.txt",
                            CopySource={"Bucket": "api", "Key": "copy/src.txt"},
                            MetadataDirective="REPLACE", ContentType="text/x-new",
                            Metadata={"fresh": "yes"})
        replaced = self.s3.head_object(Bucket=dest, Key="replaced.txt")
        self.assertEqual(replaced["Metadata"], {"fresh": "yes"})
        self.assertEqual(replaced["ContentType"], "text/x-new")

        self.s3.put_object(Bucket="api", Key="copy/sp ace+%.txt", Body=b"odd source")
        self.s3.copy_object(Bucket=dest, Key="from-odd",
                            CopySource={"Bucket": "api", "Key": "copy/sp ace+%.txt"})
        self.assertEqual(self.s3.get_object(Bucket=dest, Key="from-odd")["Body"].read(),
                         b"odd source")
        self.assertEqual(error_of(self.s3.copy_object, Bucket=dest, Key="x",
                                  CopySource={"Bucket": "api", "Key": "copy/missing"}),
                         (404, "NoSuchKey"))
        self.assertEqual(error_of(self.s3.copy_object, Bucket="api", Key="copy/src.txt",
                                  CopySource={"Bucket": "api", "Key": "copy/src.txt"}),
                         (400, "InvalidRequest"))

    def test_delete_objects(self):
        b = self.bucket("batch-delete")
        for k in ["d1", "d2", "keep", "x&y<z>"]:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x")
        out = self.s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "d1"}, {"Key": "d2"}, {"Key": "x&y<z>"}, {"Key": "never-was"}]})
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]),
                         ["d1", "d2", "never-was", "x&y<z>"])
        self.assertNotIn("Errors", out)
        left = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]]
        self.assertEqual(left, ["keep"])
        quiet = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "keep"}],
                                                         "Quiet": True})
        self.assertNotIn("Deleted", quiet)
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 0)

    # --- multipart -------------------------------------------------------------------------------

    def test_upload_file_multipart_and_checksum_mode(self):
        path = os.path.join(self.work, "twelve.bin")
        data = os.urandom(12 * MiB)
        with open(path, "wb") as f:
            f.write(data)
        config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                                max_concurrency=2)
        self.s3.upload_file(path, "api", "mp/twelve.bin", Config=config,
                            ExtraArgs={"ContentType": "application/x-twelve",
                                       "Metadata": {"size": "12MiB"}})
        head = self.s3.head_object(Bucket="api", Key="mp/twelve.bin", ChecksumMode="ENABLED")
        self.assertEqual(head["ContentLength"], 12 * MiB)
        parts = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
        want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
        self.assertEqual(head["ETag"], f'"{want}-3"')
        self.assertEqual(head["ContentType"], "application/x-twelve")
        self.assertEqual(head["Metadata"], {"size": "12MiB"})
        self.assertIn("ChecksumCRC32", head, head)
        if head.get("ChecksumType") == "FULL_OBJECT":
            self.assertEqual(head["ChecksumCRC32"], crc32_b64(data))
        else:
            self.assertTrue(head["ChecksumCRC32"].endswith("-3"), head["ChecksumCRC32"])
        back = os.path.join(self.work, "twelve.back")
        self.s3.download_file("api", "mp/twelve.bin", back, Config=config)
        with open(back, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(data).digest())
        second = self.s3.get_object(Bucket="api", Key="mp/twelve.bin", PartNumber=2)
        self.assertEqual(second["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(second["PartsCount"], 3)
        self.assertEqual(second["Body"].read(), parts[1])

    def test_upload_part_copy_and_list_parts(self):
        source = os.urandom(6 * MiB)
        self.s3.put_object(Bucket="api", Key="mp/source", Body=source)
        up = self.s3.create_multipart_upload(Bucket="api", Key="mp/assembled")
        uid = up["UploadId"]
        p1 = self.s3.upload_part_copy(Bucket="api", Key="mp/assembled", UploadId=uid,
                                      PartNumber=1,
                                      CopySource={"Bucket": "api", "Key": "mp/source"},
                                      CopySourceRange=f"bytes=0-{5 * MiB - 1}")
        p2 = self.s3.upload_part(Bucket="api", Key="mp/assembled", UploadId=uid, PartNumber=2,
                                 Body=b"the end")
        listed = self.s3.list_parts(Bucket="api", Key="mp/assembled", UploadId=uid)
        self.assertEqual([p["PartNumber"] for p in listed["Parts"]], [1, 2])
        self.assertEqual([p["Size"] for p in listed["Parts"]], [5 * MiB, 7])
        uploads = self.s3.list_multipart_uploads(Bucket="api", Prefix="mp/assembled")
        self.assertEqual([u["UploadId"] for u in uploads["Uploads"]], [uid])
        self.s3.complete_multipart_upload(
            Bucket="api", Key="mp/assembled", UploadId=uid,
            MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": p2["ETag"]}]})
        got = self.s3.get_object(Bucket="api", Key="mp/assembled")["Body"].read()
        self.assertEqual(got, source[:5 * MiB] + b"the end")
        self.assertNotIn("Uploads",
                         self.s3.list_multipart_uploads(Bucket="api", Prefix="mp/assembled"))

    def test_abort_and_multipart_errors(self):
        uid = self.s3.create_multipart_upload(Bucket="api", Key="mp/aborted")["UploadId"]
        self.s3.upload_part(Bucket="api", Key="mp/aborted", UploadId=uid, PartNumber=1, Body=b"x")
        self.s3.abort_multipart_upload(Bucket="api", Key="mp/aborted", UploadId=uid)
        self.assertEqual(error_of(self.s3.list_parts, Bucket="api", Key="mp/aborted",
                                  UploadId=uid), (404, "NoSuchUpload"))
        self.assertEqual(error_of(self.s3.upload_part, Bucket="api", Key="mp/aborted",
                                  UploadId=uid, PartNumber=2, Body=b"y"), (404, "NoSuchUpload"))

        uid = self.s3.create_multipart_upload(Bucket="api", Key="mp/small")["UploadId"]
        e1 = self.s3.upload_part(Bucket="api", Key="mp/small", UploadId=uid, PartNumber=1,
                                 Body=b"tiny")["ETag"]
        e2 = self.s3.upload_part(Bucket="api", Key="mp/small", UploadId=uid, PartNumber=2,
                                 Body=b"tiny")["ETag"]
        complete = self.s3.complete_multipart_upload
        self.assertEqual(error_of(complete, Bucket="api", Key="mp/small", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                             {"PartNumber": 2, "ETag": e2}]}),
                         (400, "EntityTooSmall"))
        big = self.s3.upload_part(Bucket="api", Key="mp/small", UploadId=uid, PartNumber=3,
                                  Body=b"b" * (5 * MiB))["ETag"]
        self.assertEqual(error_of(complete, Bucket="api", Key="mp/small", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": big},
                                                             {"PartNumber": 1, "ETag": e1}]}),
                         (400, "InvalidPartOrder"))
        self.assertEqual(error_of(complete, Bucket="api", Key="mp/small", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 4, "ETag": e1}]}),
                         (400, "InvalidPart"))
        nope = '"%s"' % hashlib.md5(b"nope").hexdigest()
        self.assertEqual(error_of(complete, Bucket="api", Key="mp/small", UploadId=uid,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": nope}]}),
                         (400, "InvalidPart"))
        self.s3.abort_multipart_upload(Bucket="api", Key="mp/small", UploadId=uid)

    # --- virtual-hosted addressing ---------------------------------------------------------------

    def raw_virtual(self, method, bucket, path, body=b"", headers=None):
        host = f"{bucket}.localhost:{self.server.port}"
        request = botocore.awsrequest.AWSRequest(method=method, url=f"http://{host}{path}",
                                                 data=body, headers=dict(headers or {}))
        creds = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)
        botocore.auth.S3SigV4Auth(creds, "s3", REGION).add_auth(request)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            send = {k: v for k, v in request.headers.items()}
            send["Host"] = host
            conn.request(method, path, body=body, headers=send)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def test_virtual_hosted_addressing(self):
        b = self.bucket("virtual-b")
        status, headers, _ = self.raw_virtual("PUT", b, "/dir/v%20key.txt", b"virtual body",
                                              {"Content-Type": "text/x-virtual"})
        self.assertEqual(status, 200, headers)
        self.assertEqual(headers.get("ETag"), '"%s"' % hashlib.md5(b"virtual body").hexdigest())
        got = self.s3.get_object(Bucket=b, Key="dir/v key.txt")
        self.assertEqual(got["Body"].read(), b"virtual body")
        self.assertEqual(got["ContentType"], "text/x-virtual")

        status, headers, body = self.raw_virtual("GET", b, "/dir/v%20key.txt")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"virtual body")
        self.assertIn("x-amz-request-id", {k.lower() for k in headers})

        status, _, body = self.raw_virtual("GET", b, "/?list-type=2")
        self.assertEqual(status, 200)
        self.assertIn(b"<Key>dir/v key.txt</Key>", body)
        status, _, body = self.raw_virtual("GET", b, "/missing")
        self.assertEqual(status, 404)
        self.assertIn(b"<Code>NoSuchKey</Code>", body)

    # --- logging configuration ---------------------------------------------------------------------

    def test_bucket_logging_round_trip(self):
        src, logs = self.bucket("log-src"), self.bucket("log-target")
        self.assertEqual(self.s3.get_bucket_logging(Bucket=src).get("LoggingEnabled"), None)
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": logs, "TargetPrefix": "src/",
            "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}}})
        got = self.s3.get_bucket_logging(Bucket=src)["LoggingEnabled"]
        self.assertEqual(got["TargetBucket"], logs)
        self.assertEqual(got["TargetPrefix"], "src/")
        self.assertEqual(got["TargetObjectKeyFormat"],
                         {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}})
        self.assertEqual(error_of(self.s3.put_bucket_logging, Bucket=logs,
                                  BucketLoggingStatus={"LoggingEnabled": {
                                      "TargetBucket": src, "TargetPrefix": ""}}),
                         (400, "InvalidTargetBucketForLogging"))
        self.assertEqual(error_of(self.s3.put_bucket_logging, Bucket=src,
                                  BucketLoggingStatus={"LoggingEnabled": {
                                      "TargetBucket": "no-such-log-bucket", "TargetPrefix": ""}}),
                         (400, "InvalidTargetBucketForLogging"))
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=src))

    # --- errors as boto3 shows them -----------------------------------------------------------------

    def test_not_implemented_operations(self):
        self.assertEqual(error_of(self.s3.get_bucket_cors, Bucket="api"), (501, "NotImplemented"))
        self.assertEqual(error_of(self.s3.get_bucket_tagging, Bucket="api"),
                         (501, "NotImplemented"))
        self.assertEqual(error_of(self.s3.get_bucket_website, Bucket="api"),
                         (501, "NotImplemented"))
        # Implemented since: a bucket without one answers as S3 does.
        self.assertEqual(error_of(self.s3.get_bucket_lifecycle_configuration, Bucket="api"),
                         (404, "NoSuchLifecycleConfiguration"))

    def test_error_codes(self):
        s3 = self.s3
        self.assertEqual(error_of(s3.get_object, Bucket="api", Key="no/such/key"),
                         (404, "NoSuchKey"))
        self.assertEqual(error_of(s3.head_object, Bucket="api", Key="no/such/key"), (404, "404"))
        self.assertEqual(error_of(s3.get_object, Bucket="no-such-bucket-x", Key="k"),
                         (404, "NoSuchBucket"))
        self.assertEqual(error_of(s3.list_objects_v2, Bucket="no-such-bucket-x"),
                         (404, "NoSuchBucket"))
        self.assertEqual(error_of(s3.head_bucket, Bucket="no-such-bucket-x"), (404, "404"))
        self.assertEqual(error_of(s3.create_bucket, Bucket="Bad_Name"),
                         (400, "InvalidBucketName"))
        b = self.bucket("not-empty")
        s3.put_object(Bucket=b, Key="k", Body=b"x")
        self.assertEqual(error_of(s3.delete_bucket, Bucket=b), (409, "BucketNotEmpty"))
        self.assertEqual(error_of(s3.get_bucket_policy, Bucket=b), (404, "NoSuchBucketPolicy"))
        self.assertEqual(error_of(s3.put_bucket_policy, Bucket=b, Policy="{not json"),
                         (400, "MalformedPolicy"))

        wrong = self.server.boto3(secret_key="not-the-secret")
        self.assertEqual(error_of(wrong.list_buckets), (403, "SignatureDoesNotMatch"))
        unknown = self.server.boto3(access_key="nobody", secret_key="x")
        self.assertEqual(error_of(unknown.list_objects_v2, Bucket="api"),
                         (403, "InvalidAccessKeyId"))

    def test_presigned_url(self):
        self.s3.put_object(Bucket="api", Key="presigned.txt", Body=b"shared")
        import boto3
        from botocore.config import Config
        v4 = boto3.client("s3", endpoint_url=self.server.endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(signature_version="s3v4",
                                        s3={"addressing_style": "path"}))
        url = v4.generate_presigned_url("get_object",
                                             Params={"Bucket": "api", "Key": "presigned.txt"},
                                             ExpiresIn=60)
        import urllib.request
        with urllib.request.urlopen(url, timeout=30) as resp:
            self.assertEqual(resp.read(), b"shared")


if __name__ == "__main__":
    unittest.main()
