"""HTTPS end to end: the real binary with --tls-self-signed, the real aws CLI with --ca-bundle
(default checksum settings: over HTTPS botocore sends aws-chunked bodies with a CRC32 trailer,
STREAMING-UNSIGNED-PAYLOAD-TRAILER), boto3 with verify=, plain HTTP beside HTTPS on one port, a
separate TLS listener, TLS fields of delivered access-log records, and start-up errors.

The environment points AWS_CA_BUNDLE / REQUESTS_CA_BUNDLE / SSL_CERT_FILE at the system bundle,
which does not hold the generated certificate: every client here is given it explicitly.
"""
import base64
import filecmp
import http.client
import os
import re
import ssl
import stat
import subprocess
import tempfile
import unittest
import zlib

import access_log
import harness

READY_TLS = re.compile(r"\(and (https://[^ )]+)\).* certificate (\S+)$")
# OpenSSL cipher names: TLS 1.3 "TLS_AES_256_GCM_SHA384", TLS 1.2 "ECDHE-RSA-AES128-GCM-SHA256".
OPENSSL_CIPHER = re.compile(r"TLS_[A-Z0-9_]+|[A-Z0-9]+(-[A-Z0-9]+)+")


class TlsServer(harness.LogbucketServer):
    """A LogbucketServer whose ready line announces an https endpoint and a certificate."""

    def start(self, port=None):
        super().start(port)
        ready = next(line for line in self.output if "ready:" in line).rstrip("\n")
        match = READY_TLS.search(ready)
        if not match:
            raise AssertionError(f"ready line without https endpoint/certificate: {ready}")
        self.ready_line = ready
        self.https_endpoint, self.cert = match.group(1), match.group(2)
        return self

    def client_env(self, *args, **kwargs):
        env = super().client_env(*args, **kwargs)
        # Only the explicit --ca-bundle / verify= may make the certificate trusted.
        for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
            env.pop(name, None)
        return env

    def aws_https(self, *args, check=True):
        cmd = ["aws", "--endpoint-url", self.https_endpoint, "--ca-bundle", self.cert, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, env=self.client_env(),
                                timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def boto3_https(self, verify=None):
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=self.https_endpoint, region_name=harness.REGION,
            aws_access_key_id=harness.ACCESS_KEY, aws_secret_access_key=harness.SECRET_KEY,
            verify=self.cert if verify is None else verify,
            config=Config(s3={"addressing_style": "path"},
                          retries={"max_attempts": 1, "mode": "standard"}))

    def signed_https_get(self, path, max_version=None):
        """A SigV4-signed GET over HTTPS with http.client; returns (status, body, the cipher
        name and TLS version the client negotiated)."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        context = ssl.create_default_context(cafile=self.cert)
        if max_version:
            context.maximum_version = max_version
        host_port = self.https_endpoint.split("://", 1)[1]
        host, port = host_port.rsplit(":", 1)
        request = botocore.awsrequest.AWSRequest(method="GET", url=self.https_endpoint + path)
        credentials = botocore.credentials.Credentials(harness.ACCESS_KEY, harness.SECRET_KEY)
        botocore.auth.S3SigV4Auth(credentials, "s3", harness.REGION).add_auth(request)
        conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=60)
        try:
            conn.request("GET", path, headers=dict(request.headers.items()))
            response = conn.getresponse()
            body = response.read()
            name, version, _ = conn.sock.cipher()
            return response.status, body, name, version
        finally:
            conn.close()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))


class SelfSignedTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TlsServer(["--tls-self-signed", "true"]).start()
        cls.work = tempfile.mkdtemp(prefix="logbucket-tls-")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        import shutil
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_ready_line_names_https_endpoint_and_certificate_in_data_dir(self):
        s = self.server
        self.assertEqual(s.https_endpoint, f"https://127.0.0.1:{s.port}")
        self.assertIn(f"endpoint http://127.0.0.1:{s.port} (and https://", s.ready_line)
        self.assertEqual(s.cert, os.path.join(s.data_dir, "tls", "cert.pem"))
        key = os.path.join(s.data_dir, "tls", "key.pem")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        with open(s.cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.assertIn(b"localhost", der)

    def test_aws_cli_over_https_with_default_trailing_checksums(self):
        s = self.server
        small = os.path.join(self.work, "small.bin")
        big = os.path.join(self.work, "big.bin")
        write_random(small, 100_000)
        write_random(big, 20 * 1024 * 1024)
        s.aws_https("s3", "mb", "s3://tls-cli")
        s.aws_https("s3", "cp", small, "s3://tls-cli/dir/small.bin")
        s.aws_https("s3", "cp", big, "s3://tls-cli/dir/big.bin")  # multipart: 8 MiB parts
        listing = s.aws_https("s3", "ls", "s3://tls-cli/dir/").stdout
        self.assertRegex(listing, r"\b100000 small\.bin")
        self.assertRegex(listing, rf"\b{20 * 1024 * 1024} big\.bin")
        for name in ("small.bin", "big.bin"):
            back = os.path.join(self.work, "back-" + name)
            s.aws_https("s3", "cp", f"s3://tls-cli/dir/{name}", back)
            self.assertTrue(filecmp.cmp(os.path.join(self.work, name), back, shallow=False),
                            name)
        # The CRC32 the CLI sent as an aws-chunked trailer was verified and kept.
        head = s.aws_https("s3api", "head-object", "--bucket", "tls-cli", "--key",
                           "dir/small.bin", "--checksum-mode", "ENABLED", "--output",
                           "json").stdout
        crc = base64.b64encode(zlib.crc32(read_bytes(small)).to_bytes(4, "big")).decode()
        self.assertIn(f'"ChecksumCRC32": "{crc}"', head)
        s.aws_https("s3", "rm", "s3://tls-cli", "--recursive")
        self.assertEqual(s.aws_https("s3", "ls", "s3://tls-cli").stdout.strip(), "")
        s.aws_https("s3", "rb", "s3://tls-cli")

    def test_cli_without_the_ca_bundle_refuses_the_certificate(self):
        s = self.server
        cmd = ["aws", "--endpoint-url", s.https_endpoint, "s3", "ls"]
        env = s.client_env()
        env["AWS_MAX_ATTEMPTS"] = "1"
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", result.stderr)

    def test_boto3_put_and_get_over_https_and_plain_http_on_the_same_port(self):
        s = self.server
        client = s.boto3_https()
        client.create_bucket(Bucket="tls-boto")
        body = os.urandom(300_000)
        client.put_object(Bucket="tls-boto", Key="a/b.bin", Body=body)
        self.assertEqual(client.get_object(Bucket="tls-boto", Key="a/b.bin")["Body"].read(), body)
        # The same object through plain HTTP on the same port.
        plain = s.boto3()
        self.assertEqual(plain.get_object(Bucket="tls-boto", Key="a/b.bin")["Body"].read(), body)
        status, health = s.admin("GET", "/_logbucket/health")
        self.assertEqual((status, health), (200, {"status": "ok"}))

    def test_access_log_records_carry_cipher_and_tls_version(self):
        s = self.server
        client = s.boto3_https()
        client.create_bucket(Bucket="tls-src")
        client.create_bucket(Bucket="tls-logs")
        client.put_bucket_logging(Bucket="tls-src", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "tls-logs", "TargetPrefix": "access/"}})
        client.put_object(Bucket="tls-src", Key="k", Body=b"hello")
        status13, body, cipher13, version13 = s.signed_https_get("/tls-src/k?x-tls13=1")
        self.assertEqual((status13, body), (200, b"hello"))
        status12, _, cipher12, version12 = s.signed_https_get("/tls-src/k?x-tls12=1",
                                                              ssl.TLSVersion.TLSv1_2)
        self.assertEqual((status12, version12), (200, "TLSv1.2"))
        s.boto3().get_object(Bucket="tls-src", Key="k")  # plain HTTP
        s.flush("tls-src")
        objects = s.download_all("tls-logs", "access/")
        records = [r for body in objects.values() for r in access_log.parse_log_object(body)]
        gets = [r for r in records if r.operation == "REST.GET.OBJECT"]
        self.assertEqual(len(gets), 3, [r.line for r in records])
        by_uri = {r.request_uri: r for r in gets}
        r13 = by_uri["GET /tls-src/k?x-tls13=1 HTTP/1.1"]
        r12 = by_uri["GET /tls-src/k?x-tls12=1 HTTP/1.1"]
        plain = by_uri["GET /tls-src/k HTTP/1.1"]
        self.assertEqual((r13.cipher_suite, r13.tls_version), (cipher13, version13))
        self.assertIn(r13.tls_version, ("TLSv1.2", "TLSv1.3"))
        self.assertRegex(r13.cipher_suite, OPENSSL_CIPHER)
        self.assertEqual((r12.cipher_suite, r12.tls_version), (cipher12, "TLSv1.2"))
        self.assertRegex(r12.cipher_suite, r"^ECDHE-RSA-[A-Z0-9-]+$")
        self.assertEqual((plain.cipher_suite, plain.tls_version), ("-", "-"))
        puts = [r for r in records if r.operation == "REST.PUT.OBJECT"]
        self.assertEqual(len(puts), 1)
        self.assertIn(puts[0].tls_version, ("TLSv1.2", "TLSv1.3"))

    def test_certificate_is_reused_after_a_restart(self):
        s = self.server
        before = read_bytes(s.cert)
        s.restart()
        self.assertEqual(read_bytes(s.cert), before)
        client = s.boto3_https()
        self.assertIn("Buckets", client.list_buckets())


class SeparateListenerTest(unittest.TestCase):
    def test_tls_only_listener_beside_plain_http(self):
        tls_port = harness.free_port()
        server = TlsServer(["--tls-self-signed", "--tls-listen", f"127.0.0.1:{tls_port}"])
        try:
            server.start()
            self.assertEqual(server.https_endpoint, f"https://127.0.0.1:{tls_port}")
            server.boto3_https().create_bucket(Bucket="sep")
            self.assertEqual([b["Name"] for b in server.boto3().list_buckets()["Buckets"]],
                             ["sep"])
            # The main port does not speak TLS now.
            context = ssl.create_default_context(cafile=server.cert)
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                               timeout=10)
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                conn.request("GET", "/_logbucket/health")
                conn.getresponse()
            conn.close()
        finally:
            server.cleanup()


class StartupErrorTest(unittest.TestCase):
    def run_binary(self, *args):
        with tempfile.TemporaryDirectory() as data:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBUCKET_")}
            return subprocess.run(
                [harness.BINARY, "--listen", f"127.0.0.1:{harness.free_port()}", "--data-dir",
                 data, *args], capture_output=True, text=True, env=env, timeout=60)

    def make_pair(self, directory, name):
        cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        return cert, key

    def test_missing_certificate_file_is_named(self):
        result = self.run_binary("--tls-cert-file", "/nonexistent/c.pem", "--tls-key-file",
                                 "/nonexistent/k.pem")
        self.assertEqual(result.returncode, 2)
        self.assertIn('tls.cert_file "/nonexistent/c.pem": no such file', result.stderr)

    def test_key_of_another_certificate_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            cert, _ = self.make_pair(d, "one")
            _, other_key = self.make_pair(d, "two")
            result = self.run_binary("--tls-cert-file", cert, "--tls-key-file", other_key)
            self.assertEqual(result.returncode, 1)
            self.assertIn(f'tls.key_file "{other_key}": does not match tls.cert_file "{cert}"',
                          result.stderr)

    def test_configured_certificate_and_key_serve_https(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = self.make_pair(d, "mine")
            server = TlsServer(["--tls-cert-file", cert, "--tls-key-file", key])
            try:
                server.start()
                self.assertEqual(server.cert, cert)
                status, _, _, version = server.signed_https_get("/")
                self.assertEqual(status, 200)
                self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
            finally:
                server.cleanup()


if __name__ == "__main__":
    unittest.main()
