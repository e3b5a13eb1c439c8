// RenderError: the one renderer of S3's XML error body. Every S3Error that reaches a client
// (except NotModified, which has no body) is written by this function.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

#include "server/s3/s3_error.h"

namespace logbucket::s3::xml {

// <?xml …?>\n<Error><Code/><Message/>[extra elements in order][<Resource/>]<RequestId/><HostId/>
// </Error>, without a namespace on Error, as S3 writes it. An empty e.message is replaced by the
// table's default message. request_id and host_id are the x-amz-request-id and x-amz-id-2 values.
std::string RenderError(const S3Error& e, std::string_view request_id, std::string_view host_id);

}  // namespace logbucket::s3::xml
