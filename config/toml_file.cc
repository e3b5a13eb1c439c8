#include "config/toml_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "config/accounts.h"
#include "config/settings_table.h"

namespace logbucket::config {
namespace {

std::unexpected<ConfigError> Fail(std::string message) {
  return std::unexpected(ConfigError{std::move(message)});
}

std::string Position(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

// How a value is written in the file, for messages: strings quoted, the rest as TOML prints it.
std::string Display(const toml::node& node) {
  if (const auto* text = node.as_string()) {
    return "\"" + text->get() + "\"";
  }
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

// The text form of a TOML value for `type`, or nullopt when the TOML type cannot mean it.
// Numbers may be native integers (seconds for durations, bytes for sizes) or strings ("5s");
// booleans may be native or words; names and addresses must be strings.
std::optional<std::string> TextForm(const toml::node& node, SettingType type) {
  if (const auto* text = node.as_string()) {
    return text->get();
  }
  switch (type) {
    case SettingType::kBool:
      if (const auto* value = node.as_boolean()) {
        return value->get() ? "true" : "false";
      }
      return std::nullopt;
    case SettingType::kInteger:
    case SettingType::kDuration:
    case SettingType::kSize:
      if (const auto* value = node.as_integer()) {
        return std::to_string(value->get());
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::vector<std::string> SettingNames() {
  std::vector<std::string> names;
  for (const Setting& setting : Settings()) {
    names.push_back(setting.name);
  }
  return names;
}

std::string Hint(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string closest = ClosestName(name, candidates);
  return closest.empty() ? "" : " (did you mean " + closest + "?)";
}

// A string field of an [[accounts]] table or of one of its users.
std::expected<std::string, ConfigError> StringField(const toml::node& node, std::string_view where,
                                                    std::string_view source) {
  const auto* text = node.as_string();
  if (!text) {
    return Fail(Position(source, node.source()) + ": " + std::string(where) + " = " +
                Display(node) + ": expected a string (in quotes)");
  }
  return text->get();
}

std::expected<User, ConfigError> ReadUser(const toml::node& node, const std::string& where,
                                          std::string_view source) {
  const auto* table = node.as_table();
  if (!table) {
    return Fail(Position(source, node.source()) + ": " + where +
                ": expected a table { name = \"...\", access_key = \"...\", secret_key = "
                "\"...\" }");
  }
  User user;
  for (auto&& [key, value] : *table) {
    const std::string field = where + "." + std::string(key.str());
    std::string* target = key == "name"         ? &user.name
                          : key == "access_key" ? &user.access_key
                          : key == "secret_key" ? &user.secret_key
                                                : nullptr;
    if (!target) {
      return Fail("unknown key " + field + " in " + Position(source, key.source()) +
                  ": expected name, access_key or secret_key");
    }
    auto text = StringField(value, field, source);
    if (!text) {
      return std::unexpected(text.error());
    }
    *target = std::move(*text);
  }
  return user;
}

std::expected<Account, ConfigError> ReadAccount(const toml::node& node, const std::string& where,
                                                std::string_view source) {
  const auto* table = node.as_table();
  if (!table) {
    return Fail(Position(source, node.source()) + ": " + where +
                ": expected an [[accounts]] table with id and users");
  }
  Account account;
  for (auto&& [key, value] : *table) {
    const std::string field = where + "." + std::string(key.str());
    if (key == "users") {
      const auto* users = value.as_array();
      if (!users) {
        return Fail(Position(source, value.source()) + ": " + field +
                    ": expected an array of { name, access_key, secret_key } tables");
      }
      for (size_t i = 0; i < users->size(); ++i) {
        auto user = ReadUser(*users->get(i), field + "[" + std::to_string(i) + "]", source);
        if (!user) {
          return std::unexpected(user.error());
        }
        account.users.push_back(std::move(*user));
      }
      continue;
    }
    std::string* target = key == "id"             ? &account.id
                          : key == "canonical_id" ? &account.canonical_id
                          : key == "display_name" ? &account.display_name
                                                  : nullptr;
    if (!target) {
      return Fail("unknown key " + field + " in " + Position(source, key.source()) +
                  ": expected id, canonical_id, display_name or users");
    }
    auto text = StringField(value, field, source);
    if (!text) {
      return std::unexpected(text.error());
    }
    *target = std::move(*text);
  }
  if (account.id.empty()) {
    return Fail(Position(source, node.source()) + ": " + where +
                " has no id: expected id = \"<12 digits>\"");
  }
  return account;
}

std::expected<void, ConfigError> ApplyAccounts(const toml::node& node, std::string_view source,
                                               Config& config) {
  if (node.is_string()) {  // the compact form is accepted in the file too
    const Setting* setting = FindSetting("accounts");
    if (auto set = setting->set(config, node.as_string()->get()); !set) {
      return Fail(Position(source, node.source()) + ": accounts = " + Display(node) + ": " +
                  set.error());
    }
    return {};
  }
  const auto* array = node.as_array();
  if (!array) {
    return Fail(Position(source, node.source()) +
                ": accounts: expected [[accounts]] tables or a string " +
                std::string(kCompactAccountsForm));
  }
  std::vector<Account> accounts;
  for (size_t i = 0; i < array->size(); ++i) {
    auto account = ReadAccount(*array->get(i), "accounts[" + std::to_string(i) + "]", source);
    if (!account) {
      return std::unexpected(account.error());
    }
    accounts.push_back(std::move(*account));
  }
  if (auto finished = FinishAccounts(accounts); !finished) {
    return Fail(Position(source, node.source()) + ": accounts: " + finished.error());
  }
  config.accounts = std::move(accounts);
  return {};
}

std::expected<void, ConfigError> ApplySection(const std::string& section, const toml::table& table,
                                              std::string_view source, Config& config) {
  for (auto&& [key, value] : table) {
    const std::string name = section + "." + std::string(key.str());
    const Setting* setting = FindSetting(name);
    if (!setting) {
      return Fail("unknown setting " + name + " in " + Position(source, key.source()) +
                  Hint(name, SettingNames()));
    }
    const auto text = TextForm(value, setting->type);
    if (!text) {
      return Fail(Position(source, value.source()) + ": " + name + " = " + Display(value) +
                  ": expected " + setting->expected);
    }
    if (auto set = setting->set(config, *text); !set) {
      return Fail(Position(source, value.source()) + ": " + name + " = " + Display(value) + ": " +
                  set.error());
    }
  }
  return {};
}

}  // namespace

std::expected<void, ConfigError> ApplyTomlText(std::string_view text, std::string_view source,
                                               Config& config) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    return Fail("cannot parse " + Position(source, error.source()) + ": " +
                std::string(error.description()));
  }
  std::vector<std::string> sections;
  for (const Setting& setting : Settings()) {
    const size_t dot = setting.name.find('.');
    if (dot != std::string::npos) {
      sections.push_back(setting.name.substr(0, dot));
    }
  }
  for (auto&& [key, node] : root) {
    const std::string name(key.str());
    if (name == "accounts") {
      if (auto applied = ApplyAccounts(node, source, config); !applied) {
        return applied;
      }
      continue;
    }
    const auto* table = node.as_table();
    if (!table) {
      return Fail("unknown setting " + name + " in " + Position(source, key.source()) +
                  Hint(name, SettingNames()) + ": settings belong in [section] tables");
    }
    if (std::ranges::find(sections, name) == sections.end()) {
      return Fail("unknown section [" + name + "] in " + Position(source, key.source()) +
                  Hint(name, sections));
    }
    if (auto applied = ApplySection(name, *table, source, config); !applied) {
      return applied;
    }
  }
  return {};
}

std::expected<void, ConfigError> ApplyTomlFile(const std::filesystem::path& path, Config& config) {
  const std::string name = path.string();
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return Fail("cannot read the settings file " + name + ": it is a directory");
  }
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(name.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) {
    return Fail("cannot read the settings file " + name + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[8192];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, count);
  }
  if (std::ferror(file.get())) {
    return Fail("cannot read the settings file " + name + ": " + std::strerror(errno));
  }
  return ApplyTomlText(text, name, config);
}

}  // namespace logbucket::config
