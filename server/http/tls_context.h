// The server's OpenSSL context (private to server/http): TLS 1.2 minimum, the configured
// certificate chain and key, checked against each other. Also reads what a handshake
// negotiated, in the names the access log uses.
// Thread-safety: a built context is shared read-only by every TLS session.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <expected>
#include <memory>
#include <string>

#include "server/http/server.h"

namespace logbucket::http {

// Loads options.cert_file and options.key_file. Errors name the setting and the file:
// "tls.key_file \"k.pem\": does not match tls.cert_file \"c.pem\"".
std::expected<std::unique_ptr<boost::asio::ssl::context>, std::string> MakeServerTlsContext(
    const TlsOptions& options);

struct NegotiatedTls {
  std::string version;  // SSL_get_version: "TLSv1.2", "TLSv1.3"
  std::string cipher;   // OpenSSL name: "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"
};

// What the completed handshake on `ssl` negotiated.
NegotiatedTls NegotiatedOf(const SSL* ssl);

}  // namespace logbucket::http
