"""Hostile and malformed input, each answered with the error Amazon S3 gives, never a crash or a
hang: oversized and too many headers, CR/LF injection, lying Content-Length, bad chunked and
aws-chunked framing, invalid percent-encoding and UTF-8, long keys, bad bucket names, odd ranges,
XML bombs, huge DeleteObjects lists, slowloris, thousands of connections, tampered and expired
presigned URLs, and keys that try to climb out of the data directory. After every case the
server must still answer."""
import base64
import datetime
import hashlib
import hmac
import os
import re
import shutil
import socket
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

from botocore.exceptions import ClientError

from harness import ACCESS_KEY, REGION, SECRET_KEY, LogbucketServer, wait_until

TIMEOUT_ARGS = ["--server-read-timeout", "2s", "--server-idle-timeout", "2s"]
BUCKET = "hostile"
BODY = bytes(range(256)) * 4  # 1 KiB object used by the range and traversal cases


def error_code(body):
    match = re.search(rb"<Code>([^<]*)</Code>", body)
    return match.group(1).decode() if match else None


def read_response(sock, timeout=10.0):
    """Reads one HTTP/1.1 response from `sock`: (status, {lower-case header: value}, body).
    Returns None when the server closes the connection before sending a status line."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def closed_within(sock, seconds):
    """True when the server closes `sock` (EOF or reset) within `seconds`; any response bytes
    sent before closing are skipped."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def sign_v4(method, path, query, headers, payload_hash, now):
    """SigV4 header signature of a path-style request; returns (authorization, signature)."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{now:%Y%m%d}/{REGION}/s3/aws4_request"
    names = sorted(k.lower() for k in headers)
    canonical_headers = "".join(f"{k.lower()}:{str(v).strip()}\n"
                                for k, v in sorted(headers.items(), key=lambda i: i[0].lower()))
    # S3 signs the decoded path encoded once more (unreserved characters such as '.' bare).
    canonical_path = urllib.parse.quote(urllib.parse.unquote(path), safe="/~")
    canonical = "\n".join([method, canonical_path, query, canonical_headers, ";".join(names),
                           payload_hash])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET_KEY).encode()
    for part in (f"{now:%Y%m%d}", REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = (f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return auth, signature, key, scope, amz_date


def chunk_signature(key, scope, amz_date, previous, data):
    to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                         hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class HostileInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.parent = tempfile.mkdtemp(prefix="logbucket-hostile-")
        cls.server = LogbucketServer(TIMEOUT_ARGS, data_dir=os.path.join(cls.parent, "data"))
        cls.server.start()
        cls.s3 = cls.server.boto3()
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.s3.put_object(Bucket=BUCKET, Key="obj", Body=BODY)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.parent, ignore_errors=True)

    def tearDown(self):
        self.assertIsNone(self.server.proc.poll(),
                          "server died:\n" + "".join(self.server.output[-30:]))
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="obj")["Body"].read(), BODY)

    # --- helpers -------------------------------------------------------------------------------
    def connect(self):
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=10)

    def raw(self, data, timeout=10.0):
        with self.connect() as sock:
            sock.sendall(data)
            return read_response(sock, timeout)

    def assert_error(self, response, status, code):
        self.assertIsNotNone(response, "connection closed without an answer")
        got_status, headers, body = response
        self.assertEqual((got_status, error_code(body)), (status, code), body[:500])
        self.assertIn("application/xml", headers.get("content-type", ""))

    def signed(self, method, path, body=b"", headers=None):
        status, headers, body = self.server.signed_request(method, path, body, headers)
        return status, headers, body

    def client_error(self, call, **kwargs):
        with self.assertRaises(ClientError) as ctx:
            call(**kwargs)
        response = ctx.exception.response
        return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]

    def host(self):
        return f"127.0.0.1:{self.server.port}"

    # --- wire-level cases ----------------------------------------------------------------------
    def test_oversized_request_line(self):
        request = (f"GET /{BUCKET}/{'a' * 20000} HTTP/1.1\r\nHost: {self.host()}\r\n\r\n").encode()
        self.assert_error(self.raw(request), 400, "RequestHeaderSectionTooLarge")

    def test_oversized_header(self):
        request = (f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: {self.host()}\r\n"
                   f"X-Large: {'a' * 20000}\r\n\r\n").encode()
        self.assert_error(self.raw(request), 400, "RequestHeaderSectionTooLarge")

    def test_too_many_headers(self):
        many = "".join(f"X-H-{i}: {i}\r\n" for i in range(3000))
        request = f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: {self.host()}\r\n{many}\r\n".encode()
        self.assert_error(self.raw(request), 400, "RequestHeaderSectionTooLarge")

    def test_many_small_headers_within_the_limit_are_served(self):
        many = "".join(f"X-H-{i}: {i}\r\n" for i in range(300))
        request = f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: {self.host()}\r\n{many}\r\n".encode()
        self.assert_error(self.raw(request), 403, "AccessDenied")  # anonymous, private bucket

    def test_cr_lf_injection_in_metadata(self):
        for injected in (b"x-amz-meta-a: one\rX-Injected: yes", b"x-amz-meta-a: one\nX-Injected: y",
                         b"x-amz-meta-a: one\x00two", b"x-amz-meta-a: one\x7fX-Injected: y"):
            with self.subTest(injected=injected):
                request = (f"PUT /{BUCKET}/injected HTTP/1.1\r\nHost: {self.host()}\r\n"
                           f"Content-Length: 0\r\n").encode() + injected + b"\r\n\r\n"
                response = self.raw(request)
                self.assertIsNotNone(response)
                self.assertEqual(response[0], 400, response)
                self.assertNotIn("x-injected", response[1])
        # An obs-fold continuation line may be rejected or joined with a space (RFC 9112 5.2);
        # either way it never becomes a header of its own.
        request = (f"PUT /{BUCKET}/injected HTTP/1.1\r\nHost: {self.host()}\r\n"
                   f"Content-Length: 0\r\nx-amz-meta-a: one\r\n X-Injected: yes\r\n\r\n").encode()
        response = self.raw(request)
        self.assertIn(response[0], (400, 403), response)  # 403: anonymous PUT, private bucket
        self.assertNotIn("x-injected", response[1])
        code = self.client_error(self.s3.head_object, Bucket=BUCKET, Key="injected")
        self.assertEqual(code, (404, "404"))

    def unsigned_payload_put(self, key, content_length):
        """The header block of a SigV4-signed PUT of `key` with an unsigned payload."""
        now = datetime.datetime.now(datetime.timezone.utc)
        headers = {"host": self.host(), "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
                   "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                   "content-length": str(content_length)}
        auth = sign_v4("PUT", f"/{BUCKET}/{key}", "", headers, "UNSIGNED-PAYLOAD", now)[0]
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"PUT /{BUCKET}/{key} HTTP/1.1\r\n{head}Authorization: {auth}\r\n\r\n".encode()

    def test_content_length_shorter_than_body(self):
        # The extra bytes are the start of the next request: the object holds exactly
        # Content-Length bytes and the garbage that follows is answered 400 or dropped.
        with self.connect() as sock:
            sock.sendall(self.unsigned_payload_put("short", 5) + b"12345GARBAGE\r\n\r\n")
            first = read_response(sock)
            self.assertIsNotNone(first)
            self.assertEqual(first[0], 200, first)
            second = read_response(sock)
            self.assertTrue(second is None or second[0] == 400, second)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="short")["Body"].read(), b"12345")

    def test_content_length_longer_than_body_times_out(self):
        with self.connect() as sock:
            sock.sendall(self.unsigned_payload_put("long", 1000) + b"x" * 500)
            started = time.monotonic()
            response = read_response(sock, timeout=10)
            self.assertLess(time.monotonic() - started, 8)
        self.assert_error(response, 400, "RequestTimeout")
        self.assertEqual(self.client_error(self.s3.head_object, Bucket=BUCKET, Key="long"),
                         (404, "404"))

    def test_truncated_upload_stores_nothing(self):
        with self.connect() as sock:
            sock.sendall(self.unsigned_payload_put("truncated", 100000) + b"y" * 50000)
            sock.shutdown(socket.SHUT_WR)
            read_response(sock)  # whatever is answered, if anything, before the close
        wait_until(lambda: self.server.admin("GET", "/_logbucket/health")[0] == 200)
        self.assertEqual(self.client_error(self.s3.head_object, Bucket=BUCKET, Key="truncated"),
                         (404, "404"))

    def test_transfer_encoding_chunked_with_bad_sizes(self):
        for framing in (b"zz\r\nabc\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n",
                        b"ffffffffffffffffff\r\nab\r\n", b"-1\r\nab\r\n0\r\n\r\n"):
            with self.subTest(framing=framing):
                request = (f"PUT /{BUCKET}/te HTTP/1.1\r\nHost: {self.host()}\r\n"
                           f"Transfer-Encoding: chunked\r\n\r\n").encode() + framing
                with self.connect() as sock:
                    sock.sendall(request)
                    response = read_response(sock)
                    self.assertTrue(response is None or 400 <= response[0] < 500, response)
                    self.assertTrue(closed_within(sock, 5), "left open after bad framing")

    def aws_chunked_put(self, key, chunks, tamper=False):
        """PUT `key` as signed aws-chunked; `chunks` are (size field text, data) pairs."""
        now = datetime.datetime.now(datetime.timezone.utc)
        payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        decoded = sum(len(data) for _, data in chunks)
        headers = {"host": self.host(), "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
                   "x-amz-content-sha256": payload, "content-encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(decoded)}
        auth, previous, key_bytes, scope, amz_date = sign_v4("PUT", f"/{BUCKET}/{key}", "",
                                                             headers, payload, now)
        body = b""
        for size, data in chunks:
            # A wrong but well-formed size is signed over what it claims, so that only the
            # framing is wrong.
            claimed = int(size, 16) if re.fullmatch(r"[0-9a-f]{1,8}", size) else len(data)
            signature = chunk_signature(key_bytes, scope, amz_date, previous, data[:claimed])
            previous = signature
            if tamper and data:
                signature = ("0" if signature[0] != "0" else "1") + signature[1:]
            body += f"{size};chunk-signature={signature}\r\n".encode() + data + b"\r\n"
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (f"PUT /{BUCKET}/{key} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n"
                   f"Authorization: {auth}\r\n\r\n").encode() + body
        return self.raw(request)

    def test_aws_chunked_good_framing_is_accepted(self):
        data = b"q" * 9000
        response = self.aws_chunked_put("chunked-ok", [("2328", data), ("0", b"")])
        self.assertEqual(response[0], 200, response)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="chunked-ok")["Body"].read(), data)

    def test_aws_chunked_bad_sizes(self):
        data = b"q" * 9000
        for size in ("zz", "2327", "-1", "ffffffffffffffffffff", ""):
            with self.subTest(size=size):
                response = self.aws_chunked_put("chunked-bad", [(size, data), ("0", b"")])
                self.assert_error(response, 400, "IncompleteBody")
        self.assertEqual(self.client_error(self.s3.head_object, Bucket=BUCKET, Key="chunked-bad"),
                         (404, "404"))

    def test_aws_chunked_bad_chunk_signature(self):
        response = self.aws_chunked_put("chunked-sig", [("2328", b"q" * 9000), ("0", b"")],
                                        tamper=True)
        self.assert_error(response, 403, "SignatureDoesNotMatch")
        self.assertEqual(self.client_error(self.s3.head_object, Bucket=BUCKET, Key="chunked-sig"),
                         (404, "404"))

    def test_slowloris_idle_connection_is_closed(self):
        with self.connect() as sock:
            self.assertTrue(closed_within(sock, 6), "idle connection still open after 6s")

    def test_slowloris_trickled_header_is_cut(self):
        request = f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: {self.host()}\r\nX-Slow: " + "a" * 200
        with self.connect() as sock:
            started = time.monotonic()
            closed = False
            for byte in request.encode():
                try:
                    sock.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if closed_within(sock, 0.25):
                    closed = True
                    break
                if time.monotonic() - started > 12:
                    break
            self.assertTrue(closed, "a header trickled one byte per 250ms was never cut")
            self.assertLess(time.monotonic() - started, 8)

    def test_slowloris_trickled_body_is_cut(self):
        with self.connect() as sock:
            sock.sendall(self.unsigned_payload_put("trickle", 100))
            started = time.monotonic()
            closed = False
            for _ in range(100):
                try:
                    sock.sendall(b"z")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if closed_within(sock, 0.25):
                    closed = True
                    break
            self.assertTrue(closed, "a body trickled one byte per 250ms was never cut")
            self.assertLess(time.monotonic() - started, 8)
        self.assertEqual(self.client_error(self.s3.head_object, Bucket=BUCKET, Key="trickle"),
                         (404, "404"))

    def test_thousands_of_concurrent_connections(self):
        def rss_kib():
            with open(f"/proc/{self.server.proc.pid}/status") as f:
                return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))

        before = rss_kib()
        sockets = []
        try:
            for i in range(2500):
                sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                if i % 2:  # half send a partial header, half stay silent
                    sock.sendall(f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: x\r\n".encode())
                sockets.append(sock)
            status, _ = self.server.admin("GET", "/_logbucket/health", timeout=10)
            self.assertEqual(status, 200)
            self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="obj")["Body"].read(), BODY)
            grown = rss_kib() - before
            self.assertLess(grown, 256 * 1024, f"RSS grew by {grown} KiB for 2500 connections")
        finally:
            for sock in sockets:
                sock.close()

    # --- S3-level cases ------------------------------------------------------------------------
    def test_invalid_percent_encoding(self):
        for path in (f"/{BUCKET}/a%zz", f"/{BUCKET}/a%2", f"/{BUCKET}/%"):
            with self.subTest(path=path):
                status, _, body = self.signed("GET", path)
                self.assertEqual((status, error_code(body)), (400, "InvalidURI"), body)

    def test_invalid_utf8_key(self):
        for path in (f"/{BUCKET}/%FF%FE", f"/{BUCKET}/a%C0%AF", f"/{BUCKET}/%E2%82"):
            with self.subTest(path=path):
                status, _, body = self.signed("PUT", path, b"x")
                self.assertEqual((status, error_code(body)), (400, "InvalidURI"), body)

    def test_key_over_1024_bytes(self):
        self.assertEqual(self.client_error(self.s3.put_object, Bucket=BUCKET, Key="k" * 1025,
                                           Body=b"x"), (400, "KeyTooLongError"))
        self.assertEqual(self.client_error(self.s3.put_object, Bucket=BUCKET, Key="é" * 513,
                                           Body=b"x"), (400, "KeyTooLongError"))
        self.s3.put_object(Bucket=BUCKET, Key="k" * 1024, Body=b"x")
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="k" * 1024)["Body"].read(), b"x")

    def test_bad_bucket_names(self):
        for name in ("ab", "a" * 64, "UpperCase", "-leading", "trailing-", "a..b", "a.-b",
                     "192.168.1.1", "xn--punycode", "bucket-s3alias", "bucket--ol-s3",
                     "under_score", "sthree-bucket", "amzn-s3-demo-x-"):
            with self.subTest(name=name):
                status, _, body = self.signed("PUT", f"/{urllib.parse.quote(name)}")
                self.assertEqual((status, error_code(body)), (400, "InvalidBucketName"), body)

    def ranged(self, value):
        return self.signed("GET", f"/{BUCKET}/obj", headers={"Range": value})

    def test_unsatisfiable_ranges(self):
        for value in ("bytes=-0", "bytes=1024-", "bytes=5000-6000"):
            with self.subTest(range=value):
                status, headers, body = self.ranged(value)
                self.assertEqual((status, error_code(body)), (416, "InvalidRange"), body)

    def test_invalid_and_multiple_ranges_return_the_whole_object(self):
        for value in ("bytes=5-2", "bytes=0-1,3-4", "bytes=abc", "items=0-1"):
            with self.subTest(range=value):
                status, headers, body = self.ranged(value)
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(body, BODY)
                self.assertNotIn("content-range", headers)

    def test_xml_bomb_is_malformed_xml(self):
        entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'
                                               for i in range(1, 10)]
        bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [' + "".join(entities)
                + ']><Delete><Object><Key>&lol9;</Key></Object></Delete>').encode()
        started = time.monotonic()
        status, _, body = self.signed("POST", f"/{BUCKET}?delete", bomb,
                                      {"Content-MD5": md5_b64(bomb)})
        self.assertEqual((status, error_code(body)), (400, "MalformedXML"), body)
        self.assertLess(time.monotonic() - started, 5)

    def test_deeply_nested_xml_is_malformed_xml(self):
        deep = ("<Delete>" + "<Object>" * 10000 + "</Object>" * 10000 + "</Delete>").encode()
        status, _, body = self.signed("POST", f"/{BUCKET}?delete", deep,
                                      {"Content-MD5": md5_b64(deep)})
        self.assertEqual((status, error_code(body)), (400, "MalformedXML"), body)
        logging_doc = ('<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                       + "<LoggingEnabled>" * 10000 + "</LoggingEnabled>" * 10000
                       + "</BucketLoggingStatus>").encode()
        status, _, body = self.signed("PUT", f"/{BUCKET}?logging", logging_doc,
                                      {"Content-MD5": md5_b64(logging_doc)})
        self.assertEqual((status, error_code(body)), (400, "MalformedXML"), body)

    def test_delete_objects_with_1001_keys(self):
        objects = [{"Key": f"d{i}"} for i in range(1001)]
        self.assertEqual(self.client_error(self.s3.delete_objects, Bucket=BUCKET,
                                           Delete={"Objects": objects}), (400, "MalformedXML"))
        result = self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": objects[:1000]})
        self.assertEqual(len(result["Deleted"]), 1000)

    def presign(self, version, expires):
        import boto3
        from botocore.config import Config
        client = boto3.client("s3", endpoint_url=self.server.endpoint, region_name=REGION,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              config=Config(signature_version=version,
                                            s3={"addressing_style": "path"}))
        return client.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "obj"}, ExpiresIn=expires)

    def test_tampered_presigned_urls(self):
        v4 = self.presign("s3v4", 60)
        v2 = self.presign("s3", 60)
        for url in (v4, v2):
            with urllib.request.urlopen(url, timeout=10) as resp:
                self.assertEqual(resp.read(), BODY)
        flip = lambda m: m.group(1) + ("1" if m.group(2) == "0" else "0")
        tampered = [v4.replace("/obj?", "/obj2?"),
                    re.sub(r"(X-Amz-Signature=)([0-9a-f])", flip, v4),
                    v4.replace("X-Amz-Expires=60", "X-Amz-Expires=600"),
                    v4 + "&extra=1",
                    v2.replace("/obj?", "/obj2?"),
                    re.sub(r"(Expires=)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1),
                           v2)]
        for url in tampered:
            with self.subTest(url=url):
                self.assertEqual(http_error(url), (403, "SignatureDoesNotMatch"))

    def test_expired_presigned_urls(self):
        for version in ("s3v4", "s3"):
            with self.subTest(version=version):
                url = self.presign(version, 1)
                wait_until(lambda: http_error(url) != (200, None), timeout=10, interval=0.25,
                           what="the presigned URL to expire")
                self.assertEqual(http_error(url), (403, "AccessDenied"))

    def test_path_traversal_keys_stay_inside_the_data_dir(self):
        marker = f"lb-traversal-{uuid.uuid4().hex}"
        keys = [f"../../../../../../../../tmp/{marker}", f"..%2F..%2F{marker}", f"./../{marker}",
                f"a/../../{marker}", f"/../{marker}", f"..\\..\\{marker}", "..", "."]
        for key in keys:
            with self.subTest(key=key):
                self.s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
                self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
                                 key.encode())
        listed = {o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        self.assertTrue(set(keys) <= listed, set(keys) - listed)
        self.assertEqual(os.listdir(self.parent), ["data"])
        self.assertFalse(os.path.exists(f"/tmp/{marker}"))
        for root, _, files in os.walk(self.parent):
            self.assertFalse([f for f in files if marker in f], root)
        for path in (f"/{BUCKET}/../../{marker}", f"/{BUCKET}/%2E%2E/%2E%2E/{marker}",
                     f"/../../{marker}"):
            now = datetime.datetime.now(datetime.timezone.utc)
            headers = {"host": self.host(), "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
                       "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": "3"}
            auth = sign_v4("PUT", path, "", headers, "UNSIGNED-PAYLOAD", now)[0]
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            response = self.raw(f"PUT {path} HTTP/1.1\r\n{head}Authorization: {auth}\r\n\r\nraw"
                                .encode())
            self.assertIn(response[0], (200, 400, 404), response)
        self.assertFalse(os.path.exists(f"/tmp/{marker}"))
        self.assertEqual(os.listdir(self.parent), ["data"])


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def http_error(url):
    """(status, S3 error code) of GET `url`; (200, None) on success."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            resp.read()
            return resp.status, None
    except urllib.error.HTTPError as e:
        return e.code, error_code(e.read())


class DataDirTraversal(unittest.TestCase):
    def test_data_dir_with_dot_dot_components_is_used_as_given(self):
        parent = tempfile.mkdtemp(prefix="logbucket-datadir-")
        try:
            os.mkdir(os.path.join(parent, "sub"))
            server = LogbucketServer(data_dir=os.path.join(parent, "sub", "..", "real"))
            server.start()
            try:
                server.boto3().create_bucket(Bucket="dotdot")
                self.assertEqual(sorted(os.listdir(parent)), ["real", "sub"])
                self.assertEqual(os.listdir(os.path.join(parent, "sub")), [])
            finally:
                server.cleanup()
        finally:
            shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
