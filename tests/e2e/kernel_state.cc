// tests/e2e/kernel_state.cc — networking state of a namespace as comparable text (see header).
#include "tests/e2e/kernel_state.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

#include "tests/testutil/run.h"

namespace cni::e2e {
namespace {

// One exec per snapshot: every command runs inside the namespace (`ip netns exec` also
// remounts /sys, and /proc/sys/net follows the caller's netns).
constexpr const char* kScript = R"SH(
echo @@link; ip -d -j addr show
echo; echo @@route; ip -j route show table all
echo; echo @@rule4; ip -4 -j rule show
echo; echo @@rule6; ip -6 -j rule show
echo; echo @@sysctl
cd /proc/sys/net && grep -H '' ipv4/ip_forward ipv6/conf/all/forwarding \
  ipv4/conf/*/arp_notify ipv4/conf/*/route_localnet ipv4/conf/*/proxy_arp ipv4/conf/*/rp_filter \
  ipv6/conf/*/accept_ra ipv6/conf/*/accept_dad ipv6/conf/*/enhanced_dad \
  ipv6/conf/*/disable_ipv6 ipv6/conf/*/keep_addr_on_down 2>/dev/null
r=$(nft -s list ruleset 2>/dev/null)
echo @@nft; echo "$r"
# iptables-save only when iptables-nft tables exist (saves two execs per snapshot otherwise).
echo @@iptables; case "$r" in *"table ip "*) iptables-save 2>/dev/null;; esac
echo @@ip6tables; case "$r" in *"table ip6 "*) ip6tables-save 2>/dev/null;; esac
echo @@end
)SH";

constexpr std::string_view kMasqTable = "table inet cni_plugins_masquerade";
// Our portmap's tables (plugins/meta/portmap.h).
constexpr std::string_view kHostportTables[] = {"table ip cni_hostport", "table ip6 cni_hostport"};

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// "aa:bb:cc:dd:ee:ff" at text[i], not part of a longer hex/colon run.
bool macAt(std::string_view t, size_t i) {
  if (i + 17 > t.size()) return false;
  for (size_t k = 0; k < 17; ++k) {
    char c = t[i + k];
    if (k % 3 == 2 ? c != ':' : !isHex(c)) return false;
  }
  if (i > 0 && (isHex(t[i - 1]) || t[i - 1] == ':')) return false;
  if (i + 17 < t.size() && (isHex(t[i + 17]) || t[i + 17] == ':')) return false;
  return true;
}

// "veth" + 8 lowercase hex at text[i], as a whole word.
bool vethAt(std::string_view t, size_t i) {
  if (t.substr(i, 4) != "veth" || i + 12 > t.size()) return false;
  for (size_t k = 4; k < 12; ++k) {
    char c = t[i + k];
    if (!isHex(c) || std::isupper(static_cast<unsigned char>(c))) return false;
  }
  if (i > 0 && std::isalnum(static_cast<unsigned char>(t[i - 1]))) return false;
  if (i + 12 < t.size() && std::isalnum(static_cast<unsigned char>(t[i + 12]))) return false;
  return true;
}

std::string str(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string field(const Json& obj, const char* key, const std::string& dflt = "-") {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return dflt;
  return str(obj[key]);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

Json parseArray(const std::string& text) {
  auto j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_array() ? j : Json::array();
}

void renderLinks(const Json& links, Snapshot& s) {
  // Carrier/operational flags follow the peer and linkwatch timing, not the plugin.
  static const std::set<std::string> kDynamicFlags = {"LOWER_UP", "NO-CARRIER", "M-DOWN", "DORMANT",
                                                      "ECHO"};
  static const char* kBridgeKeys[] = {
      "stp_state",   "vlan_filtering", "vlan_protocol",  "vlan_default_pvid", "forward_delay",
      "ageing_time", "priority",       "mcast_snooping", "nf_call_iptables",  "group_fwd_mask"};
  static const char* kPortKeys[] = {"hairpin",     "isolated",       "learning",  "flood",
                                    "bcast_flood", "mcast_flood",    "proxy_arp", "guard",
                                    "root_block",  "neigh_suppress", "locked",    "priority",
                                    "cost"};
  for (const auto& l : links) {
    std::string name = field(l, "ifname");
    const Json info = l.contains("linkinfo") ? l["linkinfo"] : Json::object();
    std::vector<std::string> flags;
    for (const auto& f : l.value("flags", Json::array())) {
      if (!kDynamicFlags.contains(str(f))) flags.push_back(str(f));
    }
    std::sort(flags.begin(), flags.end());
    std::string peer = "-";
    if (l.contains("link_netnsid")) {
      peer = "other-netns";
    } else if (l.contains("link") && !l["link"].is_null()) {
      peer = str(l["link"]);
    }
    s.sections["link"].push_back(
        "link " + name + " kind=" + field(info, "info_kind") + " mtu=" + field(l, "mtu") +
        " flags=" + join(flags, ",") + " promiscuity=" + field(l, "promiscuity") + " allmulti=" +
        field(l, "allmulti") + " mac=" + field(l, "address") + " master=" + field(l, "master") +
        " peer=" + peer + " txqlen=" + field(l, "txqlen") + " queues=" + field(l, "num_tx_queues") +
        "/" + field(l, "num_rx_queues") + " group=" + field(l, "group"));
    if (field(info, "info_kind") == "bridge" && info.contains("info_data")) {
      std::string line = "bridge " + name;
      for (const char* k : kBridgeKeys) {
        if (info["info_data"].contains(k))
          line += std::string(" ") + k + "=" + field(info["info_data"], k);
      }
      s.sections["bridge"].push_back(line);
    }
    if (field(info, "info_slave_kind") == "bridge" && info.contains("info_slave_data")) {
      std::string line = "port " + name;
      for (const char* k : kPortKeys) {
        if (info["info_slave_data"].contains(k)) {
          line += std::string(" ") + k + "=" + field(info["info_slave_data"], k);
        }
      }
      s.sections["bridge"].push_back(line);
    }
  }
}

void renderAddrs(const Json& links, Snapshot& s) {
  for (const auto& l : links) {
    for (const auto& a : l.value("addr_info", Json::array())) {
      std::string family = field(a, "family"), local = field(a, "local");
      // Kernel-generated link-local addresses appear when carrier comes up (asynchronous).
      if (family == "inet6" && local.starts_with("fe80:")) continue;
      std::string line =
          "addr " + field(l, "ifname") + " " + family + " " + local + "/" + field(a, "prefixlen");
      if (a.contains("address") && field(a, "address") != local) {
        line += " peer " + field(a, "address");
      }
      if (a.contains("broadcast")) line += " brd " + field(a, "broadcast");
      line += " scope " + field(a, "scope");
      s.sections["addr"].push_back(line);
    }
  }
}

// Policy routing rules (sbr, vrf): one line per rule, every key `ip -j rule` reports.
void renderRules(const Json& rules, const std::string& family, Snapshot& s) {
  for (const Json& r : rules) {
    if (!r.is_object()) continue;
    std::string line = "rule " + family;
    for (const auto& [k, v] : r.items())
      line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    s.sections["rule"].push_back(line);
  }
}

void renderRoutes(const Json& routes, Snapshot& s) {
  for (const auto& r : routes) {
    std::string dst = field(r, "dst"), type = field(r, "type", "unicast");
    std::string proto = field(r, "protocol");
    // The kernel's IPv6 link-local plumbing (fe80::/64, local fe80::x, ff00::/8) follows the
    // link-local addresses: asynchronous, and not the plugin's doing.
    if (proto == "kernel" && (dst.starts_with("fe80:") || dst == "ff00::/8")) continue;
    std::string line = field(r, "table", "main") + " " + type + " " + dst;
    if (r.contains("gateway")) line += " via " + field(r, "gateway");
    line += " dev " + field(r, "dev") + " proto " + proto + " scope " + field(r, "scope", "global");
    if (r.contains("metric")) line += " metric " + field(r, "metric");
    if (r.contains("prefsrc")) line += " src " + field(r, "prefsrc");
    if (r.contains("pref")) line += " pref " + field(r, "pref");
    for (const auto& m : r.value("metrics", Json::array())) {
      for (const auto& [k, v] : m.items()) line += " " + k + " " + str(v);
    }
    std::vector<std::string> flags;
    for (const auto& f : r.value("flags", Json::array())) {
      if (str(f) != "linkdown") flags.push_back(str(f));  // carrier: timing
    }
    if (!flags.empty()) line += " flags " + join(flags, ",");
    for (const auto& h : r.value("nexthops", Json::array())) {
      line += " nexthop via " + field(h, "gateway") + " dev " + field(h, "dev") + " weight " +
              field(h, "weight");
    }
    s.sections["route"].push_back(line);
  }
}

// `nft -s list ruleset` as (block path, statement) pairs.
std::vector<std::pair<std::string, std::string>> flattenNft(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> stack;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.starts_with("#")) continue;
    if (line == "}") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    if (line.ends_with("{") && !line.ends_with("= {")) {
      line.pop_back();
      while (!line.empty() && line.back() == ' ') line.pop_back();
      stack.push_back(line);
      if (stack.size() == 1) out.emplace_back(line, "");  // the table itself, even if empty
      continue;
    }
    out.emplace_back(join(stack, " / "), line);
  }
  return out;
}

std::string stripHostPrefix(std::string ip) {
  for (const char* suffix : {"/32", "/128"}) {
    if (ip.ends_with(suffix)) ip.resize(ip.size() - std::string_view(suffix).size());
  }
  return ip;
}

// Port mapping by meaning, whichever implementation wrote it (section `portmap`):
//   "dnat <proto> <hostIP|*>:<hostPort> -> <podIP>:<port> id=<cid>"
//   "hairpin-masq src=<pod subnet> dst=<podIP> id=<cid>"   (pod reaching itself via a hostPort)
//   "localhost-masq dst=<podIP> id=<cid>"                   (127.0.0.1:<hostPort> on the node)
// The tables, chains and jumps that carry them go to `portmap-infra` (left in place by both
// implementations, like iptables' chains). The reference masquerades by marking per port before
// DNAT; ours matches the DNATed pod address: the same packets, so the same meaning.
void renderOurPortmapRule(const std::string& path, const std::string& stmt, Snapshot& s) {
  static const std::regex kDnat(
      R"re(^(?:ip6? daddr (\S+) )?(\w+) dport (\d+) dnat to (\S+) comment "portmap net:\S+ id:(\S+) if:\S+"$)re");
  static const std::regex kHairpin(
      R"re(^ip6? saddr (\S+) ip6? daddr (\S+) ct status dnat masquerade comment "portmap net:\S+ id:(\S+) if:\S+"$)re");
  static const std::regex kLocal(
      R"re(^ip6? saddr (?:127\.0\.0\.1|::1) ip6? daddr (\S+) masquerade comment "portmap net:\S+ id:(\S+) if:\S+"$)re");
  std::smatch m;
  if (std::regex_match(stmt, m, kDnat)) {
    std::string host = m[1].matched ? m[1].str() : "*";
    s.sections["portmap"].push_back("dnat " + m[2].str() + " " + host + ":" + m[3].str() + " -> " +
                                    m[4].str() + " id=" + m[5].str());
  } else if (std::regex_match(stmt, m, kHairpin)) {
    s.sections["portmap"].push_back("hairpin-masq src=" + m[1].str() + " dst=" + m[2].str() +
                                    " id=" + m[3].str());
  } else if (std::regex_match(stmt, m, kLocal)) {
    s.sections["portmap"].push_back("localhost-masq dst=" + m[1].str() + " id=" + m[2].str());
  } else {
    s.sections["portmap-infra"].push_back(stmt.empty() ? path : path + ": " + stmt);
  }
}

// The reference's iptables portmap chains (nat table) into `portmap` tuples. Returns the lines
// that belong to portmap (removed from the iptables section).
std::set<std::string> extractIptablesPortmap(const std::vector<std::string>& lines, Snapshot& s) {
  static const std::regex kJump(
      R"re(^-A CNI-HOSTPORT-DNAT .*--comment "dnat name: \\"(.*)\\" id: \\"(.*)\\"" .*-j (CNI-DN-[0-9a-f]+)$)re");
  static const std::regex kDnat(
      R"re(^-A (CNI-DN-[0-9a-f]+) (?:-d (\S+) )?-p (\w+) -m \w+ --dport (\d+) -j DNAT --to-destination (\S+)$)re");
  static const std::regex kMark(
      R"re(^-A (CNI-DN-[0-9a-f]+) -s (\S+) (?:-d \S+ )?-p \w+ -m \w+ --dport \d+ -j CNI-HOSTPORT-SETMARK$)re");
  std::map<std::string, std::string> owner;  // CNI-DN chain -> container ID
  std::set<std::string> taken;
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, kJump)) owner[m[3].str()] = m[2].str();
  }
  // Pod addresses per chain (the DNAT targets), to express the mark rules by destination.
  std::map<std::string, std::vector<std::string>> pods;
  for (const auto& line : lines) {
    std::smatch m;
    if (!std::regex_match(line, m, kDnat) || !owner.contains(m[1].str())) continue;
    std::string host = m[2].matched ? stripHostPrefix(m[2].str()) : "*";
    s.sections["portmap"].push_back("dnat " + m[3].str() + " " + host + ":" + m[4].str() + " -> " +
                                    m[5].str() + " id=" + owner[m[1].str()]);
    std::string to = m[5].str();
    std::string ip =
        to.starts_with("[") ? to.substr(1, to.find(']') - 1) : to.substr(0, to.rfind(':'));
    pods[m[1].str()].push_back(ip);
    taken.insert(line);
  }
  std::set<std::string> marks;
  for (const auto& line : lines) {
    std::smatch m;
    if (!std::regex_match(line, m, kMark) || !owner.contains(m[1].str())) continue;
    std::string src = m[2].str();
    bool local = src == "127.0.0.1/32" || src == "::1/128";
    bool v6 = src.find(':') != std::string::npos;
    for (const auto& ip : pods[m[1].str()]) {
      if ((ip.find(':') != std::string::npos) != v6) continue;
      marks.insert(local ? "localhost-masq dst=" + ip + " id=" + owner[m[1].str()]
                         : "hairpin-masq src=" + src + " dst=" + ip + " id=" + owner[m[1].str()]);
    }
    taken.insert(line);
  }
  for (const auto& l : marks) s.sections["portmap"].push_back(l);
  for (const auto& line : lines) {
    if (line.find("CNI-HOSTPORT-") != std::string::npos ||
        line.find("CNI-DN-") != std::string::npos) {
      if (!taken.contains(line)) s.sections["portmap-infra"].push_back("nat: " + line);
      taken.insert(line);
    }
  }
  return taken;
}

// nft: drops the tables iptables-nft manages (reported by iptables-save instead), turns our
// masquerade table into `masq` tuples + `masq-infra`.
void renderNft(const std::string& text, const std::set<std::string>& iptables_tables, Snapshot& s) {
  static const std::regex kMasqRule(
      R"re(^(ip6?) saddr (\S+) ip6? daddr != (\S+) masquerade comment "[^,]*, net: (.*), if: (.*), id: (.*)"$)re");
  std::vector<std::string> masq;
  bool mcast4 = false, mcast6 = false, goto_checks = false;
  std::map<std::string, int> counters;
  for (const auto& [path, stmt] : flattenNft(text)) {
    std::string table = path.substr(0, path.find(" / "));
    if (iptables_tables.contains(table)) continue;
    if (table == kHostportTables[0] || table == kHostportTables[1]) {
      renderOurPortmapRule(path, stmt, s);
      continue;
    }
    if (table == kMasqTable) {
      std::smatch m;
      if (path == std::string(kMasqTable) + " / chain masq_checks" &&
          std::regex_match(stmt, m, kMasqRule)) {
        masq.push_back("masq src=" + m[2].str() + " exempt=" + m[3].str() + " net=" + m[4].str() +
                       " id=" + m[6].str());
        continue;
      }
      if (path.ends_with("/ chain postrouting")) {
        mcast4 |= stmt == "ip daddr 224.0.0.0/4 return";
        mcast6 |= stmt == "ip6 daddr ff00::/8 return";
        goto_checks |= stmt == "goto masq_checks";
      }
      if (!stmt.empty()) {
        s.sections["masq-infra"].push_back(path + " #" + std::to_string(counters[path]++) + ": " +
                                           stmt);
      }
      continue;
    }
    s.sections["nft"].push_back(
        stmt.empty() ? path : path + " #" + std::to_string(counters[path]++) + ": " + stmt);
  }
  // Multicast is exempted before the per-pod rules are reached (postrouting returns first).
  for (auto& t : masq) {
    bool v6 = t.find(':', t.find("src=")) < t.find(" exempt");
    if ((v6 ? mcast6 : mcast4) && goto_checks) t.insert(t.find(" net="), " mcast-exempt");
    s.sections["masq"].push_back(t);
  }
}

// iptables-save: extracts the reference's masquerade chains into `masq` tuples, keeps the
// rest (sorted, counters dropped) under `section`. Returns the nft names of the tables seen.
std::set<std::string> renderIptables(const std::string& text, const std::string& family,
                                     const std::string& section, Snapshot& s) {
  static const std::regex kJump(
      R"re(^-A POSTROUTING -s (\S+) -m comment --comment "name: \\"(.*)\\" id: \\"(.*)\\"" -j (CNI-[0-9a-f]+)$)re");
  static const std::regex kAccept(R"(^-A (\S+) -d (\S+) .*-j ACCEPT$)");
  static const std::regex kMasq(R"(^-A (\S+) ! -d (\S+) .*-j MASQUERADE$)");
  static const std::regex kCounters(R"( \[\d+:\d+\]$)");
  std::set<std::string> tables;
  std::map<std::string, std::vector<std::string>> by_table;
  std::string table;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with("#") || line == "COMMIT") continue;
    if (line.starts_with("*")) {
      table = line.substr(1);
      tables.insert("table " + family + " " + table);
      by_table[table];
      continue;
    }
    by_table[table].push_back(std::regex_replace(line, kCounters, ""));
  }
  for (auto& [name, lines] : by_table) {
    std::set<std::string> masq_chains;
    std::set<std::string> portmap_lines;
    if (name == "nat") {
      portmap_lines = extractIptablesPortmap(lines, s);
      for (const auto& line : lines) {
        std::smatch m;
        if (!std::regex_match(line, m, kJump)) continue;
        const std::string chain = m[4].str();
        std::vector<std::string> exempt;
        bool mcast = false;
        for (const auto& rule : lines) {  // evaluate the chain in order up to MASQUERADE
          std::smatch r;
          if (std::regex_match(rule, r, kAccept) && r[1].str() == chain) {
            exempt.push_back(r[2].str());
          } else if (std::regex_match(rule, r, kMasq) && r[1].str() == chain) {
            mcast = r[2].str() == "224.0.0.0/4" || r[2].str() == "ff00::/8";
            break;
          }
        }
        std::sort(exempt.begin(), exempt.end());
        s.sections["masq"].push_back(
            "masq src=" + stripHostPrefix(m[1].str()) + " exempt=" + join(exempt, ",") +
            (mcast ? " mcast-exempt" : "") + " net=" + m[2].str() + " id=" + m[3].str());
        masq_chains.insert(chain);
      }
    }
    std::vector<std::string> kept;
    bool has_content = false;
    for (const auto& line : lines) {
      std::smatch m;
      if (std::regex_match(line, m, kJump) && masq_chains.contains(m[4].str())) continue;
      if (portmap_lines.contains(line)) continue;
      bool in_masq_chain = false;
      for (const auto& c : masq_chains) {
        in_masq_chain |= line.starts_with("-A " + c + " ") || line.starts_with(":" + c + " ");
      }
      if (in_masq_chain) continue;
      // An empty built-in chain with policy ACCEPT is what iptables-nft creates on first use
      // and never removes: no state of any plugin.
      bool builtin_accept = line.starts_with(":") && line.ends_with(" ACCEPT") &&
                            std::all_of(line.begin() + 1, line.begin() + line.find(' '),
                                        [](char c) { return std::isupper(c) || c == '_'; });
      has_content |= !builtin_accept;
      kept.push_back(name + ": " + line);
    }
    if (has_content) {
      for (auto& k : kept) s.sections[section].push_back(std::move(k));
    }
  }
  return tables;
}

std::map<std::string, std::string> splitSections(const std::string& raw) {
  std::map<std::string, std::string> out;
  std::string current;
  std::istringstream in(raw);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("@@")) {
      current = line.substr(2);
      out[current];
      continue;
    }
    if (!current.empty()) out[current] += line + "\n";
  }
  return out;
}

}  // namespace

std::string Normaliser::apply(std::string_view text) {
  std::string aliased(text);
  for (const auto& [from, to] : aliases_) {
    for (size_t p = aliased.find(from); p != std::string::npos;
         p = aliased.find(from, p + to.size())) {
      aliased.replace(p, from.size(), to);
    }
  }
  std::string_view t = aliased;
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (vethAt(t, i)) {
      std::string name(t.substr(i, 12));
      auto [it, fresh] = veths_.try_emplace(name, "");
      if (fresh) it->second = "veth" + std::to_string(veths_.size());
      out += it->second;
      i += 12;
      continue;
    }
    if (macAt(t, i)) {
      std::string mac(t.substr(i, 17));
      std::transform(mac.begin(), mac.end(), mac.begin(),
                     [](char c) { return static_cast<char>(std::tolower(c)); });
      int first = std::stoi(mac.substr(0, 2), nullptr, 16);
      if (mac == "00:00:00:00:00:00" || (first & 1) != 0) {  // zero, broadcast, multicast
        out += mac;
      } else {
        auto [it, fresh] = macs_.try_emplace(mac, "");
        if (fresh) it->second = "mac" + std::to_string(macs_.size());
        out += it->second;
      }
      i += 17;
      continue;
    }
    out += t[i++];
  }
  return out;
}

Json Normaliser::applyJson(const Json& doc) {
  if (doc.is_string()) return Json(apply(doc.get<std::string>()));
  if (doc.is_array() || doc.is_object()) {
    Json out = doc;
    for (auto it = out.begin(); it != out.end(); ++it) *it = applyJson(*it);
    return out;
  }
  return doc;
}

const std::vector<std::string>& Snapshot::section(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = sections.find(name);
  return it == sections.end() ? kEmpty : it->second;
}

std::string Snapshot::text() const {
  std::string out;
  for (const auto& [name, lines] : sections) {
    out += "[" + name + "]\n";
    for (const auto& l : lines) out += "  " + l + "\n";
  }
  return out;
}

Expected<Snapshot> snapshotNetns(const std::string& netns_name, Normaliser& norm) {
  auto r = testutil::run("ip netns exec " + testutil::shellQuote(netns_name) + " sh -c " +
                         testutil::shellQuote(kScript));
  if (r.status != 0 || r.out.find("@@end") == std::string::npos) {
    return fail(ErrorCode::kInternal, "snapshot of netns " + netns_name + " failed", r.out + r.err);
  }
  Snapshot s;
  s.raw = norm.apply(r.out);  // links come first: numbering follows ifindex order
  auto parts = splitSections(s.raw);
  const Json links = parseArray(parts["link"]);  // `ip -d addr`: link details + addresses
  renderLinks(links, s);
  renderAddrs(links, s);
  renderRoutes(parseArray(parts["route"]), s);
  renderRules(parseArray(parts["rule4"]), "inet", s);
  renderRules(parseArray(parts["rule6"]), "inet6", s);
  // "ipv4/conf/<link>/key:value" from grep -H; all/default/lo are not the plugins' links.
  static const std::regex kSkip(R"(^ipv[46]/conf/(all|default|lo)/)");
  std::istringstream sysctls(parts["sysctl"]);
  for (std::string line; std::getline(sysctls, line);) {
    auto colon = line.rfind(':');
    if (colon == std::string::npos) continue;
    line[colon] = '=';
    if (!std::regex_search(line, kSkip) || line.starts_with("ipv6/conf/all/forwarding")) {
      s.sections["sysctl"].push_back(line);
    }
  }
  auto managed = renderIptables(parts["iptables"], "ip", "iptables", s);
  managed.merge(renderIptables(parts["ip6tables"], "ip6", "ip6tables", s));
  renderNft(parts["nft"], managed, s);
  for (auto& [name, lines] : s.sections) {
    if (name != "nft" && name != "masq-infra" && name != "portmap-infra") {
      std::sort(lines.begin(), lines.end());
    }
  }
  return s;
}

std::string diffSnapshots(const Snapshot& a, const Snapshot& b, std::string_view a_name,
                          std::string_view b_name) {
  std::set<std::string> names;
  for (const auto& [n, _] : a.sections) names.insert(n);
  for (const auto& [n, _] : b.sections) names.insert(n);
  std::string out;
  for (const auto& n : names) {
    const auto& la = a.section(n);
    const auto& lb = b.section(n);
    if (la == lb) continue;
    std::multiset<std::string> ma(la.begin(), la.end()), mb(lb.begin(), lb.end());
    std::string body;
    for (const auto& l : la) {
      if (auto it = mb.find(l); it != mb.end()) {
        mb.erase(it);
      } else {
        body += "    - " + l + "\n";
      }
    }
    for (const auto& l : lb) {
      if (auto it = ma.find(l); it != ma.end()) {
        ma.erase(it);
      } else {
        body += "    + " + l + "\n";
      }
    }
    if (body.empty()) body = "    (same lines, different order)\n";
    out += "  [" + n + "] (- " + std::string(a_name) + ", + " + std::string(b_name) + ")\n" + body;
  }
  return out;
}

Snapshot filterSnapshot(const Snapshot& s,
                        const std::function<bool(const std::string&, const std::string&)>& drop) {
  Snapshot out;
  out.raw = s.raw;
  for (const auto& [name, lines] : s.sections) {
    std::vector<std::string> kept;
    for (const auto& l : lines) {
      if (!drop(name, l)) kept.push_back(l);
    }
    if (!kept.empty()) out.sections[name] = std::move(kept);
  }
  return out;
}

bool mentionsLink(const std::string& line, const std::string& name) {
  for (size_t pos = line.find(name); pos != std::string::npos; pos = line.find(name, pos + 1)) {
    bool start_ok = pos == 0 || !isNameChar(line[pos - 1]);
    size_t end = pos + name.size();
    bool end_ok = end == line.size() || !isNameChar(line[end]);
    if (start_ok && end_ok) return true;
  }
  return false;
}

}  // namespace cni::e2e
