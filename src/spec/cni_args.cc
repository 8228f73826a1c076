// src/spec/cni_args.cc — CNI_ARGS parsing and formatting (see cni_args.h).
#include "src/spec/cni_args.h"

#include <algorithm>
#include <cctype>

#include "src/spec/go_text.h"

namespace cni::spec {
namespace {

// strings.Split(s, sep): always at least one element; "" -> [""].
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Expected<std::vector<CniArg>> parseCniArgsStrict(std::string_view args) {
  std::vector<CniArg> out;
  if (args.empty()) return out;
  for (std::string_view pair : split(args, ';')) {
    auto kv = split(pair, '=');
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return fail(ErrorCode::kInvalidEnvironmentVariables,
                  "invalid CNI_ARGS pair " + goQuote(pair));
    }
    out.emplace_back(std::string(kv[0]), std::string(kv[1]));
  }
  return out;
}

std::string formatCniArgs(std::span<const CniArg> args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += ';';
    out += args[i].first;
    out += '=';
    out += args[i].second;
  }
  return out;
}

const std::string* LoadedArgs::get(std::string_view key) const {
  for (auto it = known.rbegin(); it != known.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

Expected<LoadedArgs> loadArgs(std::string_view args, std::span<const std::string_view> known_keys) {
  LoadedArgs out;
  if (args.empty()) return out;
  for (std::string_view pair : split(args, ';')) {
    auto kv = split(pair, '=');
    if (kv.size() != 2) {
      return fail(ErrorCode::kInvalidEnvironmentVariables, "ARGS: invalid pair " + goQuote(pair));
    }
    if (kv[0] == "IgnoreUnknown") {  // CommonArgs field, UnmarshallableBool
      std::string v = lower(kv[1]);
      if (v == "1" || v == "true") {
        out.ignore_unknown = true;
      } else if (v == "0" || v == "false") {
        out.ignore_unknown = false;
      } else {
        return fail(ErrorCode::kInvalidEnvironmentVariables,
                    "ARGS: error parsing value of pair " + goQuote(pair) +
                        ": boolean unmarshal error: invalid input " + v + ")");
      }
      continue;
    }
    bool is_known = std::find(known_keys.begin(), known_keys.end(), kv[0]) != known_keys.end();
    if (is_known) {
      out.known.emplace_back(std::string(kv[0]), std::string(kv[1]));
    } else {
      out.unknown.emplace_back(pair);
    }
  }
  if (!out.unknown.empty() && !out.ignore_unknown) {
    return fail(ErrorCode::kInvalidEnvironmentVariables,
                "ARGS: unknown args " + goQuoteList(out.unknown));
  }
  return out;
}

}  // namespace cni::spec
