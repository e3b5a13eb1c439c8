#!/usr/bin/env python3
"""Writes the routing fuzzer's seed corpus (tests/fuzz/corpus/routing/) from the requests the s3
unit tests send (tests/unit/s3/service_*_test.cc), in routing_fuzz.cc's input format: per request
a flags byte, "METHOD TARGET", header lines, a blank line and the body; requests separated by
"\\n%%\\n". Most seeds are signed by the fuzzer with the test key and verified, so the mutations
start from requests that reach the operations. Re-run after changing the scenarios:
    tests/fuzz/make_routing_seeds.py
Old seeds are removed first; file names are the SHA-1 of the content (as libFuzzer names them).
"""
import hashlib
import pathlib

# Flags (routing_fuzz.cc): bits 0-1 auth (0 as written, 1 SigV4 header, 2 presigned,
# 3 signed aws-chunked), bit 2 verify, bit 3 UNSIGNED-PAYLOAD, bit 4 no Content-Length,
# bits 5-7 chunk and piece size.
AS_WRITTEN, SIGNED, PRESIGNED, CHUNKED = 0, 1, 2, 3
VERIFY, UNSIGNED_PAYLOAD, NO_LENGTH = 4, 8, 16
S = SIGNED | VERIFY

LOGGING = ('<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01"><LoggingEnabled>'
           '<TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix>'
           '<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime'
           '</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>'
           '</LoggingEnabled></BucketLoggingStatus>')
ACL = ('<AccessControlPolicy><Owner><ID>' + 'a' * 64 + '</ID></Owner><AccessControlList>'
       '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
       'xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>'
       '<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>')
POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",'
          '"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}]}')
DELETE = ('<Delete><Quiet>false</Quiet><Object><Key>k</Key></Object>'
          '<Object><Key>a/b</Key><VersionId>null</VersionId></Object></Delete>')
OWNERSHIP = ('<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>'
             '</Rule></OwnershipControls>')
LOCATION = ('<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            '<LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>')
VERSIONING = ('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
              '<Status>Enabled</Status></VersioningConfiguration>')
ENCRYPTION = ('<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>'
              '<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>'
              '</Rule></ServerSideEncryptionConfiguration>')
LIFECYCLE = ('<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>tmp/</Prefix></Filter>'
             '<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>'
             '<AbortIncompleteMultipartUpload><DaysAfterInitiation>1'
             '</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>'
             '</LifecycleConfiguration>')


def md5(body):
    import base64
    return base64.b64encode(hashlib.md5(body.encode()).digest()).decode()


def req(flags, method, target, headers=(), body=''):
    out = bytes([flags]) + f'{method} {target}\n'.encode()
    for name, value in headers:
        out += f'{name}: {value}\n'.encode()
    return out + b'\n' + body.encode()


def seq(*requests):
    return b'\n%%\n'.join(requests)


MAKE_B = req(S, 'PUT', '/b')
PUT_K = req(S, 'PUT', '/b/k', [('Content-Type', 'text/plain'), ('x-amz-meta-a', '1')], 'hello')

SEEDS = [
    # service_bucket_test / routing: create, head, list, delete; names; location.
    seq(MAKE_B, req(S, 'HEAD', '/b'), req(S, 'GET', '/'), req(S, 'DELETE', '/b')),
    seq(req(S, 'PUT', '/b', body=LOCATION), req(S, 'GET', '/b?location')),
    req(S, 'PUT', '/Bad_Name'),
    req(S, 'PUT', '/b', body='<CreateBucketConfiguration><LocationConstraint>'),
    seq(MAKE_B, PUT_K, req(S, 'DELETE', '/b')),
    # service_object_test: put/get/head with metadata, ranges, conditionals, odd keys.
    seq(MAKE_B, PUT_K, req(S, 'GET', '/b/k'), req(S, 'HEAD', '/b/k')),
    seq(MAKE_B, PUT_K, req(S, 'GET', '/b/k', [('Range', 'bytes=1-3')]),
        req(S, 'GET', '/b/k', [('Range', 'bytes=-2')]),
        req(S, 'GET', '/b/k', [('Range', 'bytes=5000-6000')])),
    seq(MAKE_B, PUT_K, req(S, 'GET', '/b/k', [('If-None-Match', '"5d41402abc4b2a76b9719d911017c592"')]),
        req(S, 'GET', '/b/k', [('If-Modified-Since', 'Sat, 01 Jan 2000 00:00:00 GMT')]),
        req(S, 'PUT', '/b/k', [('If-None-Match', '*')], 'again')),
    seq(MAKE_B, req(S, 'PUT', '/b/k', [('Content-MD5', md5('hello'))], 'hello'),
        req(S, 'PUT', '/b/k', [('Content-MD5', md5('other'))], 'hello')),
    seq(MAKE_B, req(S, 'PUT', '/b/k', [('x-amz-checksum-crc32', 'NhCmhg==')], 'hello'),
        req(S, 'PUT', '/b/k', [('x-amz-checksum-sha256', 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=')], 'hello')),
    seq(MAKE_B, req(S, 'PUT', '/b/a%20b/..%2Fc/%E2%82%AC', body='x'),
        req(S, 'GET', '/b/a%20b/..%2Fc/%E2%82%AC'), req(S, 'GET', '/b/a%zz')),
    seq(MAKE_B, PUT_K, req(S, 'GET', '/b/k?response-content-type=a%2Fb&response-cache-control=no'
                           '&response-content-disposition=attachment')),
    seq(MAKE_B, req(S, 'PUT', '/b/k', [('x-amz-storage-class', 'GLACIER')], 'x'),
        req(S, 'PUT', '/b/k', [('x-amz-meta-' + 'm' * 40, 'v' * 300)], 'x')),
    seq(MAKE_B, PUT_K, req(S, 'GET', '/b/k?partNumber=1'), req(S, 'DELETE', '/b/k'),
        req(S, 'DELETE', '/b/k')),
    req(S, 'PUT', '/b/' + 'k' * 1025, body='x'),
    seq(MAKE_B, req(S | NO_LENGTH, 'PUT', '/b/k', body='x')),
    # Copy: metadata directive, odd source keys, errors.
    seq(MAKE_B, PUT_K, req(S, 'PUT', '/b/c', [('x-amz-copy-source', '/b/k')]),
        req(S, 'PUT', '/b/d', [('x-amz-copy-source', 'b/k'), ('x-amz-metadata-directive', 'REPLACE'),
                               ('Content-Type', 'a/b')]),
        req(S, 'PUT', '/b/e', [('x-amz-copy-source', '/b/missing')]),
        req(S, 'PUT', '/b/k', [('x-amz-copy-source', '/b/k')])),
    # aws-chunked bodies: signed chunks, unsigned trailer, tampered.
    seq(MAKE_B, req(CHUNKED | VERIFY | (1 << 5), 'PUT', '/b/k', body='hello world ' * 200),
        req(S, 'GET', '/b/k')),
    seq(MAKE_B, req(CHUNKED | VERIFY, 'PUT', '/b/k', [('Content-Encoding', 'gzip')], 'hello')),
    seq(MAKE_B, req(SIGNED | VERIFY, 'PUT', '/b/k',
                    [('Content-Encoding', 'aws-chunked'), ('x-amz-decoded-content-length', '5'),
                     ('x-amz-trailer', 'x-amz-checksum-crc32'),
                     ('x-amz-sdk-checksum-algorithm', 'CRC32')],
                    '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n')),
    req(AS_WRITTEN | VERIFY, 'PUT', '/b/k',
        [('Content-Encoding', 'aws-chunked'), ('x-amz-decoded-content-length', '5'),
         ('x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')],
        '5;chunk-signature=' + '0' * 64 + '\r\nhello\r\n0;chunk-signature=' + '0' * 64 + '\r\n\r\n'),
    # Listing: v1 and v2, delimiter, prefix, continuation, encoding-type, invalid parameters.
    seq(MAKE_B, req(S, 'PUT', '/b/a/1', body='1'), req(S, 'PUT', '/b/a/2', body='2'),
        req(S, 'PUT', '/b/c', body='3'),
        req(S, 'GET', '/b?list-type=2&delimiter=%2F&max-keys=1'),
        req(S, 'GET', '/b?list-type=2&prefix=a%2F&start-after=a%2F1&encoding-type=url'),
        req(S, 'GET', '/b?marker=a&max-keys=2&delimiter=%2F'),
        req(S, 'GET', '/b?list-type=2&continuation-token=xyz'),
        req(S, 'GET', '/b?max-keys=-1')),
    seq(MAKE_B, req(S, 'GET', '/b?versions&prefix=a'), req(S, 'GET', '/b?list-type=3')),
    # DeleteObjects.
    seq(MAKE_B, PUT_K, req(S, 'POST', '/b?delete', [('Content-MD5', md5(DELETE))], DELETE),
        req(S, 'POST', '/b?delete', body=DELETE),
        req(S, 'POST', '/b?delete', [('Content-MD5', md5('<Delete>'))], '<Delete>')),
    # Multipart: create, parts, list, complete, abort, copy part, errors.
    seq(MAKE_B, req(S, 'POST', '/b/m?uploads'),
        req(S, 'PUT', '/b/m?partNumber=1&uploadId=0000000000000001', body='p' * 100),
        req(S, 'GET', '/b/m?uploadId=0000000000000001&max-parts=1'),
        req(S, 'GET', '/b?uploads&prefix=m&delimiter=%2F&max-uploads=1'),
        req(S, 'POST', '/b/m?uploadId=0000000000000001',
            body='<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>'
                 '<ETag>"x"</ETag></Part></CompleteMultipartUpload>'),
        req(S, 'DELETE', '/b/m?uploadId=0000000000000001')),
    seq(MAKE_B, PUT_K, req(S, 'POST', '/b/m?uploads'),
        req(S, 'PUT', '/b/m?partNumber=2&uploadId=1',
            [('x-amz-copy-source', '/b/k'), ('x-amz-copy-source-range', 'bytes=0-2')]),
        req(S, 'PUT', '/b/m?partNumber=10001&uploadId=1', body='x'),
        req(S, 'POST', '/b/m?uploadId=1', body='<CompleteMultipartUpload>')),
    # ACLs, ownership controls, policies.
    seq(MAKE_B, PUT_K, req(S, 'PUT', '/b/k?acl', [('x-amz-acl', 'public-read')]),
        req(S, 'GET', '/b/k?acl'), req(S, 'PUT', '/b?acl', body=ACL), req(S, 'GET', '/b?acl'),
        req(VERIFY, 'GET', '/b/k')),
    seq(MAKE_B, req(S, 'PUT', '/b?acl', [('x-amz-grant-read', 'uri="http://acs.amazonaws.com/groups/global/AllUsers", id="' + 'a' * 64 + '"')])),
    seq(req(S, 'PUT', '/b', [('x-amz-object-ownership', 'ObjectWriter')]),
        req(S, 'PUT', '/b?ownershipControls', [('Content-MD5', md5(OWNERSHIP))], OWNERSHIP),
        req(S, 'GET', '/b?ownershipControls'), req(S, 'DELETE', '/b?ownershipControls')),
    seq(MAKE_B, req(S, 'PUT', '/b?policy', body=POLICY), req(S, 'GET', '/b?policy'),
        req(S, 'PUT', '/b?policy', body='{"Version":'), req(S, 'DELETE', '/b?policy')),
    # Logging configuration.
    seq(req(S, 'PUT', '/logs', [('x-amz-object-ownership', 'BucketOwnerPreferred')]), MAKE_B,
        req(S, 'PUT', '/b?logging', [('Content-MD5', md5(LOGGING))], LOGGING),
        req(S, 'GET', '/b?logging'), PUT_K,
        req(S, 'POST', '/_logbucket/flush?bucket=b')),
    seq(MAKE_B, req(S, 'PUT', '/b?logging', body=LOGGING),
        req(S, 'PUT', '/b?logging', [('Content-MD5', md5('<BucketLoggingStatus/>'))],
            '<BucketLoggingStatus/>')),
    # Versioning, encryption and lifecycle configurations (as they land).
    seq(MAKE_B, req(S, 'PUT', '/b?versioning', body=VERSIONING), req(S, 'GET', '/b?versioning'),
        PUT_K, PUT_K, req(S, 'GET', '/b?versions'), req(S, 'GET', '/b/k?versionId=null'),
        req(S, 'DELETE', '/b/k'), req(S, 'GET', '/b?versions&key-marker=k&max-keys=1')),
    seq(MAKE_B, req(S, 'PUT', '/b?encryption', [('Content-MD5', md5(ENCRYPTION))], ENCRYPTION),
        req(S, 'GET', '/b?encryption'), PUT_K,
        req(S, 'PUT', '/b/s', [('x-amz-server-side-encryption', 'AES256')], 'secret'),
        req(S, 'GET', '/b/s'), req(S, 'DELETE', '/b?encryption')),
    seq(MAKE_B, req(S, 'PUT', '/b?lifecycle', [('Content-MD5', md5(LIFECYCLE))], LIFECYCLE),
        req(S, 'GET', '/b?lifecycle'), req(S, 'DELETE', '/b?lifecycle')),
    # Authentication: presigned, anonymous, bad signatures, SigV2, clock skew, expected owner.
    seq(MAKE_B, PUT_K, req(PRESIGNED | VERIFY, 'GET', '/b/k'),
        req(PRESIGNED | VERIFY, 'PUT', '/b/p', body='presigned')),
    seq(MAKE_B, req(VERIFY, 'GET', '/b/k'), req(VERIFY, 'GET', '/')),
    req(VERIFY, 'GET', '/b/k', [('Authorization', 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0' * 64),
                                ('x-amz-date', '20240101T000000Z'), ('x-amz-content-sha256', 'UNSIGNED-PAYLOAD')]),
    req(VERIFY, 'GET', '/b/k', [('Authorization', 'AWS test:bm90IGEgc2lnbmF0dXJl'),
                                ('Date', 'Mon, 01 Jan 2024 00:00:00 GMT')]),
    req(VERIFY, 'GET', '/b/k?AWSAccessKeyId=test&Expires=1&Signature=x'),
    req(VERIFY, 'GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request'
        '&X-Amz-Date=20240101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=' + '0' * 64),
    seq(MAKE_B, req(S, 'GET', '/b', [('x-amz-expected-bucket-owner', '111111111111')])),
    seq(MAKE_B, req(S | UNSIGNED_PAYLOAD, 'PUT', '/b/k', body='unsigned')),
    # Virtual-hosted addressing, unknown methods, the flush endpoint, accept-any mode.
    seq(MAKE_B, req(S, 'PUT', '/k', [('Host', 'b.localhost:9000')], 'vhost'),
        req(S, 'GET', '/k', [('Host', 'b.localhost:9000')]),
        req(S, 'GET', '/', [('Host', 'localhost:9000')])),
    seq(MAKE_B, req(S, 'PATCH', '/b/k'), req(S, 'OPTIONS', '/b'), req(S, 'GET', '/b/k?torrent')),
    seq(req(AS_WRITTEN, 'PUT', '/anon'), req(AS_WRITTEN, 'PUT', '/anon/k', body='x'),
        req(AS_WRITTEN, 'GET', '/anon?list-type=2')),
    req(S, 'PUT', '/b/k', [('Content-Length', '6000000000')]),
]


def main():
    out = pathlib.Path(__file__).resolve().parent / 'corpus' / 'routing'
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for seed in SEEDS:
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f'{len(SEEDS)} seeds in {out}')


if __name__ == '__main__':
    main()
