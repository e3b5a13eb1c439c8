// The real Server streaming a response body from an object's data file (a real SqliteStore in a
// temporary directory provides the ObjectReader).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/sqlite_store.h"
#include "tests/unit/http/http_fakes.h"

namespace logbucket::http {
namespace {

using testing::Client;
using testing::Facts;
using testing::Pattern;

class ServerFileTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("logbucket-http-file-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    storage::SqliteStore::Options options;
    options.data_dir = dir_;
    auto store = storage::SqliteStore::Open(options);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    storage::BucketRecord bucket;
    bucket.name = "src";
    bucket.owner_account_id = "123456789012";
    ASSERT_TRUE(store_->CreateBucket(bucket));
    content_ = Pattern((3 << 20) + 17);
    auto data = store_->BeginWrite();
    ASSERT_TRUE(data.has_value());
    ASSERT_TRUE(data->Append(content_));
    storage::ObjectRecord object;
    object.bucket = "src";
    object.key = "big";
    ASSERT_TRUE(store_->CommitObject(std::move(*data), object));
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Answers every request with bytes [offset, offset + length) of the object's file.
  void ServeRange(uint64_t offset, uint64_t length) {
    handler_.SetBehaviour([this, offset, length](const s3::RequestHead&) {
      auto reader = store_->OpenObject("src", "big");
      s3::Dispatch dispatch;
      dispatch.response.emplace();
      dispatch.response->status = offset == 0 && length == content_.size() ? 200 : 206;
      dispatch.response->file = std::make_shared<storage::ObjectReader>(std::move(*reader));
      dispatch.response->file_offset = offset;
      dispatch.response->file_length = length;
      dispatch.response->body = "ignored when a file is set";
      dispatch.response->log = Facts("src", "REST.GET.OBJECT", "big");
      dispatch.response->log.object_size = content_.size();
      return dispatch;
    });
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::SqliteStore> store_;
  std::string content_;
};

TEST_F(ServerFileTest, WholeObjectIsStreamedFromTheFile) {
  StartServer();
  ServeRange(0, content_.size());
  Client client(port());
  client.Send("GET /src/big HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[testing::bhttp::field::content_length], std::to_string(content_.size()));
  EXPECT_TRUE(response.body() == content_);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_sent, content_.size());
  EXPECT_EQ(records[0].object_size, content_.size());
}

TEST_F(ServerFileTest, RangeIsStreamedAndTheConnectionKept) {
  StartServer();
  ServeRange(100'000, 200'001);
  Client client(port());
  client.Send("GET /src/big HTTP/1.1\r\nHost: localhost\r\nRange: bytes=100000-300000\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 206);
  EXPECT_TRUE(response.body() == content_.substr(100'000, 200'001));
  client.Send("HEAD /src/big HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto head = client.Read(/*head_request=*/true);
  EXPECT_EQ(head.result_int(), 206);
  EXPECT_TRUE(head.body().empty());
  auto records = access_log_.WaitFor(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].bytes_sent, 200'001u);
}

}  // namespace
}  // namespace logbucket::http
