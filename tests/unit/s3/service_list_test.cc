// s3::Service: ListObjects v1/v2 (prefix, delimiter, max-keys, continuation, start-after,
// encoding-type=url) over odd keys, DeleteObjects and CopyObject with their extra log records.
#include <gtest/gtest.h>

#include <set>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

// In UTF-8 byte order.
const std::vector<std::string> kKeys = {
    "../../etc/passwd",
    "100%",
    "a",
    "a/b",
    "a/b/c",
    "a/c",
    "b",
    "plus+sign",
    "sp ace",
    "x&y<z>",
    "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/\xe6\x97\xa5\xe6\x9c\xac.txt"};  // ключ/日本.txt

// What botocore does with encoding-type=url values: '+' is a space, then percent-decoding.
std::string FormDecode(std::string s) {
  std::replace(s.begin(), s.end(), '+', ' ');
  return sigv4::UriDecode(s).value_or("<undecodable:" + s + ">");
}

class ListTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("lbk");
    for (const auto& k : kKeys) ASSERT_EQ(PutObject("lbk", k, "v:" + k).status(), 200) << k;
  }

  Result List(const std::string& query) {
    return Send({.method = "GET", .path = "/lbk", .query = query});
  }

  // Follows continuation tokens (v2) until the end; returns every key and common prefix seen.
  std::pair<std::vector<std::string>, std::vector<std::string>> ListAllV2(
      const std::string& base_query, int* pages) {
    std::vector<std::string> keys, prefixes;
    std::string token;
    *pages = 0;
    while (*pages < 100) {
      std::string q = base_query + (token.empty() ? "" : "&continuation-token=" + Enc(token));
      Result r = List(q);
      EXPECT_EQ(r.status(), 200) << r;
      ++*pages;
      for (auto& k : r.xml_all("/ListBucketResult/Contents/Key")) keys.push_back(k);
      for (auto& p : r.xml_all("/ListBucketResult/CommonPrefixes/Prefix")) prefixes.push_back(p);
      int count = std::stoi(r.xml("/ListBucketResult/KeyCount"));
      EXPECT_EQ(static_cast<size_t>(count),
                r.xml_all("/ListBucketResult/Contents").size() +
                    r.xml_all("/ListBucketResult/CommonPrefixes").size());
      if (r.xml("/ListBucketResult/IsTruncated") != "true") break;
      token = r.xml("/ListBucketResult/NextContinuationToken");
      EXPECT_FALSE(token.empty() || token == "<absent>");
    }
    return {keys, prefixes};
  }
};

TEST_F(ListTest, V2ListsEveryKeyInUtf8ByteOrder) {
  Result r = List("list-type=2");
  ASSERT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.log().operation, "REST.GET.BUCKET");
  EXPECT_EQ(r.xml_all("/ListBucketResult/Contents/Key"), kKeys);
  EXPECT_EQ(r.xml("/ListBucketResult/KeyCount"), std::to_string(kKeys.size()));
  EXPECT_EQ(r.xml("/ListBucketResult/IsTruncated"), "false");
  EXPECT_EQ(r.xml("/ListBucketResult/Name"), "lbk");
  EXPECT_EQ(r.xml_all("/ListBucketResult/Contents/Owner").size(), 0u) << "v2 needs fetch-owner";
  EXPECT_EQ(r.xml("/ListBucketResult/Contents/ETag"), Quoted(Md5Hex("v:" + kKeys[0])));
  Result owner = List("list-type=2&fetch-owner=true&max-keys=1");
  EXPECT_EQ(owner.xml("/ListBucketResult/Contents/Owner/ID"), kTestCanonical);
}

TEST_F(ListTest, DelimiterRollsKeysUpIntoCommonPrefixes) {
  Result r = List("list-type=2&delimiter=%2F");
  ASSERT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>{"100%", "a", "b", "plus+sign", "sp ace", "x&y<z>"}));
  EXPECT_EQ(r.xml_all("/ListBucketResult/CommonPrefixes/Prefix"),
            (std::vector<std::string>{"../", "a/", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/"}));
  EXPECT_EQ(r.xml("/ListBucketResult/KeyCount"), "9");
  EXPECT_EQ(r.xml("/ListBucketResult/Delimiter"), "/");

  Result sub = List("list-type=2&delimiter=%2F&prefix=a%2F");
  EXPECT_EQ(sub.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>{"a/b", "a/c"}));
  EXPECT_EQ(sub.xml_all("/ListBucketResult/CommonPrefixes/Prefix"),
            std::vector<std::string>{"a/b/"});
  EXPECT_EQ(sub.xml("/ListBucketResult/Prefix"), "a/");
}

TEST_F(ListTest, PrefixWithoutDelimiter) {
  Result r = List("list-type=2&prefix=a");
  EXPECT_EQ(r.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>{"a", "a/b", "a/b/c", "a/c"}));
  Result none = List("list-type=2&prefix=zzz");
  EXPECT_EQ(none.xml("/ListBucketResult/KeyCount"), "0");
  EXPECT_TRUE(none.xml_all("/ListBucketResult/Contents").empty());
}

TEST_F(ListTest, ContinuationTokensVisitEveryKeyOnce) {
  for (int max_keys : {1, 2, 3, 5}) {
    SCOPED_TRACE(max_keys);
    int pages = 0;
    auto [keys, prefixes] = ListAllV2("list-type=2&max-keys=" + std::to_string(max_keys), &pages);
    EXPECT_EQ(keys, kKeys);
    EXPECT_TRUE(prefixes.empty());
    EXPECT_EQ(pages, static_cast<int>((kKeys.size() + max_keys - 1) / max_keys));
  }
}

TEST_F(ListTest, ContinuationWithDelimiterCountsPrefixesAsEntries) {
  int pages = 0;
  auto [keys, prefixes] = ListAllV2("list-type=2&delimiter=%2F&max-keys=2", &pages);
  EXPECT_EQ(keys, (std::vector<std::string>{"100%", "a", "b", "plus+sign", "sp ace", "x&y<z>"}));
  EXPECT_EQ(prefixes, (std::vector<std::string>{"../", "a/", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/"}));
  EXPECT_EQ(pages, 5);  // 9 entries, 2 per page
}

TEST_F(ListTest, StartAfter) {
  Result r = List("list-type=2&start-after=b");
  EXPECT_EQ(r.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>(kKeys.begin() + 7, kKeys.end())));
  EXPECT_EQ(r.xml("/ListBucketResult/StartAfter"), "b");
  Result past_all = List("list-type=2&start-after=%F0%9F%98%80");
  EXPECT_EQ(past_all.xml("/ListBucketResult/KeyCount"), "0");
}

TEST_F(ListTest, V1MarkersAndNextMarker) {
  Result first = List("max-keys=4");
  ASSERT_EQ(first.status(), 200) << first;
  EXPECT_EQ(first.xml("/ListBucketResult/IsTruncated"), "true");
  EXPECT_EQ(first.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>(kKeys.begin(), kKeys.begin() + 4)));
  EXPECT_EQ(first.xml("/ListBucketResult/Contents/Owner/ID"), kTestCanonical);
  Result second = List("max-keys=4&marker=" + Enc(kKeys[3]));
  EXPECT_EQ(second.xml_all("/ListBucketResult/Contents/Key"),
            (std::vector<std::string>(kKeys.begin() + 4, kKeys.begin() + 8)));
  EXPECT_EQ(second.xml("/ListBucketResult/Marker"), kKeys[3]);

  Result delim = List("delimiter=%2F&max-keys=2");
  EXPECT_EQ(delim.xml("/ListBucketResult/IsTruncated"), "true");
  EXPECT_EQ(delim.xml("/ListBucketResult/NextMarker"), "100%");
  Result next = List("delimiter=%2F&max-keys=2&marker=" + Enc("100%"));
  EXPECT_EQ(next.xml_all("/ListBucketResult/Contents/Key"), std::vector<std::string>{"a"});
  EXPECT_EQ(next.xml_all("/ListBucketResult/CommonPrefixes/Prefix"),
            std::vector<std::string>{"a/"});
  EXPECT_EQ(next.xml("/ListBucketResult/NextMarker"), "a/");
}

TEST_F(ListTest, EncodingTypeUrlRoundTripsEveryKey) {
  Result r = List("list-type=2&encoding-type=url");
  ASSERT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.xml("/ListBucketResult/EncodingType"), "url");
  auto raw = r.xml_all("/ListBucketResult/Contents/Key");
  ASSERT_EQ(raw.size(), kKeys.size());
  std::vector<std::string> decoded;
  for (const auto& k : raw) decoded.push_back(FormDecode(k));
  EXPECT_EQ(decoded, kKeys);
  EXPECT_EQ(std::find(raw.begin(), raw.end(), "plus+sign"), raw.end())
      << "a literal '+' would decode as a space";
  for (const auto& k : raw) {
    EXPECT_EQ(k.find(' '), std::string::npos) << k;
    EXPECT_EQ(k.find('&'), std::string::npos) << k;
  }
  Result delim = List("list-type=2&encoding-type=url&delimiter=%2F&prefix=" +
                      Enc("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/"));
  auto prefixes = delim.xml_all("/ListBucketResult/Contents/Key");
  ASSERT_EQ(prefixes.size(), 1u);
  EXPECT_EQ(FormDecode(prefixes[0]), kKeys.back());
  EXPECT_EQ(FormDecode(delim.xml("/ListBucketResult/Prefix")), "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/");
}

TEST_F(ListTest, InvalidParameters) {
  Result neg = List("list-type=2&max-keys=-1");
  EXPECT_EQ(neg.status(), 400);
  EXPECT_EQ(neg.code(), "InvalidArgument");
  Result word = List("max-keys=ten");
  EXPECT_EQ(word.code(), "InvalidArgument");
  Result enc = List("list-type=2&encoding-type=base64");
  EXPECT_EQ(enc.code(), "InvalidArgument");
  Result token = List("list-type=2&continuation-token=%21%21");
  EXPECT_EQ(token.code(), "InvalidArgument");
}

TEST_F(ListTest, ObjectsReadBackUnderOddKeys) {
  for (const auto& k : kKeys) {
    SCOPED_TRACE(k);
    Result r = GetObject("lbk", k);
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body, "v:" + k);
  }
}

// --- DeleteObjects ---------------------------------------------------------------------------

std::string DeleteBody(const std::vector<std::string>& keys, bool quiet = false) {
  std::string out = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  if (quiet) out += "<Quiet>true</Quiet>";
  for (const auto& k : keys) {
    std::string escaped;
    for (char c : k) {
      if (c == '&')
        escaped += "&amp;";
      else if (c == '<')
        escaped += "&lt;";
      else if (c == '>')
        escaped += "&gt;";
      else
        escaped += c;
    }
    out += "<Object><Key>" + escaped + "</Key></Object>";
  }
  return out + "</Delete>";
}

TEST_F(ListTest, DeleteObjectsLogsOneBatchRecordPerKey) {
  std::vector<std::string> keys = {"a", "x&y<z>", "never-existed", kKeys.back()};
  TestRequest r{.method = "POST", .path = "/lbk", .query = "delete"};
  r.Body(DeleteBody(keys));
  r.Header("Content-MD5", Md5Base64(r.body));
  Result got = Send(r);
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.log().operation, "REST.POST.MULTI_OBJECT_DELETE");
  EXPECT_EQ(got.xml_all("/DeleteResult/Deleted/Key"), keys);
  EXPECT_TRUE(got.xml_all("/DeleteResult/Error").empty());
  ASSERT_EQ(got.log().extra.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const ExtraLogRecord& e = got.log().extra[i];
    EXPECT_EQ(e.operation, "BATCH.DELETE.OBJECT");
    EXPECT_EQ(e.key, keys[i]);
    EXPECT_EQ(e.bucket, "lbk");
    EXPECT_EQ(e.bucket_owner_canonical_id, kTestCanonical);
    EXPECT_EQ(e.http_status, 204);
    EXPECT_TRUE(e.batch_style);
  }
  EXPECT_FALSE(Stored("lbk", "a"));
  EXPECT_FALSE(Stored("lbk", "x&y<z>"));
  EXPECT_TRUE(Stored("lbk", "a/b"));
}

TEST_F(ListTest, QuietDeleteListsNothingDeleted) {
  TestRequest r{.method = "POST", .path = "/lbk", .query = "delete"};
  r.Body(DeleteBody({"a", "b"}, true));
  r.Header("x-amz-checksum-crc32", Crc32Base64(r.body));
  Result got = Send(r);
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_TRUE(got.xml_all("/DeleteResult/Deleted").empty());
  EXPECT_EQ(got.log().extra.size(), 2u);
  EXPECT_FALSE(Stored("lbk", "b"));
}

TEST_F(ListTest, DeleteObjectsNeedsAChecksumAndValidXml) {
  TestRequest r{.method = "POST", .path = "/lbk", .query = "delete"};
  r.Body(DeleteBody({"a"}));
  Result no_md5 = Send(r);
  EXPECT_EQ(no_md5.status(), 400);
  EXPECT_EQ(no_md5.code(), "InvalidRequest");
  EXPECT_TRUE(Stored("lbk", "a"));

  TestRequest bad{.method = "POST", .path = "/lbk", .query = "delete"};
  bad.Body("<Delete><Object><Key>a</Key></Object>");
  bad.Header("Content-MD5", Md5Base64(bad.body));
  Result malformed = Send(bad);
  EXPECT_EQ(malformed.status(), 400);
  EXPECT_EQ(malformed.code(), "MalformedXML");
  EXPECT_TRUE(Stored("lbk", "a"));

  TestRequest wrong{.method = "POST", .path = "/lbk", .query = "delete"};
  wrong.Body(DeleteBody({"a"}));
  wrong.Header("Content-MD5", Md5Base64("something else"));
  EXPECT_EQ(Send(wrong).code(), "BadDigest");
  EXPECT_TRUE(Stored("lbk", "a"));
}

// --- CopyObject --------------------------------------------------------------------------------

TEST_F(ListTest, CopyKeepsMetadataAndLogsTheSourceGet) {
  ASSERT_EQ(PutObject("lbk", "src", "copy me",
                      {{"Content-Type", "text/x-src"}, {"x-amz-meta-origin", "source"}})
                .status(),
            200);
  MakeBucket("lbk-dest");
  TestRequest r{.method = "PUT", .path = ObjectPath("lbk-dest", "dst")};
  r.Header("x-amz-copy-source", "/lbk/src");
  Result got = Send(r);
  ASSERT_EQ(got.status(), 200) << got;
  EXPECT_EQ(got.log().operation, "REST.COPY.OBJECT");
  EXPECT_EQ(got.log().bucket, "lbk-dest");
  EXPECT_EQ(got.xml("/CopyObjectResult/ETag"), Quoted(Md5Hex("copy me")));
  ASSERT_EQ(got.log().extra.size(), 1u);
  const ExtraLogRecord& src = got.log().extra[0];
  EXPECT_EQ(src.operation, "REST.COPY.OBJECT_GET");
  EXPECT_EQ(src.bucket, "lbk");
  EXPECT_EQ(src.key, "src");
  EXPECT_EQ(src.http_status, 200);
  EXPECT_EQ(src.object_size, 7u);
  Result dst = GetObject("lbk-dest", "dst");
  EXPECT_EQ(dst.body, "copy me");
  EXPECT_EQ(dst.header("Content-Type"), "text/x-src");
  EXPECT_EQ(dst.header("x-amz-meta-origin"), "source");
}

TEST_F(ListTest, CopyWithReplaceDirectiveAndOddSourceKey) {
  TestRequest r{.method = "PUT", .path = ObjectPath("lbk", "replaced")};
  r.Header("x-amz-copy-source", "lbk/" + sigv4::UriEncode("sp ace", true));
  r.Header("x-amz-metadata-directive", "REPLACE");
  r.Header("Content-Type", "text/x-new");
  r.Header("x-amz-meta-fresh", "yes");
  Result got = Send(r);
  ASSERT_EQ(got.status(), 200) << got;
  Result dst = GetObject("lbk", "replaced");
  EXPECT_EQ(dst.body, "v:sp ace");
  EXPECT_EQ(dst.header("Content-Type"), "text/x-new");
  EXPECT_EQ(dst.header("x-amz-meta-fresh"), "yes");
  ASSERT_EQ(got.log().extra.size(), 1u);
  EXPECT_EQ(got.log().extra[0].key, "sp%20ace") << "the source key as sent, still encoded";
}

TEST_F(ListTest, CopyErrors) {
  TestRequest self{.method = "PUT", .path = ObjectPath("lbk", "a")};
  self.Header("x-amz-copy-source", "/lbk/a");
  Result same = Send(self);
  EXPECT_EQ(same.status(), 400);
  EXPECT_EQ(same.code(), "InvalidRequest");

  TestRequest missing{.method = "PUT", .path = ObjectPath("lbk", "dst")};
  missing.Header("x-amz-copy-source", "/lbk/no-such-key");
  Result nokey = Send(missing);
  EXPECT_EQ(nokey.status(), 404);
  EXPECT_EQ(nokey.code(), "NoSuchKey");
  ASSERT_EQ(nokey.log().extra.size(), 1u);
  EXPECT_EQ(nokey.log().extra[0].error_code, "NoSuchKey");
  EXPECT_EQ(nokey.log().extra[0].http_status, 404);
  EXPECT_FALSE(Stored("lbk", "dst"));

  MakeBucket("alice-src", kAliceKey);
  ASSERT_EQ(PutObject("alice-src", "secret", "hers", {}, kAliceKey).status(), 200);
  TestRequest foreign{.method = "PUT", .path = ObjectPath("lbk", "stolen")};
  foreign.Header("x-amz-copy-source", "/alice-src/secret");
  Result denied = Send(foreign);
  EXPECT_EQ(denied.status(), 403);
  EXPECT_EQ(denied.code(), "AccessDenied");
  EXPECT_FALSE(Stored("lbk", "stolen"));

  TestRequest cond{.method = "PUT", .path = ObjectPath("lbk", "cond")};
  cond.Header("x-amz-copy-source", "/lbk/a");
  cond.Header("x-amz-copy-source-if-match", "\"00000000000000000000000000000000\"");
  Result pre = Send(cond);
  EXPECT_EQ(pre.status(), 412);
  EXPECT_EQ(pre.code(), "PreconditionFailed");
  EXPECT_FALSE(Stored("lbk", "cond"));

  TestRequest directive{.method = "PUT", .path = ObjectPath("lbk", "d")};
  directive.Header("x-amz-copy-source", "/lbk/a");
  directive.Header("x-amz-metadata-directive", "MERGE");
  EXPECT_EQ(Send(directive).code(), "InvalidArgument");
}

}  // namespace
}  // namespace logbucket::s3::testing
