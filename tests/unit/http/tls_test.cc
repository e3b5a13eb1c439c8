// HTTPS: the real Server on port 0 with a generated self-signed certificate, driven by a
// Beast/OpenSSL client: TLS and plain HTTP on one port, the negotiated version and cipher in
// the request head and the access-log record, a broken handshake, a separate TLS listener,
// certificate/key errors and the reuse of the generated pair.
#include <openssl/ssl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "server/http/self_signed.h"
#include "server/http/server.h"
#include "tests/unit/http/http_fakes.h"

namespace logbucket::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using testing::Client;
using testing::Facts;
using testing::Respond;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("logbucket-tls-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A blocking TLS client that trusts only `ca_file`; `max_version` caps the protocol.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::filesystem::path& ca_file, int max_version = 0)
      : context_(asio::ssl::context::tls_client), stream_(io_, context_) {
    context_.load_verify_file(ca_file.string());
    context_.set_verify_mode(asio::ssl::verify_peer);
    if (max_version) SSL_set_max_proto_version(stream_.native_handle(), max_version);
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    stream_.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream_).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.handshake(asio::ssl::stream_base::client);
  }
  bhttp::response<bhttp::string_body> Get(const std::string& target) {
    bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
    request.set(bhttp::field::host, "localhost");
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    bhttp::write(stream_, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream_, buffer_, response);
    return response;
  }
  std::string version() { return SSL_get_version(stream_.native_handle()); }
  std::string cipher() {
    return SSL_CIPHER_get_name(SSL_get_current_cipher(stream_.native_handle()));
  }
  // Closes with close_notify; true when the server answered with its own.
  bool Shutdown() {
    beast::error_code ec;
    stream_.shutdown(ec);
    return !ec;
  }

 private:
  asio::io_context io_;
  asio::ssl::context context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

class TlsTest : public testing::ServerFixture {
 protected:
  TlsTest() {
    auto files = EnsureSelfSignedCertificate(dir_.path() / "tls", "localhost");
    if (!files) throw std::runtime_error(files.error());
    files_ = *files;
  }
  ServerOptions TlsServerOptions() {
    ServerOptions options;
    options.tls = TlsOptions{files_.cert_file, files_.key_file, std::nullopt, 0};
    return options;
  }

  TempDir dir_;
  CertificateFiles files_;
};

TEST_F(TlsTest, TlsAndPlainHttpShareOnePort) {
  StartServer(TlsServerOptions());
  EXPECT_EQ(server_->server().tls_port(), port());
  TlsClient tls(port(), files_.cert_file);
  auto first = tls.Get("/b/over-tls");
  auto second = tls.Get("/b/again");  // keep-alive over TLS
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(second.body(), "ok");
  EXPECT_TRUE(tls.Shutdown());

  Client plain(port());
  plain.Send("GET /b/plain HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(plain.Read().result_int(), 200);

  auto heads = handler_.heads();
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_TRUE(heads[0].tls);
  EXPECT_EQ(heads[0].tls_version, tls.version());
  EXPECT_EQ(heads[0].tls_cipher, tls.cipher());
  EXPECT_TRUE(heads[0].tls_version == "TLSv1.3" || heads[0].tls_version == "TLSv1.2")
      << heads[0].tls_version;
  EXPECT_EQ(heads[1].tls_cipher, heads[0].tls_cipher);
  EXPECT_EQ(heads[0].remote_ip, "127.0.0.1");
  EXPECT_FALSE(heads[2].tls);
  EXPECT_EQ(heads[2].tls_version, "");
  EXPECT_EQ(heads[2].tls_cipher, "");
}

TEST_F(TlsTest, RecordCarriesNegotiatedVersionAndCipher) {
  StartServer(TlsServerOptions());
  handler_.SetBehaviour([](const s3::RequestHead&) {
    return Respond(200, "data", Facts("src", "REST.GET.OBJECT", "k"));
  });
  TlsClient tls12(port(), files_.cert_file, TLS1_2_VERSION);
  EXPECT_EQ(tls12.Get("/src/k").result_int(), 200);
  auto records = access_log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].tls_version, "TLSv1.2");
  EXPECT_EQ(records[0].cipher_suite, tls12.cipher());
  // OpenSSL's name for a TLS 1.2 suite, e.g. ECDHE-RSA-AES256-GCM-SHA384.
  EXPECT_TRUE(records[0].cipher_suite.starts_with("ECDHE-RSA-")) << records[0].cipher_suite;
  EXPECT_EQ(records[0].bytes_sent, 4u);

  TlsClient tls13(port(), files_.cert_file);
  EXPECT_EQ(tls13.Get("/src/k").result_int(), 200);
  records = access_log_.WaitFor(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].tls_version, "TLSv1.3");
  EXPECT_TRUE(records[1].cipher_suite.starts_with("TLS_")) << records[1].cipher_suite;
}

TEST_F(TlsTest, BrokenHandshakeDoesNotHurtTheServer) {
  StartServer(TlsServerOptions());
  {
    Client garbage(port());
    // A TLS handshake record announcing a ClientHello whose body is garbage.
    garbage.Send(std::string("\x16\x03\x01\x00\x20\x01", 6) + std::string(31, 'x'));
    // The server may answer with an alert (a few bytes); then it closes.
    bool closed = false;
    for (int i = 0; i < 1024 && !closed; ++i) closed = garbage.ServerClosed();
    EXPECT_TRUE(closed);
  }
  {
    Client hangs_up(port());
    hangs_up.Send(std::string("\x16\x03\x01", 3));
  }
  TlsClient tls(port(), files_.cert_file);
  EXPECT_EQ(tls.Get("/b/k").result_int(), 200);
  Client plain(port());
  plain.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(plain.Read().result_int(), 200);
  EXPECT_EQ(handler_.heads().size(), 2u);
}

TEST_F(TlsTest, TlsOnlyOnASeparateListener) {
  ServerOptions options = TlsServerOptions();
  options.tls->listen_host = "127.0.0.1";
  options.tls->listen_port = 0;
  StartServer(options);
  uint16_t tls_port = server_->server().tls_port();
  ASSERT_NE(tls_port, 0);
  ASSERT_NE(tls_port, port());
  TlsClient tls(tls_port, files_.cert_file);
  EXPECT_EQ(tls.Get("/b/k").result_int(), 200);
  // The main port is plain HTTP only: a TLS handshake there fails.
  EXPECT_THROW(TlsClient(port(), files_.cert_file), boost::system::system_error);
  Client plain(port());
  plain.Send("GET /b/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(plain.Read().result_int(), 200);
  auto heads = handler_.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_TRUE(heads[0].tls);
  EXPECT_FALSE(heads[1].tls);
}

TEST_F(TlsTest, ListenNamesTheSettingOfABadCertificateOrKey) {
  auto other = EnsureSelfSignedCertificate(dir_.path() / "other", "localhost");
  ASSERT_TRUE(other) << other.error();
  ServerOptions options;
  options.port = 0;
  options.tls = TlsOptions{files_.cert_file, other->key_file, std::nullopt, 0};
  Server mismatched(options, handler_, access_log_, {});
  auto listened = mismatched.Listen();
  ASSERT_FALSE(listened);
  EXPECT_NE(listened.error().find("tls.key_file \"" + other->key_file.string() +
                                  "\": does not match tls.cert_file"),
            std::string::npos)
      << listened.error();

  options.tls = TlsOptions{files_.key_file, files_.key_file, std::nullopt, 0};
  Server not_a_certificate(options, handler_, access_log_, {});
  listened = not_a_certificate.Listen();
  ASSERT_FALSE(listened);
  EXPECT_NE(listened.error().find("tls.cert_file \"" + files_.key_file.string() + "\""),
            std::string::npos)
      << listened.error();
}

TEST_F(TlsTest, SelfSignedPairIsReusedAndRenewedForAnotherDomain) {
  std::string cert = ReadFile(files_.cert_file);
  EXPECT_TRUE(files_.generated);
  EXPECT_EQ(std::filesystem::status(files_.key_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto again = EnsureSelfSignedCertificate(dir_.path() / "tls", "localhost");
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(ReadFile(again->cert_file), cert);
  auto renamed = EnsureSelfSignedCertificate(dir_.path() / "tls", "s3.example.test");
  ASSERT_TRUE(renamed) << renamed.error();
  EXPECT_TRUE(renamed->generated);
  EXPECT_NE(ReadFile(renamed->cert_file), cert);
}

}  // namespace
}  // namespace logbucket::http
