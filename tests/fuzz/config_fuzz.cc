// Fuzzes the TOML configuration: ApplyTomlText on arbitrary text (toml++ parsing, the settings
// table, [[accounts]]), and the duration and size parsers the settings use. Invariants: text
// either applies or yields a message (never an empty one); a parsed duration or size is what
// the text says (re-parsing its decimal milliseconds/bytes gives the same value).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/toml_file.h"

namespace config = logbucket::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  config::Config cfg;
  auto applied = config::ApplyTomlText(text, "fuzz.toml", cfg);
  if (!applied && applied.error().message.empty()) std::abort();

  std::string line(text.substr(0, 64));
  if (auto d = config::ParseDuration(line)) {
    if (d->count() < 0) std::abort();
    auto again = config::ParseDuration(std::to_string(d->count()) + "ms");
    if (!again || *again != *d) std::abort();
  }
  if (auto s = config::ParseSize(line)) {
    auto again = config::ParseSize(std::to_string(*s));
    if (!again || *again != *s) std::abort();
  }
  return 0;
}
