#include "server/http/wire.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

namespace logbucket::http {
namespace {

using namespace std::chrono_literals;

TEST(NewRequestId, IsSixteenUpperCaseHexDigitsAndVaries) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 16u);
    for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(NewHostId, IsBase64OfFiftySixBytes) {
  std::string id = NewHostId();
  ASSERT_EQ(id.size(), 76u);
  EXPECT_EQ(id.back(), '=');
  EXPECT_NE(id[74], '=');
  for (size_t i = 0; i + 1 < id.size(); ++i) {
    char c = id[i];
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') << id;
  }
  EXPECT_NE(id, NewHostId());
}

TEST(FormatHttpDate, IsImfFixdate) {
  // 1994-11-06 08:49:37 UTC, RFC 7231's example.
  auto time = std::chrono::system_clock::time_point(784111777s);
  EXPECT_EQ(FormatHttpDate(time), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(std::chrono::system_clock::time_point(0s)),
            "Thu, 01 Jan 1970 00:00:00 GMT");
}

struct FramingCase {
  const char* name;
  int status;
  bool head_request;
  bool send_body;
  uint64_t length;
};

TEST(PlanResponse, BodylessStatusesAndHeadSendNothing) {
  const FramingCase cases[] = {
      {"get 200", 200, false, true, 5},  {"get 404", 404, false, true, 5},
      {"head 200", 200, true, false, 0}, {"head 404", 404, true, false, 0},
      {"204", 204, false, false, 0},     {"304", 304, false, false, 0},
  };
  for (const auto& c : cases) {
    s3::Response response;
    response.status = c.status;
    response.body = "hello";
    ResponseFraming framing = PlanResponse(response, c.head_request);
    EXPECT_EQ(framing.send_body, c.send_body) << c.name;
    EXPECT_EQ(framing.body_length, c.length) << c.name;
  }
}

TEST(RenderResponseHead, AddsTransportFieldsAndDropsTheHandlersCopies) {
  s3::Response response;
  response.status = 404;
  response.body = "0123456789";
  response.headers.Add("x-amz-request-id", "ABC");
  response.headers.Add("Content-Length", "999");
  response.headers.Add("Server", "Other");
  std::string head = RenderResponseHead(response, false, true, false,
                                        std::chrono::system_clock::time_point(784111777s));
  EXPECT_EQ(head,
            "HTTP/1.1 404 Not Found\r\n"
            "x-amz-request-id: ABC\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: Logbucket\r\n"
            "Content-Length: 10\r\n"
            "\r\n");
}

TEST(RenderResponseHead, DateFollowsTheSecondAndDropsTransportFieldsInAnyCase) {
  s3::Response response;
  response.headers.Add("DATE", "x");
  response.headers.Add("transfer-encoding", "chunked");
  response.headers.Add("keep-alive", "timeout=5");
  response.headers.Add("x-amz-date", "kept");
  const auto t = std::chrono::system_clock::time_point(784111777s);
  for (auto [time, date] : {std::pair{t, "Sun, 06 Nov 1994 08:49:37 GMT"},
                            std::pair{t + 999ms, "Sun, 06 Nov 1994 08:49:37 GMT"},
                            std::pair{t + 1s, "Sun, 06 Nov 1994 08:49:38 GMT"},
                            std::pair{t - 1ms, "Sun, 06 Nov 1994 08:49:36 GMT"},
                            std::pair{t + 86400s, "Mon, 07 Nov 1994 08:49:37 GMT"}}) {
    const std::string expected = std::string("HTTP/1.1 200 OK\r\nx-amz-date: kept\r\nDate: ") +
                                 date + "\r\nServer: Logbucket\r\nContent-Length: 0\r\n\r\n";
    EXPECT_EQ(RenderResponseHead(response, false, true, false, time), expected);
  }
}

TEST(RenderResponseHead, ConnectionFieldFollowsKeepAlive) {
  s3::Response response;
  auto now = std::chrono::system_clock::now();
  EXPECT_NE(RenderResponseHead(response, false, false, false, now).find("Connection: close\r\n"),
            std::string::npos);
  EXPECT_EQ(RenderResponseHead(response, false, true, false, now).find("Connection:"),
            std::string::npos);
  EXPECT_NE(RenderResponseHead(response, false, true, true, now).find("Connection: keep-alive"),
            std::string::npos);
}

TEST(RenderResponseHead, HeadPassesTheResponsesContentLengthThrough) {
  s3::Response response;
  response.headers.Add("Content-Length", "1234");
  auto now = std::chrono::system_clock::now();
  EXPECT_NE(RenderResponseHead(response, true, true, false, now).find("Content-Length: 1234\r\n"),
            std::string::npos);
  s3::Response no_length;
  no_length.body = "<Error/>";
  EXPECT_EQ(RenderResponseHead(no_length, true, true, false, now).find("Content-Length"),
            std::string::npos);
}

TEST(RenderResponseHead, NoContentLengthOn204) {
  s3::Response response;
  response.status = 204;
  response.headers.Add("Content-Length", "0");
  std::string head =
      RenderResponseHead(response, false, true, false, std::chrono::system_clock::now());
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 204 No Content\r\n"));
}

TEST(RenderResponseHead, RemovesLineBreaksFromFields) {
  s3::Response response;
  response.headers.Add("x-amz-meta-a", "one\r\nInjected: yes");
  std::string head =
      RenderResponseHead(response, false, true, false, std::chrono::system_clock::now());
  EXPECT_NE(head.find("x-amz-meta-a: oneInjected: yes\r\n"), std::string::npos);
  EXPECT_EQ(head.find("\r\nInjected"), std::string::npos);
}

TEST(RenderResponseHead, UnknownStatusStillHasAReason) {
  s3::Response response;
  response.status = 299;
  std::string head =
      RenderResponseHead(response, false, true, false, std::chrono::system_clock::now());
  EXPECT_TRUE(head.starts_with("HTTP/1.1 299 Unknown\r\n")) << head;
}

}  // namespace
}  // namespace logbucket::http
