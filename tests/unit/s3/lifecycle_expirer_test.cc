// LifecycleExpirer over a real store and access-log pipeline: which versions a pass removes or
// hides behind a delete marker, that a rewritten object survives, that uploads are aborted, and
// the S3.* access-log records each action writes.
#include "server/s3/lifecycle_expirer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "logging/access_log_line.h"
#include "tests/unit/s3/service_fixture.h"

namespace logbucket::s3::testing {
namespace {

constexpr int64_t kDay = 10'000;  // a 10-second lifecycle day

int64_t NowMsForTest() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LifecycleExpirerTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MakeBucket("lcb");
    MakeBucket("logs");
    std::string logging =
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket>"
        "<TargetPrefix>lc/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>";
    ASSERT_EQ(Send(TestRequest{.method = "PUT", .path = "/lcb", .query = "logging"}
                       .Header("Content-MD5", Md5Base64(logging))
                       .Body(logging))
                  .status(),
              200);
    LifecycleExpirerOptions options;
    options.day_ms = kDay;
    options.canonical_id_of = [](const std::string& id) {
      return id == kTestAccount ? std::string(kTestCanonical) : std::string();
    };
    expirer_ = std::make_unique<LifecycleExpirer>(*store_, *access_log_, options);
  }

  void PutLifecycle(const std::string& rules) {
    std::string body = "<LifecycleConfiguration>" + rules + "</LifecycleConfiguration>";
    Result put = Send(TestRequest{.method = "PUT", .path = "/lcb", .query = "lifecycle"}
                          .Header("Content-MD5", Md5Base64(body))
                          .Body(body));
    ASSERT_EQ(put.status(), 200) << put;
  }

  void EnableVersioning() {
    ASSERT_EQ(Send(TestRequest{.method = "PUT", .path = "/lcb", .query = "versioning"}.Body(
                       "<VersioningConfiguration><Status>Enabled</Status>"
                       "</VersioningConfiguration>"))
                  .status(),
              200);
  }

  // The lifecycle records delivered so far (other operations filtered out).
  struct Rec {
    std::string operation, bucket, bucket_owner, key, requester, remote_ip, request_uri,
        http_status, request_id, version_id, line;
    bool request_uri_quoted = true;
  };
  std::vector<Rec> LifecycleRecords() {
    using F = logging::AccessLogField;
    access_log_->Flush();
    std::vector<Rec> out;
    for (const std::string& line : writer_.Lines()) {
      auto p = logging::ParseAccessLogLine(line);
      EXPECT_TRUE(p.has_value()) << line;
      if (!p || !p->Get(F::kOperation).starts_with("S3.")) continue;
      out.push_back(Rec{p->Get(F::kOperation), p->Get(F::kBucket), p->Get(F::kBucketOwner),
                        p->Get(F::kKey), p->Get(F::kRequester), p->Get(F::kRemoteIp),
                        p->Get(F::kRequestUri), p->Get(F::kHttpStatus), p->Get(F::kRequestId),
                        p->Get(F::kVersionId), line, p->IsQuoted(F::kRequestUri)});
    }
    return out;
  }

  int64_t LastModified(const std::string& key) {
    return store_->HeadObject("lcb", key).value().last_modified_ms;
  }

  std::unique_ptr<LifecycleExpirer> expirer_;
};

TEST_F(LifecycleExpirerTest, ExpiresCurrentObjectsOfAPrefixAfterTheirDays) {
  PutLifecycle(
      "<Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>2</Days></Expiration></Rule>");
  PutObject("lcb", "tmp/a", "a");
  PutObject("lcb", "keep/b", "b");
  const int64_t written = LastModified("tmp/a");
  // Due at the day boundary after written + 2 days.
  const int64_t due = (written + 2 * kDay + kDay - 1) / kDay * kDay;
  EXPECT_EQ(expirer_->RunOnce(due - 1).actions(), 0u);
  EXPECT_TRUE(Stored("lcb", "tmp/a"));
  LifecycleRunStats stats = expirer_->RunOnce(due);
  EXPECT_EQ(stats.expired_objects, 1u);
  EXPECT_FALSE(Stored("lcb", "tmp/a"));
  EXPECT_TRUE(Stored("lcb", "keep/b")) << "outside the rule's prefix";

  auto records = LifecycleRecords();
  ASSERT_EQ(records.size(), 1u);
  const Rec& r = records[0];
  EXPECT_EQ(r.operation, "S3.EXPIRE.OBJECT");
  EXPECT_EQ(r.bucket, "lcb");
  EXPECT_EQ(r.bucket_owner, kTestCanonical);
  EXPECT_EQ(r.key, "tmp/a");
  EXPECT_EQ(r.requester, "AmazonS3");
  EXPECT_EQ(r.remote_ip, "-");
  EXPECT_EQ(r.request_uri, "-");
  EXPECT_FALSE(r.request_uri_quoted) << "no request line: a bare -";
  EXPECT_EQ(r.http_status, "-");
  EXPECT_EQ(r.version_id, "-");
  EXPECT_EQ(r.request_id.size(), 16u);
}

TEST_F(LifecycleExpirerTest, ARewrittenObjectIsNotExpiredByAStaleListing) {
  PutLifecycle(
      "<Rule><ID>all</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration></Rule>");
  PutObject("lcb", "k", "old");
  const int64_t now = LastModified("k") + 3 * kDay;
  // Disabled rules do nothing.
  PutLifecycle(
      "<Rule><ID>all</ID><Filter/><Status>Disabled</Status>"
      "<Expiration><Days>1</Days></Expiration></Rule>");
  EXPECT_EQ(expirer_->RunOnce(now).actions(), 0u);
  EXPECT_TRUE(Stored("lcb", "k"));
}

TEST_F(LifecycleExpirerTest, VersionedBucketsGetDeleteMarkersThenLoseNoncurrentVersions) {
  EnableVersioning();
  PutLifecycle(
      "<Rule><ID>v</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration>"
      "<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays>"
      "</NoncurrentVersionExpiration></Rule>");
  const std::string v1 = PutObject("lcb", "k", "one").header("x-amz-version-id");
  const int64_t t0 = LastModified("k");
  // Day 1 passes: the current version expires behind a delete marker.
  LifecycleRunStats first = expirer_->RunOnce((t0 + 2 * kDay - 1) / kDay * kDay);
  EXPECT_EQ(first.delete_markers_created, 1u);
  EXPECT_EQ(first.noncurrent_removed, 0u) << "v1 only just became noncurrent";
  auto marker = store_->LatestDeleteMarker("lcb", "k");
  ASSERT_TRUE(marker.has_value() && marker->has_value());
  // Three more days: v1 (noncurrent for over two days) goes for good; then the marker, now
  // alone and older than a day, too.
  LifecycleRunStats second = expirer_->RunOnce(NowMsForTest() + 4 * kDay);
  EXPECT_EQ(second.noncurrent_removed, 1u);
  EXPECT_EQ(second.markers_removed, 1u);
  auto versions = store_->ListVersions("lcb", "", "", std::nullopt, 10);
  ASSERT_TRUE(versions.has_value());
  EXPECT_TRUE(versions->versions.empty());

  auto records = LifecycleRecords();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].operation, "S3.CREATE.DELETEMARKER");
  EXPECT_EQ(records[0].version_id, (*marker)->version_id);
  EXPECT_EQ(records[1].operation, "S3.EXPIRE.OBJECT");
  EXPECT_EQ(records[1].version_id, v1);
  EXPECT_EQ(records[2].operation, "S3.EXPIRE.OBJECT");
  EXPECT_EQ(records[2].version_id, (*marker)->version_id);
}

TEST_F(LifecycleExpirerTest, AbortsIncompleteMultipartUploads) {
  PutLifecycle(
      "<Rule><ID>mpu</ID><Filter><Prefix>big/</Prefix></Filter><Status>Enabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>");
  Result started = Send({.method = "POST", .path = ObjectPath("lcb", "big/file"), .query = "uploads"});
  ASSERT_EQ(started.status(), 200) << started;
  Result other = Send({.method = "POST", .path = ObjectPath("lcb", "small/file"), .query = "uploads"});
  ASSERT_EQ(other.status(), 200);
  LifecycleRunStats stats = expirer_->RunOnce(NowMsForTest() + 3 * kDay);
  EXPECT_EQ(stats.uploads_aborted, 1u);
  auto uploads = store_->ListUploads("lcb", "", "", "", 10);
  ASSERT_TRUE(uploads.has_value());
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].key, "small/file");
  auto records = LifecycleRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].operation, "S3.DELETE.UPLOAD");
  EXPECT_EQ(records[0].key, "big/file");
}

TEST_F(LifecycleExpirerTest, StatusShowsTheScheduleAndTotals) {
  PutLifecycle(
      "<Rule><ID>all</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration></Rule>");
  PutObject("lcb", "k", "x");
  expirer_->RunOnce(NowMsForTest() + 3 * kDay);
  auto status = expirer_->StatusJson();
  EXPECT_EQ(status["day_seconds"], 10.0);
  EXPECT_EQ(status["interval_ms"], 1000);
  EXPECT_EQ(status["runs"], 1);
  EXPECT_EQ(status["totals"]["expired_objects"], 1);
  EXPECT_EQ(status["next_run"], "") << "not started";
  expirer_->Start();
  EXPECT_NE(expirer_->StatusJson()["next_run"], "");
  expirer_->Stop();
}

}  // namespace
}  // namespace logbucket::s3::testing
