// DiscardBody: a Beast body type that counts the bytes of a message body and keeps only the first
// few hundred of them (for error diagnostics), so that the benchmark tools can receive bodies of
// any size (a 1 GiB GET, a 4 KiB PUT) without holding them in memory. Used by the load generator
// for responses and by the bare server for requests; neither ever serialises one.
// Thread-safety: a value belongs to one message.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

namespace logbucket::bench {

struct DiscardBody {
  // Bytes kept for diagnostics (an S3 error document fits).
  static constexpr size_t kSampleBytes = 1024;

  struct value_type {
    uint64_t bytes = 0;
    std::string sample;
  };

  class reader {
   public:
    template <bool kIsRequest, class Fields>
    reader(boost::beast::http::header<kIsRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<uint64_t>&, boost::beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      size_t total = 0;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers); ++it) {
        boost::asio::const_buffer b = *it;
        total += b.size();
        if (body_.sample.size() < kSampleBytes) {
          const size_t n = std::min(b.size(), kSampleBytes - body_.sample.size());
          body_.sample.append(static_cast<const char*>(b.data()), n);
        }
      }
      body_.bytes += total;
      ec = {};
      return total;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace logbucket::bench
