// RequestHandler: what the transport needs from the S3 layer. s3::Service implements it; the
// transport's tests use a fake.
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include "server/s3/request.h"
#include "server/s3/response.h"
#include "server/s3/s3_error.h"

namespace logbucket::s3 {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Routes, authenticates and runs (or prepares, for a body) one request.
  virtual Dispatch Start(RequestHead head) = 0;
  // An error answer for a request the transport could not hand over (header too large,
  // unparsable request line): not routed, not logged. Carries the request/host id headers.
  virtual Response TransportError(const RequestHead& head, const S3Error& error) const = 0;
};

}  // namespace logbucket::s3
