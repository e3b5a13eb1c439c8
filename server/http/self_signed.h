// The self-signed certificate of `tls.self_signed = true`: an RSA key and an X.509 v3
// certificate made with OpenSSL 3's EVP APIs, kept in a directory (<data_dir>/tls/) and reused
// on later starts. The certificate is its own CA, so clients trust it by being given its path
// (`aws --ca-bundle PATH`, boto3 `verify=PATH`, `curl --cacert PATH`).
// Thread-safety: call from one thread at start-up (it writes files).
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace logbucket::http {

struct CertificateFiles {
  std::filesystem::path cert_file;  // <dir>/cert.pem
  std::filesystem::path key_file;   // <dir>/key.pem, mode 0600
  bool generated = false;           // false when an existing pair was reused
};

// Returns the pair in `dir`, generating it (and `dir`) when it is missing, unreadable, expired
// or not valid for `domain`. The certificate's subjectAltNames are localhost, 127.0.0.1, ::1,
// `domain` and *.`domain` (virtual-hosted-style https), valid for ten years. Files are written
// to temporaries and renamed, so a crash never leaves a half-written pair in use.
std::expected<CertificateFiles, std::string> EnsureSelfSignedCertificate(
    const std::filesystem::path& dir, const std::string& domain);

}  // namespace logbucket::http
