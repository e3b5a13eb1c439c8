#include "server/http/tls_context.h"

#include <openssl/err.h>

#include <string_view>

namespace logbucket::http {
namespace {

namespace ssl = boost::asio::ssl;

std::string Quote(const std::filesystem::path& path) { return "\"" + path.string() + "\""; }

// The first queued OpenSSL error's reason, else the error code's message; clears the queue.
std::string Reason(const boost::system::error_code& ec) {
  unsigned long code = ERR_peek_error();
  std::string reason = ec.message();
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    if (text) reason = text;
  }
  ERR_clear_error();
  return reason;
}

}  // namespace

std::expected<std::unique_ptr<ssl::context>, std::string> MakeServerTlsContext(
    const TlsOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec || SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return std::unexpected("TLS: cannot configure the OpenSSL context: " + Reason(ec));
  }
  ERR_clear_error();
  if (context->use_certificate_chain_file(options.cert_file.string(), ec); ec) {
    return std::unexpected("tls.cert_file " + Quote(options.cert_file) +
                           ": not a usable PEM certificate (" + Reason(ec) + ")");
  }
  if (context->use_private_key_file(options.key_file.string(), ssl::context::pem, ec); ec) {
    std::string reason = Reason(ec);
    // OpenSSL reports a key of another certificate while loading it.
    if (reason.find("values mismatch") != std::string::npos) {
      return std::unexpected("tls.key_file " + Quote(options.key_file) +
                             ": does not match tls.cert_file " + Quote(options.cert_file));
    }
    return std::unexpected("tls.key_file " + Quote(options.key_file) +
                           ": not a usable PEM private key (" + reason + ")");
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return std::unexpected("tls.key_file " + Quote(options.key_file) +
                           ": does not match tls.cert_file " + Quote(options.cert_file));
  }
  return context;
}

NegotiatedTls NegotiatedOf(const SSL* ssl) {
  NegotiatedTls negotiated;
  if (const char* version = SSL_get_version(ssl)) negotiated.version = version;
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    if (const char* name = SSL_CIPHER_get_name(cipher)) negotiated.cipher = name;
  }
  return negotiated;
}

}  // namespace logbucket::http
