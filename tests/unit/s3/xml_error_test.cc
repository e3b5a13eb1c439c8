#include <gtest/gtest.h>

#include "server/s3/xml/error_xml.h"

namespace logbucket::s3::xml {
namespace {

TEST(RenderErrorTest, WritesCodeMessageExtrasResourceAndIdsInS3Order) {
  S3Error error(ErrorCode::kInvalidTargetBucketForLogging,
                "The owner for the bucket to be logged and the target bucket must be the same.");
  error.With("TargetBucket", "zalando-mint-logs");
  EXPECT_EQ(RenderError(error, "81D384E70B2F779E", "gQUj5alT+3L8AlFsqYd9Os/XGVvl="),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Error><Code>InvalidTargetBucketForLogging</Code>"
            "<Message>The owner for the bucket to be logged and the target bucket must be the "
            "same.</Message><TargetBucket>zalando-mint-logs</TargetBucket>"
            "<RequestId>81D384E70B2F779E</RequestId>"
            "<HostId>gQUj5alT+3L8AlFsqYd9Os/XGVvl=</HostId></Error>");
}

TEST(RenderErrorTest, ResourceFollowsExtrasAndDefaultMessageFillsAnEmptyOne) {
  S3Error error(ErrorCode::kNoSuchKey, "");
  error.resource = "/mybucket/my \"foto\" <1>.jpg";
  error.With("Key", "my \"foto\" <1>.jpg").With("BucketName", "mybucket");
  EXPECT_EQ(RenderError(error, "4442587FB7D0A2F9", "h"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Error><Code>NoSuchKey</Code><Message>" +
                std::string(ErrorDefaultMessage(ErrorCode::kNoSuchKey)) +
                "</Message><Key>my &quot;foto&quot; &lt;1&gt;.jpg</Key>"
                "<BucketName>mybucket</BucketName>"
                "<Resource>/mybucket/my &quot;foto&quot; &lt;1&gt;.jpg</Resource>"
                "<RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>");
}

TEST(RenderErrorTest, CrossLocationErrorKeepsTheTrailingSpaceOfTheMessage) {
  S3Error error(ErrorCode::kCrossLocationLoggingProhibitted);
  error.With("TargetBucketLocation", "eu-west-1");
  const std::string xml = RenderError(error, "R", "H");
  EXPECT_NE(xml.find("<Code>CrossLocationLoggingProhibitted</Code>"
                     "<Message>Cross S3 location logging not allowed. </Message>"
                     "<TargetBucketLocation>eu-west-1</TargetBucketLocation>"),
            std::string::npos)
      << xml;
}

}  // namespace
}  // namespace logbucket::s3::xml
