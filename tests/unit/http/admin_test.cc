#include "server/http/admin.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace logbucket::http {
namespace {

using Json = nlohmann::json;

struct AdminFixture : ::testing::Test {
  AdminFixture() {
    hooks.status_json = [] { return std::string(R"({"buckets":{}})"); };
    hooks.flush = [this](const std::optional<std::string>& bucket) {
      flushed_bucket = bucket;
      ++flush_calls;
      return logging::FlushResult{{"logs/a", "logs/b"}, {"c: target missing"}};
    };
    hooks.reset = [this] { ++reset_calls; };
  }
  AdminHooks hooks;
  std::optional<std::string> flushed_bucket;
  int flush_calls = 0;
  int reset_calls = 0;
};

TEST_F(AdminFixture, Health) {
  s3::Response response = HandleAdminRequest("GET", "/_logbucket/health", hooks);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json::parse(response.body), Json({{"status", "ok"}}));
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
  EXPECT_TRUE(response.log.bucket.empty());
}

TEST_F(AdminFixture, StatusIsTheHooksJson) {
  s3::Response response = HandleAdminRequest("GET", "/_logbucket/status", hooks);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"buckets":{}})");
}

TEST_F(AdminFixture, FlushWithDecodedBucket) {
  s3::Response response =
      HandleAdminRequest("POST", "/_logbucket/flush?x=1&bucket=my%2Dlogs", hooks);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(flushed_bucket, "my-logs");
  Json body = Json::parse(response.body);
  EXPECT_EQ(body["flushed"], Json::array({"logs/a", "logs/b"}));
  EXPECT_EQ(body["problems"], Json::array({"c: target missing"}));
}

TEST_F(AdminFixture, FlushWithoutBucketFlushesAll) {
  HandleAdminRequest("POST", "/_logbucket/flush", hooks);
  EXPECT_EQ(flush_calls, 1);
  EXPECT_EQ(flushed_bucket, std::nullopt);
}

TEST_F(AdminFixture, ResetAllowed) {
  s3::Response response = HandleAdminRequest("POST", "/_logbucket/reset", hooks);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json::parse(response.body), Json({{"reset", true}}));
  EXPECT_EQ(reset_calls, 1);
}

TEST_F(AdminFixture, ResetRefusedWhenNotAllowed) {
  hooks.reset = nullptr;
  s3::Response response = HandleAdminRequest("POST", "/_logbucket/reset", hooks);
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(Json::parse(response.body)["error"].get<std::string>().find("admin.allow_reset = true"),
            std::string::npos);
}

TEST_F(AdminFixture, UnknownPathIs404) {
  s3::Response response = HandleAdminRequest("GET", "/_logbucket/nope", hooks);
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(Json::parse(response.body).contains("error"));
}

TEST_F(AdminFixture, WrongMethodIs405WithAllow) {
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  const Case cases[] = {{"POST", "/_logbucket/health", "GET, HEAD"},
                        {"DELETE", "/_logbucket/status", "GET, HEAD"},
                        {"GET", "/_logbucket/flush", "POST"},
                        {"GET", "/_logbucket/reset", "POST"}};
  for (const auto& c : cases) {
    s3::Response response = HandleAdminRequest(c.method, c.target, hooks);
    EXPECT_EQ(response.status, 405) << c.target;
    EXPECT_EQ(response.headers.Get("Allow"), c.allow) << c.target;
  }
  EXPECT_EQ(flush_calls, 0);
  EXPECT_EQ(reset_calls, 0);
}

TEST_F(AdminFixture, ThrowingHookIs500) {
  hooks.flush = [](const std::optional<std::string>&) -> logging::FlushResult {
    throw std::runtime_error("disk gone");
  };
  s3::Response response = HandleAdminRequest("POST", "/_logbucket/flush", hooks);
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("disk gone"), std::string::npos);
}

TEST(IsAdminRequest, PathStyleOnly) {
  EXPECT_TRUE(IsAdminRequest("/_logbucket/health", "localhost:9000", "localhost"));
  EXPECT_TRUE(IsAdminRequest("/_logbucket/health", "127.0.0.1:9000", "localhost"));
  EXPECT_TRUE(IsAdminRequest("/_logbucket/health", "", "localhost"));
  EXPECT_FALSE(IsAdminRequest("/_logbucket/health", "bucket.localhost:9000", "localhost"));
  EXPECT_FALSE(IsAdminRequest("/_logbucketx/health", "localhost", "localhost"));
  EXPECT_FALSE(IsAdminRequest("/bucket/_logbucket/health", "localhost", "localhost"));
}

TEST(DecodeQueryValue, DecodesEscapesAndKeepsMalformedOnes) {
  EXPECT_EQ(DecodeQueryValue("a%2Db%2fc"), "a-b/c");
  EXPECT_EQ(DecodeQueryValue("a+b"), "a b");
  EXPECT_EQ(DecodeQueryValue("100%"), "100%");
  EXPECT_EQ(DecodeQueryValue("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace logbucket::http
