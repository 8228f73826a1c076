// plugins/meta/tuning_conf.cc — decoding and validating the tuning plugin's configuration:
// Go-typed keys, the override order, duplicate sysctl keys, the allowlist, sysctl paths.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "plugins/meta/tuning.h"
#include "src/common/errno_text.h"
#include "src/common/file_text.h"
#include "src/skel/skel.h"
#include "src/spec/cni_args.h"
#include "src/spec/go_json.h"

namespace cni::plugins::tuning {
namespace {

namespace fs = std::filesystem;

Status readSysctlMap(const Json& obj, std::string_view path,
                     std::map<std::string, std::string>* out) {
  const Json* v = pluginkit::FieldReader(obj, std::string(path)).raw("sysctl");
  if (!v) return {};
  if (!v->is_object()) {
    return failPlain(
        spec::goFieldTypeError(*v, std::string(path) + ".sysctl", "map[string]string"));
  }
  for (const auto& [k, val] : v->items()) {
    if (val.is_null()) continue;
    if (!val.is_string()) {
      return failPlain(spec::goFieldTypeError(val, std::string(path) + ".sysctl", "string"));
    }
    (*out)[k] = val.get<std::string>();
  }
  return {};
}

}  // namespace

Expected<TuningConf> parseConf(std::string_view stdin_data, std::string_view env_args) {
  TuningConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainNoDetails(net.error(), "failed to load netconf"));
  c.net = std::move(*net);
  const Json& raw = c.net.raw;
  pluginkit::FieldReader f(raw, "TuningConf");
  Status s = f.string("dataDir", &c.data_dir);
  if (s) s = readSysctlMap(raw, "TuningConf", &c.sysctl);
  if (s) s = f.string("mac", &c.mac);
  if (s) s = f.boolean("promisc", &c.promisc);
  if (s) s = f.integer("mtu", &c.mtu);
  if (s) {
    if (const Json* v = f.raw("allmulti")) {
      if (!v->is_boolean()) {
        s = fail(f.typeError(*v, "allmulti", "bool"));
      } else {
        c.allmulti = v->get<bool>();
      }
    }
  }
  if (s) s = f.optionalInteger("txQLen", &c.txqlen);
  std::string rc_mac;
  if (s) {
    if (const Json* rc = f.raw("runtimeConfig")) {
      s = pluginkit::FieldReader(*rc, "TuningConf.runtimeConfig").string("mac", &rc_mac);
    }
  }
  // args.cni.*
  const Json* cni_args = nullptr;
  if (s) {
    if (const Json* a = f.raw("args"); a && a->is_object()) {
      cni_args = pluginkit::FieldReader(*a, "TuningConf.args").raw("cni");
      if (cni_args && !cni_args->is_object()) cni_args = nullptr;
    }
  }
  TuningConf args_over;
  std::optional<std::string> a_mac;
  std::optional<int> a_mtu, a_txqlen;
  std::optional<bool> a_promisc, a_allmulti;
  if (s && cni_args) {
    pluginkit::FieldReader a(*cni_args, "IPAMArgs");
    s = readSysctlMap(*cni_args, "IPAMArgs", &args_over.sysctl);
    if (s) s = a.optionalString("mac", &a_mac);
    if (s) s = a.optionalInteger("mtu", &a_mtu);
    if (s) s = a.optionalInteger("txQLen", &a_txqlen);
    for (auto [key, out] : {std::pair{"promisc", &a_promisc}, std::pair{"allmulti", &a_allmulti}}) {
      if (!s) break;
      if (const Json* v = a.raw(key)) {
        if (!v->is_boolean()) {
          s = fail(a.typeError(*v, key, "bool"));
        } else {
          *out = v->get<bool>();
        }
      }
    }
  }
  if (!s) return fail(plainNoDetails(s.error(), "failed to load netconf"));

  if (c.data_dir.empty()) c.data_dir = kDefaultDataDir;
  if (!env_args.empty()) {
    static constexpr std::string_view kKnown[] = {"MAC"};
    auto loaded = spec::loadArgs(env_args, kKnown);
    if (!loaded) return fail(plainNoDetails(loaded.error()));
    if (const std::string* m = loaded->get("MAC"); m && !m->empty()) c.mac = *m;
  }
  if (!rc_mac.empty()) c.mac = rc_mac;
  for (auto& [k, v] : args_over.sysctl) c.sysctl[k] = v;
  if (a_mac) c.mac = *a_mac;
  if (a_promisc) c.promisc = *a_promisc;
  if (a_mtu) c.mtu = *a_mtu;
  if (a_allmulti) c.allmulti = a_allmulti;
  if (a_txqlen) c.txqlen = a_txqlen;
  c.valid_attachments = pluginkit::validAttachments(raw);
  return c;
}

namespace {

// HEAD's duplicate check: the same key twice in a "sysctl" object is refused (nlohmann keeps
// only the last, so the raw text is scanned).
class DupSysctlScan : public nlohmann::json_sax<Json> {
 public:
  bool duplicate = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    in_sysctl_ = depth_ == 2 && last_top_key_is_sysctl_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) last_top_key_is_sysctl_ = equalsIgnoreCase(k, "sysctl");
    if (depth_ == 2 && in_sysctl_ && !seen_.insert(k).second) duplicate = true;
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) in_sysctl_ = false;
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  static bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }
  int depth_ = 0;
  bool last_top_key_is_sysctl_ = false;
  bool in_sysctl_ = false;
  std::set<std::string> seen_;
};

}  // namespace

Status checkDuplicateSysctls(std::string_view stdin_data) {
  DupSysctlScan scan;
  (void)Json::sax_parse(stdin_data, &scan, nlohmann::json::input_format_t::json, false);
  if (scan.duplicate) return failPlain("duplicated sysctl keys are not allowed");
  return {};
}

// The allowlist: one regex per non-blank line; absent file = no restriction.
Status validateAllowlist(const TuningConf& c) {
  std::error_code ec;
  if (!fs::exists(kAllowlistFile, ec)) return {};
  auto text = readFileText(std::string(kAllowlistFile));
  if (!text) {
    return failPlain("open " + std::string(kAllowlistFile) + ": " + goErrnoText(errno));
  }
  std::vector<std::string> allow;
  for (std::string_view line : splitLines(*text)) {
    const auto b = line.find_first_not_of(" \t\r\n\v\f");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r\n\v\f");
    allow.emplace_back(line.substr(b, e - b + 1));
  }
  for (const auto& [key, value] : c.sysctl) {
    bool match = false;
    for (const std::string& pattern : allow) {
      try {
        if (std::regex_search(key, std::regex(pattern, std::regex::ECMAScript))) {
          match = true;
          break;
        }
      } catch (const std::regex_error& e) {
        return failPlain("error parsing regexp: " + std::string(e.what()) + ": `" + pattern + "`");
      }
    }
    if (!match) {
      std::string list = "[";
      for (size_t i = 0; i < allow.size(); ++i) list += (i ? " " : "") + allow[i];
      return failPlain("Sysctl " + key +
                       " is not allowed. Only the following sysctls are allowed: " + list + "]");
    }
  }
  return {};
}

// "net.ipv4.conf.IFNAME.arp_notify" -> "/proc/sys/net/ipv4/conf/eth0/arp_notify", lexically
// cleaned; anything that does not stay under /proc/sys/net/ is refused.
Expected<std::string> sysctlPath(std::string_view key, std::string_view ifname) {
  std::string k(key);
  std::replace(k.begin(), k.end(), '.', '/');
  if (auto pos = k.find("IFNAME"); pos != std::string::npos) k.replace(pos, 6, ifname);
  const std::string path = fs::path("/proc/sys/" + k).lexically_normal().string();
  if (!path.starts_with("/proc/sys/net/")) {
    return failPlain("invalid net sysctl key: \"" + std::string(key) + "\"");
  }
  return path;
}

}  // namespace cni::plugins::tuning
