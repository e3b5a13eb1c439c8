#include "server/s3/policy.h"

#include <nlohmann/json.hpp>

namespace logbucket::s3 {
namespace {

using nlohmann::json;

S3Error Malformed(std::string message) {
  return S3Error(ErrorCode::kMalformedPolicy, std::move(message));
}

std::vector<std::string> StringsOf(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

// Condition values: strings, and booleans or numbers written without quotes ("Bool":
// {"aws:SecureTransport": false} is as common as "false").
std::vector<std::string> ConditionValuesOf(const json& v) {
  std::vector<std::string> out;
  auto add = [&](const json& e) {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    } else if (e.is_boolean()) {
      out.push_back(e.get<bool>() ? "true" : "false");
    } else if (e.is_number()) {
      out.push_back(e.dump());
    }
  };
  if (v.is_array()) {
    for (const auto& e : v) add(e);
  } else {
    add(v);
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && WildcardMatch(a, b, true) &&
         a.find_first_of("*?") == std::string_view::npos;
}

bool ValidStringOrList(const json& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v) {
    if (!e.is_string()) return false;
  }
  return true;
}

bool PrincipalMatches(const json& principal, const PolicyRequest& r) {
  if (principal.is_string()) return principal.get<std::string>() == "*";
  if (!principal.is_object()) return false;
  for (const auto& [kind, values] : principal.items()) {
    for (const auto& p : StringsOf(values)) {
      if (kind == "Service" && !r.service.empty() && p == r.service) return true;
      if (kind == "CanonicalUser" && r.service.empty() && !r.canonical_id.empty() &&
          p == r.canonical_id) {
        return true;
      }
      if (kind == "AWS" && r.service.empty()) {
        if (p == "*") return true;
        if (!r.account_id.empty() &&
            (p == r.account_id || p == "arn:aws:iam::" + r.account_id + ":root" || p == r.user_arn)) {
          return true;
        }
      }
    }
  }
  return false;
}

bool AnyMatches(const json& patterns, std::string_view value, bool ignore_case) {
  for (const auto& p : StringsOf(patterns)) {
    if (WildcardMatch(p, value, ignore_case)) return true;
  }
  return false;
}

bool ConditionsHold(const json& condition, const PolicyRequest& r) {
  if (!condition.is_object()) return true;
  for (const auto& [qualified_op, tests] : condition.items()) {
    if (!tests.is_object()) return false;
    std::string_view op = qualified_op;
    bool if_exists = op.ends_with("IfExists");
    if (if_exists) op.remove_suffix(8);
    for (const auto& [key, values] : tests.items()) {
      auto it = r.context.find(key);
      bool present = it != r.context.end();
      std::string actual = present ? it->second : "";
      std::vector<std::string> expected = ConditionValuesOf(values);
      if (op == "Null") {
        // "true": the key must be absent; "false": present.
        bool want_absent = !expected.empty() && EqualsIgnoreCase(expected.front(), "true");
        if (want_absent == present) return false;
        continue;
      }
      if (!present && if_exists) continue;
      bool match = false;
      bool negated = op.starts_with("StringNot") || op.starts_with("ArnNot");
      for (const auto& v : expected) {
        if (!present) break;
        if (op == "StringEquals" || op == "ArnEquals" || op == "StringNotEquals" ||
            op == "ArnNotEquals") {
          match = match || v == actual;
        } else if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") {
          match = match || EqualsIgnoreCase(v, actual);
        } else if (op == "StringLike" || op == "ArnLike" || op == "StringNotLike" ||
                   op == "ArnNotLike") {
          match = match || WildcardMatch(v, actual, false);
        } else if (op == "Bool") {
          match = match || EqualsIgnoreCase(v, actual);
        } else {
          return false;  // an operator Logbucket does not evaluate never matches
        }
      }
      if (negated ? match : !match) return false;
    }
  }
  return true;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto eq = [&](char a, char b) {
    if (ignore_case) {
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    }
    return a == b;
  };
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::expected<void, S3Error> ValidateBucketPolicy(std::string_view text, std::string_view bucket) {
  if (text.empty() || text.front() != '{') {
    return std::unexpected(Malformed("Policies must be valid JSON and the first byte must be '{'"));
  }
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return std::unexpected(Malformed("Policies must be valid JSON and the first byte must be '{'"));
  }
  if (doc.contains("Version")) {
    if (!doc["Version"].is_string() ||
        (doc["Version"] != "2012-10-17" && doc["Version"] != "2008-10-17")) {
      return std::unexpected(Malformed("The policy must contain a valid version string"));
    }
  }
  if (!doc.contains("Statement")) return std::unexpected(Malformed("Missing required field Statement"));
  json statements = doc["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array() || statements.empty()) {
    return std::unexpected(Malformed("Missing required field Statement"));
  }
  std::string bucket_arn = "arn:aws:s3:::" + std::string(bucket);
  for (const auto& s : statements) {
    if (!s.is_object()) return std::unexpected(Malformed("Statement is not an object"));
    if (!s.contains("Effect")) return std::unexpected(Malformed("Missing required field Effect"));
    if (!s["Effect"].is_string() || (s["Effect"] != "Allow" && s["Effect"] != "Deny")) {
      return std::unexpected(Malformed("Invalid effect: " + s["Effect"].dump()));
    }
    if (!s.contains("Principal") && !s.contains("NotPrincipal")) {
      return std::unexpected(Malformed("Missing required field Principal"));
    }
    const json& principal = s.contains("Principal") ? s["Principal"] : s["NotPrincipal"];
    if (!(principal.is_string() && principal == "*") && !principal.is_object()) {
      return std::unexpected(Malformed("Invalid principal in policy"));
    }
    if (principal.is_object()) {
      for (const auto& [kind, values] : principal.items()) {
        if ((kind != "AWS" && kind != "Service" && kind != "CanonicalUser" &&
             kind != "Federated") ||
            !ValidStringOrList(values)) {
          return std::unexpected(Malformed("Invalid principal in policy"));
        }
      }
    }
    if (!s.contains("Action") && !s.contains("NotAction")) {
      return std::unexpected(Malformed("Missing required field Action"));
    }
    const json& actions = s.contains("Action") ? s["Action"] : s["NotAction"];
    if (!ValidStringOrList(actions)) return std::unexpected(Malformed("Policy has invalid action"));
    for (const auto& a : StringsOf(actions)) {
      if (a != "*" && !(a.size() > 3 && (a.starts_with("s3:") || a.starts_with("S3:")))) {
        return std::unexpected(Malformed("Policy has invalid action"));
      }
    }
    if (!s.contains("Resource") && !s.contains("NotResource")) {
      return std::unexpected(Malformed("Missing required field Resource"));
    }
    const json& resources = s.contains("Resource") ? s["Resource"] : s["NotResource"];
    if (!ValidStringOrList(resources)) {
      return std::unexpected(Malformed("Policy has invalid resource"));
    }
    for (const auto& r : StringsOf(resources)) {
      if (r != "*" && r != bucket_arn && !r.starts_with(bucket_arn + "/")) {
        return std::unexpected(Malformed("Policy has invalid resource"));
      }
    }
    if (s.contains("Condition") && !s["Condition"].is_object()) {
      return std::unexpected(Malformed("Invalid Condition block"));
    }
  }
  return {};
}

PolicyDecision EvaluatePolicy(std::string_view text, const PolicyRequest& r) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Statement")) {
    return PolicyDecision::kNoMatch;
  }
  json statements = doc["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  bool allowed = false;
  for (const auto& s : statements) {
    if (!s.is_object()) continue;
    bool principal = s.contains("Principal") ? PrincipalMatches(s["Principal"], r)
                     : s.contains("NotPrincipal") ? !PrincipalMatches(s["NotPrincipal"], r)
                                                  : false;
    bool action = s.contains("Action") ? AnyMatches(s["Action"], r.action, true)
                  : s.contains("NotAction") ? !AnyMatches(s["NotAction"], r.action, true)
                                            : false;
    bool resource = s.contains("Resource") ? AnyMatches(s["Resource"], r.resource, false)
                    : s.contains("NotResource") ? !AnyMatches(s["NotResource"], r.resource, false)
                                                : false;
    if (!principal || !action || !resource) continue;
    if (s.contains("Condition") && !ConditionsHold(s["Condition"], r)) continue;
    if (s.value("Effect", "") == "Deny") return PolicyDecision::kDeny;
    if (s.value("Effect", "") == "Allow") allowed = true;
  }
  return allowed ? PolicyDecision::kAllow : PolicyDecision::kNoMatch;
}

}  // namespace logbucket::s3
