// The session's body paths: a Content-Length body read past the parser must stop exactly at its
// end, so a request pipelined behind it in the same segment is served intact.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/http/http_fakes.h"

namespace logbucket::http {
namespace {

using testing::Client;
using testing::Pattern;
using SessionBodyTest = testing::ServerFixture;

TEST_F(SessionBodyTest, RequestPipelinedBehindALargeBodyIsServed) {
  StartServer();
  auto log = UseSink();
  // Larger than one body piece, so that both the buffered bytes and direct reads are used.
  std::string body = Pattern((600 << 10) + 7);
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body +
              "PUT /src/second HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(client.Read().result_int(), 200);
  EXPECT_EQ(client.Read().result_int(), 200);
  auto heads = handler_.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[1].target, "/src/second");
  std::lock_guard lock(log->mutex);
  ASSERT_EQ(log->bytes.size(), body.size() + 5);
  EXPECT_TRUE(log->bytes.substr(0, body.size()) == body);
  EXPECT_EQ(log->bytes.substr(body.size()), "hello");
}

TEST_F(SessionBodyTest, BodyCutShortIsIncompleteBody) {
  StartServer();
  auto log = UseSink();
  Client client(port());
  client.Send("PUT /src/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" +
              Pattern(70000));
  client.ShutdownSend();
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  std::lock_guard lock(log->mutex);
  EXPECT_EQ(log->aborted_with, "IncompleteBody");
  EXPECT_EQ(log->bytes.size(), 70000u);
}

}  // namespace
}  // namespace logbucket::http
