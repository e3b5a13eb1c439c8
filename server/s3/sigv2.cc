#include "server/s3/sigv2.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <map>

#include "server/s3/checksum.h"

namespace logbucket::s3::sigv2 {
namespace {

// Query parameters that are part of the signed resource (Amazon's list).
constexpr std::array<std::string_view, 33> kSubresources = {
    "acl",       "cors",         "delete",     "lifecycle",      "location",
    "logging",   "notification", "partNumber", "policy",         "requestPayment",
    "restore",   "tagging",      "torrent",    "uploadId",       "uploads",
    "versionId", "versioning",   "versions",   "website",        "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "replication", "encryption", "accelerate",
    "analytics", "metrics", "inventory", "ownershipControls", "publicAccessBlock"};

std::string Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

}  // namespace

std::string StringToSign(const StringToSignInput& in) {
  std::string out;
  out += in.method;
  out += '\n';
  out += in.headers->Get("content-md5").value_or("");
  out += '\n';
  out += in.headers->Get("content-type").value_or("");
  out += '\n';
  out += in.date;
  out += '\n';
  std::map<std::string, std::string> amz;
  for (const auto& field : in.headers->fields()) {
    std::string name = ToLower(field.name);
    if (!name.starts_with("x-amz-")) continue;
    auto [it, inserted] = amz.emplace(name, Trim(field.value));
    if (!inserted) it->second += "," + Trim(field.value);
  }
  for (const auto& [name, value] : amz) out += name + ":" + value + "\n";
  out += in.resource_path;
  std::vector<std::pair<std::string, std::string>> signed_params;
  for (const auto& [name, value] : *in.query) {
    if (std::find(kSubresources.begin(), kSubresources.end(), name) != kSubresources.end()) {
      signed_params.emplace_back(name, value);
    }
  }
  std::sort(signed_params.begin(), signed_params.end());
  char sep = '?';
  for (const auto& [name, value] : signed_params) {
    out += sep;
    out += name;
    if (!value.empty()) out += "=" + value;
    sep = '&';
  }
  return out;
}

std::string Signature(std::string_view secret_key, std::string_view string_to_sign) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), secret_key.data(), static_cast<int>(secret_key.size()),
       reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(),
       digest, &length);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace logbucket::s3::sigv2
