// XML codec shared pieces: the S3 namespace, S3's timestamp format and S3's URL encoding of
// listing values. Every S3 document is parsed or rendered by one Parse…/Render… function in the
// other headers of this folder (bucket_xml.h, acl_xml.h, logging_xml.h, list_xml.h, delete_xml.h,
// multipart_xml.h, error_xml.h); nothing outside server/s3/xml builds XML by hand.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace logbucket::s3::xml {

// Default namespace on the root of every document S3 renders (except Error).
inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
// Namespace of the xsi:type attribute on Grantee elements.
inline constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
// The declaration every rendered document starts with, followed by a newline, as S3 writes it.
inline constexpr std::string_view kXmlDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

// Milliseconds since the Unix epoch (UTC) as S3 writes them in XML: "2009-10-12T17:50:30.000Z".
// Times before 1970 are rendered correctly (floor division), years are four digits.
std::string FormatIso8601(int64_t ms_since_epoch);

// The encoding S3 applies to keys, prefixes, delimiters and markers in listings when the
// request says encoding-type=url. Every byte except the unreserved A-Z a-z 0-9 - _ . ~ and the
// path separator '/' becomes %XX (upper-case hex); a space is %20, not '+'. S3's own character
// set is undocumented; this one decodes correctly with botocore's unquote_plus and with every
// URL decoder, because '+' itself is encoded.
std::string UrlEncodeListingValue(std::string_view value);

}  // namespace logbucket::s3::xml
