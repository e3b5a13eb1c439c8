// s3::Service and versioning: PutBucketVersioning / GetBucketVersioning, version ids on writes,
// GET/HEAD/DELETE of a version, delete markers, ListObjectVersions, copies from a version,
// DeleteObjects with versions, and the log facts (operation names, Version Id field).
#include <gtest/gtest.h>

#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr const char* kEnabled =
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Status>Enabled</Status></VersioningConfiguration>";
constexpr const char* kSuspended =
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Status>Suspended</Status></VersioningConfiguration>";

class VersioningServiceTest : public ServiceTest {
 protected:
  Result SetVersioning(const std::string& bucket, const std::string& body) {
    return Send(TestRequest{.method = "PUT", .path = "/" + bucket, .query = "versioning"}.Body(body));
  }
  Result Versions(const std::string& bucket, const std::string& query = "") {
    return Send({.method = "GET", .path = "/" + bucket, .query = "versions" + query});
  }
  Result Delete(const std::string& bucket, const std::string& key, const std::string& query = "") {
    return Send({.method = "DELETE", .path = ObjectPath(bucket, key), .query = query});
  }
};

TEST_F(VersioningServiceTest, GetAndPutBucketVersioning) {
  MakeBucket("vbk");
  Result never = Send({.method = "GET", .path = "/vbk", .query = "versioning"});
  ASSERT_EQ(never.status(), 200) << never;
  EXPECT_EQ(never.log().operation, "REST.GET.VERSIONING");
  EXPECT_EQ(never.xml("/VersioningConfiguration/Status"), "<absent>");

  Result put = SetVersioning("vbk", kEnabled);
  ASSERT_EQ(put.status(), 200) << put;
  EXPECT_EQ(put.log().operation, "REST.PUT.VERSIONING");
  EXPECT_EQ(Send({.method = "GET", .path = "/vbk", .query = "versioning"})
                .xml("/VersioningConfiguration/Status"),
            "Enabled");
  ASSERT_EQ(SetVersioning("vbk", kSuspended).status(), 200);
  EXPECT_EQ(Send({.method = "GET", .path = "/vbk", .query = "versioning"})
                .xml("/VersioningConfiguration/Status"),
            "Suspended");

  Result bad = SetVersioning("vbk", "<VersioningConfiguration><Status>On</Status>"
                                  "</VersioningConfiguration>");
  EXPECT_EQ(bad.status(), 400);
  EXPECT_EQ(bad.code(), "MalformedXML");
  Result mfa = SetVersioning("vbk", "<VersioningConfiguration><Status>Enabled</Status>"
                                  "<MfaDelete>Enabled</MfaDelete></VersioningConfiguration>");
  EXPECT_EQ(mfa.status(), 403) << mfa;
  EXPECT_EQ(mfa.message(), "Mfa Authentication must be used for this request");
  Result alice = Send(TestRequest{.method = "PUT", .path = "/vbk", .query = "versioning"}.Body(kEnabled),
                      kAliceKey);
  EXPECT_EQ(alice.status(), 403) << "only the owner may change versioning";
}

TEST_F(VersioningServiceTest, VersionIdsOnWritesReadsAndDeletes) {
  MakeBucket("vbk");
  Result unversioned = PutObject("vbk", "k", "v0");
  EXPECT_FALSE(unversioned.has_header("x-amz-version-id"))
      << "a never-versioned bucket says nothing about versions";
  ASSERT_EQ(SetVersioning("vbk", kEnabled).status(), 200);
  Result v1 = PutObject("vbk", "k", "first");
  Result v2 = PutObject("vbk", "k", "second");
  ASSERT_EQ(v2.status(), 200) << v2;
  const std::string id1 = v1.header("x-amz-version-id");
  const std::string id2 = v2.header("x-amz-version-id");
  EXPECT_EQ(id1.size(), 32u);
  EXPECT_NE(id1, id2);

  Result latest = GetObject("vbk", "k");
  EXPECT_EQ(latest.body, "second");
  EXPECT_EQ(latest.header("x-amz-version-id"), id2);
  EXPECT_EQ(latest.log().version_id, "") << "the request named no version";
  Result old = GetObject("vbk", "k", {}, "versionId=" + id1);
  ASSERT_EQ(old.status(), 200) << old;
  EXPECT_EQ(old.body, "first");
  EXPECT_EQ(old.header("x-amz-version-id"), id1);
  EXPECT_EQ(old.log().version_id, id1) << "the record's Version Id is the one requested";
  Result null_version = GetObject("vbk", "k", {}, "versionId=null");
  EXPECT_EQ(null_version.body, "v0");
  EXPECT_EQ(null_version.header("x-amz-version-id"), "null");

  Result malformed = GetObject("vbk", "k", {}, "versionId=abc");
  EXPECT_EQ(malformed.status(), 400);
  EXPECT_EQ(malformed.code(), "InvalidArgument");
  EXPECT_EQ(malformed.message(), "Invalid version id specified");
  Result missing = GetObject("vbk", "k", {}, "versionId=" + std::string(32, 'Z'));
  EXPECT_EQ(missing.status(), 404);
  EXPECT_EQ(missing.code(), "NoSuchVersion");

  // A delete without a version adds a marker; GET then answers 404 with the marker's headers.
  Result del = Delete("vbk", "k");
  ASSERT_EQ(del.status(), 204) << del;
  EXPECT_EQ(del.header("x-amz-delete-marker"), "true");
  const std::string marker = del.header("x-amz-version-id");
  EXPECT_EQ(marker.size(), 32u);
  Result gone = GetObject("vbk", "k");
  EXPECT_EQ(gone.status(), 404);
  EXPECT_EQ(gone.code(), "NoSuchKey");
  EXPECT_EQ(gone.header("x-amz-delete-marker"), "true");
  EXPECT_EQ(gone.header("x-amz-version-id"), marker);
  Result on_marker = GetObject("vbk", "k", {}, "versionId=" + marker);
  EXPECT_EQ(on_marker.status(), 405) << on_marker;
  EXPECT_EQ(on_marker.code(), "MethodNotAllowed");
  EXPECT_EQ(on_marker.header("x-amz-delete-marker"), "true");
  EXPECT_EQ(on_marker.header("Allow"), "DELETE");

  // Deleting the marker by id brings the object back.
  Result undelete = Delete("vbk", "k", "versionId=" + marker);
  ASSERT_EQ(undelete.status(), 204);
  EXPECT_EQ(undelete.header("x-amz-delete-marker"), "true");
  EXPECT_EQ(undelete.header("x-amz-version-id"), marker);
  EXPECT_EQ(undelete.log().operation, "REST.DELETE.OBJECT");
  EXPECT_EQ(undelete.log().version_id, marker);
  EXPECT_EQ(GetObject("vbk", "k").body, "second");

  // Deleting a version for good.
  Result purge = Delete("vbk", "k", "versionId=" + id2);
  ASSERT_EQ(purge.status(), 204);
  EXPECT_FALSE(purge.has_header("x-amz-delete-marker"));
  EXPECT_EQ(GetObject("vbk", "k").body, "first");
  Result head = Send({.method = "HEAD", .path = ObjectPath("vbk", "k"), .query = "versionId=null"});
  EXPECT_EQ(head.status(), 200);
  EXPECT_EQ(head.header("Content-Length"), "2");
}

TEST_F(VersioningServiceTest, SuspendedBucketsWriteTheNullVersion) {
  MakeBucket("vbk");
  ASSERT_EQ(SetVersioning("vbk", kEnabled).status(), 200);
  const std::string kept = PutObject("vbk", "k", "kept").header("x-amz-version-id");
  ASSERT_EQ(SetVersioning("vbk", kSuspended).status(), 200);
  Result put = PutObject("vbk", "k", "null");
  EXPECT_EQ(put.header("x-amz-version-id"), "null");
  Result del = Delete("vbk", "k");
  EXPECT_EQ(del.header("x-amz-delete-marker"), "true");
  EXPECT_EQ(del.header("x-amz-version-id"), "null");
  Result list = Versions("vbk");
  EXPECT_EQ(list.xml_all("//Version/VersionId"), std::vector<std::string>{kept});
  EXPECT_EQ(list.xml_all("//DeleteMarker/VersionId"), std::vector<std::string>{"null"});
}

TEST_F(VersioningServiceTest, ListObjectVersionsPagesWithMarkersAndDelimiters) {
  MakeBucket("vbk");
  PutObject("vbk", "a", "before versioning");
  ASSERT_EQ(SetVersioning("vbk", kEnabled).status(), 200);
  PutObject("vbk", "a", "a2");
  PutObject("vbk", "dir/x", "x1");
  PutObject("vbk", "dir/y", "y1");
  Delete("vbk", "dir/y");
  PutObject("vbk", "z", "z1");

  Result all = Versions("vbk");
  ASSERT_EQ(all.status(), 200) << all;
  EXPECT_EQ(all.log().operation, "REST.GET.BUCKETVERSIONS");
  EXPECT_EQ(all.xml_all("//Version/Key"), (std::vector<std::string>{"a", "a", "dir/x", "dir/y", "z"}));
  EXPECT_EQ(all.xml_all("//Version/IsLatest"),
            (std::vector<std::string>{"true", "false", "true", "false", "true"}));
  EXPECT_EQ(all.xml_all("//Version/VersionId")[1], "null");
  EXPECT_EQ(all.xml_all("//DeleteMarker/Key"), std::vector<std::string>{"dir/y"});
  EXPECT_EQ(all.xml_all("//DeleteMarker/IsLatest"), std::vector<std::string>{"true"});
  EXPECT_EQ(all.xml("/ListVersionsResult/IsTruncated"), "false");

  // Two at a time, following NextKeyMarker / NextVersionIdMarker.
  std::vector<std::string> seen;
  std::string query = "&max-keys=2";
  for (int guard = 0; guard < 10; ++guard) {
    Result page = Versions("vbk", query);
    ASSERT_EQ(page.status(), 200) << page;
    for (const auto& k : page.xml_all("//Version/Key | //DeleteMarker/Key")) seen.push_back(k);
    if (page.xml("/ListVersionsResult/IsTruncated") != "true") break;
    query = "&max-keys=2&key-marker=" + Enc(page.xml("/ListVersionsResult/NextKeyMarker")) +
            "&version-id-marker=" + Enc(page.xml("/ListVersionsResult/NextVersionIdMarker"));
  }
  EXPECT_EQ(seen.size(), 6u);

  Result grouped = Versions("vbk", "&delimiter=/");
  EXPECT_EQ(grouped.xml_all("//CommonPrefixes/Prefix"), std::vector<std::string>{"dir/"});
  EXPECT_EQ(grouped.xml_all("//Version/Key"), (std::vector<std::string>{"a", "a", "z"}));

  Result no_key_marker = Versions("vbk", "&version-id-marker=null");
  EXPECT_EQ(no_key_marker.status(), 400);
  EXPECT_EQ(no_key_marker.code(), "InvalidArgument");
}

TEST_F(VersioningServiceTest, CopyFromAVersionAndBatchDeleteVersions) {
  MakeBucket("vbk");
  ASSERT_EQ(SetVersioning("vbk", kEnabled).status(), 200);
  const std::string id1 = PutObject("vbk", "src", "one").header("x-amz-version-id");
  PutObject("vbk", "src", "two");
  Result copy = Send(TestRequest{.method = "PUT", .path = ObjectPath("vbk", "dst")}.Header(
      "x-amz-copy-source", "vbk/src?versionId=" + id1));
  ASSERT_EQ(copy.status(), 200) << copy;
  EXPECT_EQ(copy.header("x-amz-copy-source-version-id"), id1);
  EXPECT_EQ(copy.header("x-amz-version-id").size(), 32u);
  EXPECT_EQ(GetObject("vbk", "dst").body, "one");

  // Copying an earlier version onto its own key restores it, as S3 documents.
  Result restore = Send(TestRequest{.method = "PUT", .path = ObjectPath("vbk", "src")}.Header(
      "x-amz-copy-source", "vbk/src?versionId=" + id1));
  ASSERT_EQ(restore.status(), 200) << restore;
  EXPECT_EQ(GetObject("vbk", "src").body, "one");
  Result itself = Send(TestRequest{.method = "PUT", .path = ObjectPath("vbk", "src")}.Header(
      "x-amz-copy-source", "vbk/src"));
  EXPECT_EQ(itself.code(), "InvalidRequest") << "a plain copy onto itself is still refused";
  ASSERT_FALSE(copy.log().extra.empty());
  EXPECT_EQ(copy.log().extra[0].version_id, id1) << "the GET side's record names the version";

  std::string body =
      "<Delete><Object><Key>src</Key><VersionId>" + id1 +
      "</VersionId></Object><Object><Key>dst</Key></Object></Delete>";
  Result batch = Send(TestRequest{.method = "POST", .path = "/vbk", .query = "delete"}
                          .Header("Content-MD5", Md5Base64(body))
                          .Body(body));
  ASSERT_EQ(batch.status(), 200) << batch;
  EXPECT_EQ(batch.xml_all("//Deleted/VersionId"), std::vector<std::string>{id1});
  EXPECT_EQ(batch.xml_all("//Deleted/DeleteMarker"), std::vector<std::string>{"true"});
  EXPECT_EQ(batch.xml_all("//Deleted/DeleteMarkerVersionId").size(), 1u);
  EXPECT_EQ(GetObject("vbk", "src", {}, "versionId=" + id1).code(), "NoSuchVersion");

  // Deleting a delete marker by id names it in DeleteMarkerVersionId.
  const std::string marker = batch.xml_all("//Deleted/DeleteMarkerVersionId")[0];
  std::string undelete = "<Delete><Object><Key>dst</Key><VersionId>" + marker +
                         "</VersionId></Object></Delete>";
  Result undone = Send(TestRequest{.method = "POST", .path = "/vbk", .query = "delete"}
                           .Header("Content-MD5", Md5Base64(undelete))
                           .Body(undelete));
  EXPECT_EQ(undone.xml_all("//Deleted/DeleteMarker"), std::vector<std::string>{"true"});
  EXPECT_EQ(undone.xml_all("//Deleted/DeleteMarkerVersionId"), std::vector<std::string>{marker});
  EXPECT_EQ(GetObject("vbk", "dst").body, "one") << "the marker is gone: dst is back";
}

}  // namespace
}  // namespace logbucket::s3::testing
