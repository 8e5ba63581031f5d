// The JSON Schema subset used by llm_judge output schemas: checked at load time, and every judge
// answer is validated against it (a violation is an error, never a negative verdict).
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "triage/detect.h"

namespace tracery::triage {
namespace {

using Json = nlohmann::json;
constexpr int kMaxSchemaDepth = 32;

const std::set<std::string>& Keywords() {
  static const std::set<std::string> k = {
      "type",      "properties", "required",  "additionalProperties", "items",    "enum",
      "const",     "minimum",    "maximum",   "exclusiveMinimum",     "exclusiveMaximum",
      "minLength", "maxLength",  "minItems",  "maxItems",             "pattern",  "title",
      "description", "default",  "examples",  "format",               "$schema"};
  return k;
}

const std::set<std::string>& Types() {
  static const std::set<std::string> t = {"object", "array", "string", "number", "integer", "boolean", "null"};
  return t;
}

Status Bad(const std::string& path, const std::string& msg) {
  return InvalidArgumentError(fmt::format("{}: {}", path, msg));
}

Status CheckNode(const Json& s, const std::string& path, int depth) {
  if (depth > kMaxSchemaDepth) return Bad(path, "schema nested too deeply");
  if (!s.is_object()) return Bad(path, "a schema must be a mapping");
  for (const auto& [key, v] : s.items()) {
    if (!Keywords().count(key)) return Bad(path + "." + key, "unsupported JSON Schema keyword");
    if (key == "type") {
      if (v.is_string()) {
        if (!Types().count(v.get<std::string>())) return Bad(path + ".type", fmt::format("unknown type {}", v.dump()));
      } else if (v.is_array() && !v.empty()) {
        for (const auto& t : v) {
          if (!t.is_string() || !Types().count(t.get<std::string>())) {
            return Bad(path + ".type", fmt::format("unknown type {}", t.dump()));
          }
        }
      } else {
        return Bad(path + ".type", "must be a type name or a list of them");
      }
    } else if (key == "properties") {
      if (!v.is_object()) return Bad(path + ".properties", "must be a mapping");
      for (const auto& [name, sub] : v.items()) {
        TRACERY_RETURN_IF_ERROR(CheckNode(sub, path + ".properties." + name, depth + 1));
      }
    } else if (key == "required") {
      if (!v.is_array()) return Bad(path + ".required", "must be a list of property names");
      for (const auto& r : v) {
        if (!r.is_string()) return Bad(path + ".required", "must be a list of property names");
      }
    } else if (key == "additionalProperties") {
      if (!v.is_boolean()) TRACERY_RETURN_IF_ERROR(CheckNode(v, path + ".additionalProperties", depth + 1));
    } else if (key == "items") {
      TRACERY_RETURN_IF_ERROR(CheckNode(v, path + ".items", depth + 1));
    } else if (key == "enum") {
      if (!v.is_array() || v.empty()) return Bad(path + ".enum", "must be a non-empty list");
    } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" || key == "exclusiveMaximum") {
      if (!v.is_number()) return Bad(path + "." + key, "must be a number");
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) return Bad(path + "." + key, "must be a non-negative integer");
    } else if (key == "pattern") {
      if (!v.is_string()) return Bad(path + ".pattern", "must be a string");
      TRACERY_RETURN_IF_ERROR(CheckRegex(v.get<std::string>()).WithContext(path + ".pattern"));
    }
  }
  return OkStatus();
}

bool HasType(const Json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      const double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
  }
  return false;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A short preview of a value for error messages. Containers are described, not dumped: a judge
// answer may be nested thousands deep, and dump() recurses once per level.
std::string Short(const Json& v) {
  if (v.is_array()) return fmt::format("an array of {} item(s)", v.size());
  if (v.is_object()) return fmt::format("an object with {} key(s)", v.size());
  std::string d = v.dump();
  if (d.size() > 60) d = d.substr(0, 57) + "...";
  return d;
}

Status Validate(const Json& s, const Json& v, const std::string& path, int depth) {
  if (depth > kMaxSchemaDepth) return Bad(path, "value nested too deeply");
  if (auto t = s.find("type"); t != s.end()) {
    bool ok = false;
    if (t->is_string()) {
      ok = HasType(v, t->get<std::string>());
    } else {
      for (const auto& x : *t) ok = ok || HasType(v, x.get<std::string>());
    }
    if (!ok) return Bad(path, fmt::format("expected type {}, got {}", t->dump(), Short(v)));
  }
  if (auto e = s.find("enum"); e != s.end()) {
    bool ok = false;
    for (const auto& x : *e) ok = ok || x == v;
    if (!ok) return Bad(path, fmt::format("{} is not one of {}", Short(v), Short(*e)));
  }
  if (auto c = s.find("const"); c != s.end() && *c != v) {
    return Bad(path, fmt::format("{} is not {}", Short(v), Short(*c)));
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (auto m = s.find("minimum"); m != s.end() && d < m->get<double>()) return Bad(path, fmt::format("{} < minimum {}", d, m->get<double>()));
    if (auto m = s.find("maximum"); m != s.end() && d > m->get<double>()) return Bad(path, fmt::format("{} > maximum {}", d, m->get<double>()));
    if (auto m = s.find("exclusiveMinimum"); m != s.end() && d <= m->get<double>()) return Bad(path, fmt::format("{} <= exclusiveMinimum {}", d, m->get<double>()));
    if (auto m = s.find("exclusiveMaximum"); m != s.end() && d >= m->get<double>()) return Bad(path, fmt::format("{} >= exclusiveMaximum {}", d, m->get<double>()));
  }
  if (v.is_string()) {
    const std::string& str = v.get_ref<const std::string&>();
    const size_t n = CodePoints(str);
    if (auto m = s.find("minLength"); m != s.end() && n < m->get<size_t>()) return Bad(path, fmt::format("shorter than minLength {}", m->get<size_t>()));
    if (auto m = s.find("maxLength"); m != s.end() && n > m->get<size_t>()) return Bad(path, fmt::format("longer than maxLength {}", m->get<size_t>()));
    if (auto p = s.find("pattern"); p != s.end()) {
      RE2::Options opt;
      opt.set_log_errors(false);
      RE2 re(p->get<std::string>(), opt);
      if (!re.ok() || !RE2::PartialMatch(str, re)) return Bad(path, fmt::format("does not match pattern {}", p->dump()));
    }
  }
  if (v.is_array()) {
    if (auto m = s.find("minItems"); m != s.end() && v.size() < m->get<size_t>()) return Bad(path, fmt::format("fewer than minItems {}", m->get<size_t>()));
    if (auto m = s.find("maxItems"); m != s.end() && v.size() > m->get<size_t>()) return Bad(path, fmt::format("more than maxItems {}", m->get<size_t>()));
    if (auto it = s.find("items"); it != s.end()) {
      for (size_t i = 0; i < v.size(); ++i) {
        TRACERY_RETURN_IF_ERROR(Validate(*it, v[i], fmt::format("{}[{}]", path, i), depth + 1));
      }
    }
  }
  if (v.is_object()) {
    if (auto r = s.find("required"); r != s.end()) {
      for (const auto& name : *r) {
        if (!v.contains(name.get<std::string>())) {
          return Bad(path, fmt::format("missing required property \"{}\"", name.get<std::string>()));
        }
      }
    }
    const auto props = s.find("properties");
    const auto extra = s.find("additionalProperties");
    for (const auto& [key, sub] : v.items()) {
      const std::string p = path + "." + key;
      if (props != s.end() && props->contains(key)) {
        TRACERY_RETURN_IF_ERROR(Validate((*props)[key], sub, p, depth + 1));
      } else if (extra != s.end()) {
        if (extra->is_boolean()) {
          if (!extra->get<bool>()) return Bad(p, "additional property not allowed");
        } else {
          TRACERY_RETURN_IF_ERROR(Validate(*extra, sub, p, depth + 1));
        }
      }
    }
  }
  return OkStatus();
}

}  // namespace

Status CheckOutputSchema(const std::string& schema_json) {
  Json s = Json::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (s.is_discarded() || !s.is_object()) return InvalidArgumentError("output_schema must be a mapping");
  auto type = s.find("type");
  if (type == s.end() || !type->is_string() || type->get<std::string>() != "object") {
    return InvalidArgumentError("output_schema must have type: object");
  }
  bool required = false;
  if (auto r = s.find("required"); r != s.end() && r->is_array()) {
    for (const auto& x : *r) required = required || (x.is_string() && x.get<std::string>() == "positive");
  }
  if (!required) return InvalidArgumentError("output_schema must list `positive` in required");
  auto props = s.find("properties");
  if (props == s.end() || !props->is_object() || !props->contains("positive") ||
      !(*props)["positive"].is_object() || (*props)["positive"].value("type", Json()) != Json("boolean")) {
    return InvalidArgumentError("output_schema.properties.positive must have type: boolean");
  }
  try {
    return CheckNode(s, "output_schema", 0).WithContext("invalid output_schema");
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("invalid output_schema: {}", e.what()));
  }
}

Status ValidateAgainstSchema(const std::string& schema_json, const std::string& value_json) {
  Json s = Json::parse(schema_json, nullptr, false);
  if (s.is_discarded()) return InvalidArgumentError("output schema is not valid JSON");
  Json v = Json::parse(value_json, nullptr, false);
  if (v.is_discarded()) return InvalidArgumentError("judge output is not valid JSON");
  try {
    return Validate(s, v, "$", 0);
  } catch (const Json::exception& e) {  // a schema that did not pass CheckOutputSchema
    return InvalidArgumentError(fmt::format("output schema is malformed: {}", e.what()));
  }
}

}  // namespace tracery::triage
