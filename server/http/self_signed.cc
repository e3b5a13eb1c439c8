#include "server/http/self_signed.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string_view>
#include <system_error>

namespace logbucket::http {
namespace {

constexpr int kRsaBits = 2048;
constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;
constexpr std::string_view kCertName = "cert.pem";
constexpr std::string_view kKeyName = "key.pem";

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using File = std::unique_ptr<FILE, FileCloser>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

// The most recent OpenSSL error as text (and the queue cleared).
std::string OpenSslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  return std::string(what) + ": " + text;
}

Cert ReadCertificate(const std::filesystem::path& path) {
  File file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return Cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
}

Pkey ReadKey(const std::filesystem::path& path) {
  File file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return Pkey(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
}

// Whether the existing pair can be used as it is for `domain`.
bool Reusable(const std::filesystem::path& cert_path, const std::filesystem::path& key_path,
              const std::string& domain) {
  Cert cert = ReadCertificate(cert_path);
  Pkey key = ReadKey(key_path);
  bool ok = cert && key && X509_check_private_key(cert.get(), key.get()) == 1 &&
            X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0 &&
            X509_check_host(cert.get(), domain.data(), domain.size(), 0, nullptr) == 1;
  // OpenSSL honours a wildcard only with two labels after it (not "*.localhost"); where it
  // does, the virtual-hosted names must be covered too.
  if (ok && domain.find('.') != std::string::npos) {
    ok = X509_check_host(cert.get(), ("bucket." + domain).c_str(), 0, 0, nullptr) == 1;
  }
  ERR_clear_error();
  return ok;
}

std::expected<void, std::string> AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (!extension) return std::unexpected(OpenSslError("certificate extension " + value));
  int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return std::unexpected(OpenSslError("certificate extension " + value));
  return {};
}

std::expected<Cert, std::string> MakeCertificate(EVP_PKEY* key, const std::string& domain) {
  Cert cert(X509_new());
  if (!cert) return std::unexpected(OpenSslError("X509_new"));
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return std::unexpected(OpenSslError("RAND_bytes"));
  serial[0] &= 0x7f;  // a positive serial number
  BIGNUM* serial_bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = serial_bn && BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
  BN_free(serial_bn);
  ok = ok && X509_set_version(cert.get(), X509_VERSION_3) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) != nullptr;
  ok = ok && X509_set_pubkey(cert.get(), key) == 1;
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add_entry = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  ok = ok && add_entry("O", "Logbucket") && add_entry("CN", "Logbucket local " + domain);
  ok = ok && X509_set_issuer_name(cert.get(), name) == 1;
  if (!ok) return std::unexpected(OpenSslError("building the certificate"));
  std::string alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (domain != "localhost") alt_names += ",DNS:" + domain;
  alt_names += ",DNS:*." + domain;
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")},
        std::pair{NID_key_usage, std::string("critical,digitalSignature,keyEncipherment,"
                                             "keyCertSign")},
        std::pair{NID_ext_key_usage, std::string("serverAuth")},
        std::pair{NID_subject_key_identifier, std::string("hash")},
        std::pair{NID_authority_key_identifier, std::string("keyid:always")},
        std::pair{NID_subject_alt_name, alt_names}}) {
    if (auto added = AddExtension(cert.get(), nid, value); !added) {
      return std::unexpected(added.error());
    }
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return std::unexpected(OpenSslError("signing the certificate"));
  }
  return cert;
}

// Writes `write(file)` to `path` through a temporary file created with `mode`, then renames it.
template <typename Write>
std::expected<void, std::string> WriteFileAtomically(const std::filesystem::path& path, mode_t mode,
                                                     Write write) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  std::filesystem::remove(temp);
  mode_t old_mask = ::umask(0777 & ~mode);
  File file(std::fopen(temp.c_str(), "w"));
  ::umask(old_mask);
  if (!file) return std::unexpected(temp.string() + ": cannot create the file");
  bool written = write(file.get());
  bool closed = std::fclose(file.release()) == 0;
  if (!written || !closed) return std::unexpected(OpenSslError(temp.string() + ": write failed"));
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) return std::unexpected(path.string() + ": " + error.message());
  return {};
}

}  // namespace

std::expected<CertificateFiles, std::string> EnsureSelfSignedCertificate(
    const std::filesystem::path& dir, const std::string& domain) {
  CertificateFiles files{dir / kCertName, dir / kKeyName, false};
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return std::unexpected(dir.string() + ": cannot create the directory: " + error.message());
  if (Reusable(files.cert_file, files.key_file, domain)) return files;

  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kRsaBits)));
  if (!key) return std::unexpected(OpenSslError("generating an RSA key"));
  auto cert = MakeCertificate(key.get(), domain);
  if (!cert) return std::unexpected(cert.error());
  // The key first: a crash before the certificate's rename leaves a pair that is not reused.
  auto key_written = WriteFileAtomically(files.key_file, 0600, [&](FILE* file) {
    return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  if (!key_written) return std::unexpected(key_written.error());
  auto cert_written = WriteFileAtomically(
      files.cert_file, 0644, [&](FILE* file) { return PEM_write_X509(file, cert->get()) == 1; });
  if (!cert_written) return std::unexpected(cert_written.error());
  files.generated = true;
  return files;
}

}  // namespace logbucket::http
