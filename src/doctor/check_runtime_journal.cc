// src/doctor/check_runtime_journal.cc — what kubelet, containerd and CRI-O logged about CNI
// (see doctor.h): `journalctl -u <unit>` since a point in time, the lines about pod networking
// kept, and grouped by their text with everything that differs per pod blanked out, so the same
// failure for 50 pods is one finding "50 lines: ..." rather than 50.
//
// Normalisation is a hand-written single pass rather than std::regex: a busy node logs tens of
// thousands of such lines an hour and libstdc++'s regex would take seconds on them.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <thread>
#include <vector>

#include "src/doctor/runtime.h"

namespace cni::doctor::runtime {
namespace {

constexpr const char* kUnits[] = {"kubelet", "containerd", "crio"};
constexpr size_t kGroupsPerUnit = 10;  // most frequent first; the rest only counted
constexpr size_t kShownChars = 600;    // of a normalised text in a message
constexpr size_t kEvidenceChars = 2000;
constexpr size_t kMaxPodChars = 320;  // name_namespace(uid): 253 + 63 + 38 at most, roughly

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

template <typename Needles>
bool containsAny(std::string_view haystack, const Needles& needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return haystack.find(n) != haystack.npos; });
}
bool containsAny(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  return containsAny<std::initializer_list<std::string_view>>(haystack, needles);
}

// Lines that mean new pods on this node get no network (the rest of the CNI lines are
// warnings: teardown failures leak, retries, ...). Lowercase.
const std::vector<std::string_view> kPodsFail = {
    "network plugin is not ready", "cni config uninitialized", "cni plugin not initialized",
    "networkpluginnotready",       "failed to setup network",  "no ip addresses available",
    "failed to find plugin",       "incompatible cni versions"};

// What a group most likely means and where the doctor's own checks look at the cause. First
// match wins, so the specific causes come before the generic "failed to setup network".
struct Cause {
  std::vector<std::string_view> needles;  // lowercase
  Severity severity;
  const char* fix;
};
const Cause kCauses[] = {
    {{"no ip addresses available"},
     Severity::kError,
     "host-local's range is exhausted, usually by reservations leaked by pods that are gone: see "
     "the state.lease-leaked findings and release them with `cnikit doctor --fix --yes` (or "
     "widen the range in the network config)"},
    {{"failed to find plugin"},
     Severity::kError,
     "a plugin the network config names is not in the plugin dir: see the plugins.missing "
     "findings and install it (usually the CNI DaemonSet pod does)"},
    {{"incompatible cni versions"},
     Severity::kError,
     "a plugin does not support the config's cniVersion: see the plugins.unsupported-version "
     "findings; upgrade the plugin or lower cniVersion in the config"},
    {{"cni config uninitialized", "cni plugin not initialized", "network plugin is not ready",
      "networkpluginnotready", "no network config found"},
     Severity::kError,
     "the runtime has no usable network config: see the conf.* findings (conf.empty, "
     "conf.no-network, ...); the CNI DaemonSet pod normally writes it, see runtime.cni-pod"},
    {{"failed to setup network"},
     Severity::kError,
     "the plugin's ADD failed with the error quoted: see the plugins.* and state.* findings for "
     "that plugin; `kubectl describe pod` shows the same error per pod"},
    {{"failed to teardown", "failed to destroy network"},
     Severity::kWarning,
     "a DEL failed: the pod's IP and rules may leak and its sandbox cannot be removed (the "
     "runtime retries): see the state.* findings and fix the plugin error quoted"},
};

bool isInformational(std::string_view line) {
  // klog "I1129 06:25:21.123456 ..." and logfmt "level=info" (containerd, CRI-O).
  if (line.size() > 5 && (line[0] == 'I') && std::isdigit(static_cast<unsigned char>(line[1])) &&
      line[5] == ' ') {
    return true;
  }
  return containsAny(line, {"level=info", "level=debug", "level=trace"});
}

bool isWordChar(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }
bool isDigit(char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }
bool isHex(char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }

size_t digits(std::string_view s, size_t i, size_t max = std::string_view::npos) {
  size_t n = 0;
  while (i + n < s.size() && n < max && isDigit(s[i + n])) ++n;
  return n;
}

// The character at i ends a token: end of text or not alphanumeric.
bool endsAt(std::string_view s, size_t i) {
  return i >= s.size() || !std::isalnum(static_cast<unsigned char>(s[i]));
}

// "hh:mm:ss[.frac]" at i; 0 if none.
size_t clockAt(std::string_view s, size_t i) {
  if (digits(s, i, 2) != 2 || i + 8 > s.size() || s[i + 2] != ':' || digits(s, i + 3, 2) != 2 ||
      s[i + 5] != ':' || digits(s, i + 6, 2) != 2) {
    return 0;
  }
  size_t n = 8;
  if (i + n < s.size() && s[i + n] == ':') return 0;  // a MAC made of digits, not a clock
  if (i + n < s.size() && s[i + n] == '.' && digits(s, i + n + 1) > 0)
    n += 1 + digits(s, i + n + 1);
  return n;
}

// "YYYY-MM-DD[( |T)hh:mm:ss[.frac]][Z|±hh[:]mm]" or a bare clock; 0 if none.
size_t timestampAt(std::string_view s, size_t i) {
  if (size_t c = clockAt(s, i)) return c;
  if (digits(s, i, 4) != 4 || i + 10 > s.size() || s[i + 4] != '-' || digits(s, i + 5, 2) != 2 ||
      s[i + 7] != '-' || digits(s, i + 8, 2) != 2) {
    return 0;
  }
  size_t n = 10;
  if (i + n < s.size() && (s[i + n] == 'T' || s[i + n] == ' ')) {
    if (size_t c = clockAt(s, i + n + 1)) {
      n += 1 + c;
      if (i + n < s.size() && s[i + n] == 'Z') {
        ++n;
      } else if (i + n < s.size() && (s[i + n] == '+' || s[i + n] == '-') &&
                 digits(s, i + n + 1, 2) == 2) {
        n += 3;
        if (i + n < s.size() && s[i + n] == ':') ++n;
        n += digits(s, i + n, 2);
      }
    }
  }
  return n;
}

size_t uuidAt(std::string_view s, size_t i) {
  static constexpr size_t kParts[] = {8, 4, 4, 4, 12};
  size_t n = 0;
  for (size_t p = 0; p < 5; ++p) {
    for (size_t k = 0; k < kParts[p]; ++k, ++n) {
      if (i + n >= s.size() || !isHex(s[i + n])) return 0;
    }
    if (p < 4) {
      if (i + n >= s.size() || s[i + n] != '-') return 0;
      ++n;
    }
  }
  return endsAt(s, i + n) ? n : 0;
}

// a.b.c.d[/len][:port]
size_t ipv4At(std::string_view s, size_t i) {
  size_t n = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i + n >= s.size() || s[i + n] != '.') return 0;
      ++n;
    }
    size_t d = digits(s, i + n, 3);
    if (d == 0) return 0;
    n += d;
  }
  if (i + n < s.size() && s[i + n] == '/' && digits(s, i + n + 1, 3) > 0) {
    n += 1 + digits(s, i + n + 1, 3);
  }
  if (i + n < s.size() && s[i + n] == ':' && digits(s, i + n + 1, 5) > 0) {
    n += 1 + digits(s, i + n + 1, 5);
  }
  if (!endsAt(s, i + n)) return 0;
  if (i + n + 1 < s.size() && s[i + n] == '.' && isDigit(s[i + n + 1])) return 0;
  return n;
}

// IPv6 addresses and MACs: hex groups with at least two colons.
size_t colonHexAt(std::string_view s, size_t i) {
  size_t n = 0, colons = 0;
  while (i + n < s.size() && (isHex(s[i + n]) || s[i + n] == ':')) {
    colons += s[i + n] == ':';
    ++n;
  }
  while (n > 0 && s[i + n - 1] == ':' && !(n >= 2 && s[i + n - 2] == ':')) {
    --n;  // a trailing "addr:" separator is not part of it
    --colons;
  }
  if (colons < 2 || !endsAt(s, i + n)) return 0;
  if (i + n < s.size() && s[i + n] == '/' && digits(s, i + n + 1, 3) > 0) {
    n += 1 + digits(s, i + n + 1, 3);
  }
  return n;
}

// Container, sandbox and image IDs: 12+ hex digits with at least one decimal digit.
size_t longHexAt(std::string_view s, size_t i) {
  size_t n = 0;
  bool has_digit = false;
  while (i + n < s.size() && isHex(s[i + n])) has_digit |= isDigit(s[i + n++]);
  return n >= 12 && has_digit && endsAt(s, i + n) ? n : 0;
}

// A free-standing number ("range 0", "Attempt:3", "after 30s" is not: it has a unit). Versions
// ("0.4.0") and names ("10-calico.conflist") stay.
size_t numberAt(std::string_view s, size_t i) {
  if (i > 0 && (s[i - 1] == '.' || s[i - 1] == '-' || s[i - 1] == '/')) return 0;
  size_t n = digits(s, i);
  if (n == 0 || (i + n < s.size() && isWordChar(s[i + n]))) return 0;
  if (i + n + 1 < s.size() && (s[i + n] == '.' || s[i + n] == '-') && isWordChar(s[i + n + 1])) {
    return 0;
  }
  return n;
}

// A quote at i, possibly escaped (klog nests quoted errors: \" and \\\"): the opener's length.
size_t quoteAt(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && s[j] == '\\') ++j;
  return j < s.size() && s[j] == '"' ? j - i + 1 : 0;
}

// kubelet's pod full name "name_namespace(uid)", or "namespace/name".
bool looksLikePod(std::string_view v) {
  if (v.empty() || v.size() > kMaxPodChars) return false;
  auto ok = [](char ch) {
    return std::islower(static_cast<unsigned char>(ch)) || isDigit(ch) || ch == '-' || ch == '.';
  };
  size_t us = v.find('_');
  if (us != v.npos && v.back() == ')' && v.find('(') > us) {
    return std::all_of(v.begin(), v.begin() + static_cast<long>(us), ok);
  }
  size_t sl = v.find('/');
  return sl != v.npos && sl > 0 && sl + 1 < v.size() &&
         std::all_of(v.begin(), v.end(), [&](char ch) { return ok(ch) || ch == '/'; });
}

// A quoted value at i that names a pod; writes the placeholder and returns what it consumed.
size_t quotedPodAt(std::string_view s, size_t i, bool after_pod_key, std::string& out) {
  size_t q = quoteAt(s, i);
  if (q == 0) return 0;
  std::string_view opener = s.substr(i, q);
  // Names start lowercase or with a digit and are short: don't search the whole line for the
  // closing quote of every quoted string (klog lines are full of them).
  if (i + q >= s.size() ||
      !(std::islower(static_cast<unsigned char>(s[i + q])) || isDigit(s[i + q]))) {
    return 0;
  }
  size_t close = s.substr(0, std::min(s.size(), i + q + kMaxPodChars + q)).find(opener, i + q);
  if (close == s.npos) return 0;
  std::string_view value = s.substr(i + q, close - i - q);
  if (!after_pod_key && !looksLikePod(value)) return 0;
  out.append(opener).append("<pod>").append(opener);
  return close + q - i;
}

// containerd's PodSandboxMetadata{Name:x,Uid:y,Namespace:z,...}: "Name:" / "Namespace:" values.
size_t metadataFieldAt(std::string_view s, size_t i, std::string& out) {
  if (i == 0 || (s[i - 1] != '{' && s[i - 1] != ',')) return 0;
  for (auto [key, placeholder] : {std::pair{"Name:", "<pod>"}, std::pair{"Namespace:", "<ns>"}}) {
    std::string_view k(key);
    if (s.substr(i, k.size()) != k) continue;
    size_t end = s.find_first_of(",}", i + k.size());
    if (end == s.npos) return 0;
    out.append(k).append(placeholder);
    return end - i;
  }
  return 0;
}

std::string stripKlogHeader(std::string_view s) {
  // "E1129 06:25:21.123456    1234 pod_workers.go:1298] msg": the header differs every line.
  if (s.size() > 6 && std::string_view("IWEF").find(s[0]) != s.npos && digits(s, 1, 4) == 4 &&
      s[5] == ' ') {
    size_t k = s.find("] ");
    if (k != s.npos && k < 100) return std::string(s.substr(k + 2));
  }
  return std::string(s);
}

// What a group's text looks like to a reader: klog's escaped quotes unescaped, length capped.
std::string shown(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size();) {
    size_t q = quoteAt(key, i);
    if (q > 1) {
      out += '"';
      i += q;
    } else {
      out += key[i++];
    }
  }
  if (out.size() > kShownChars) out = out.substr(0, kShownChars) + "...";
  return out;
}

std::string capped(std::string_view raw) {
  return raw.size() > kEvidenceChars ? std::string(raw.substr(0, kEvidenceChars)) + "..."
                                     : std::string(raw);
}

struct UnitResult {
  std::string unit;
  ToolRun run;
  JournalScan scan;
};

}  // namespace

bool isCniLine(std::string_view line) {
  std::string l = lower(line);
  return containsAny(
      l, {"cni", "network plugin", "networkplugin", "failed to setup network", "failed to teardown",
          "failed to destroy network", "no ip addresses available", "failed to find plugin",
          "incompatible cni versions", "networkready", "networkpluginnotready"});
}

std::string normaliseLine(std::string_view line) {
  const std::string text = stripKlogHeader(line);
  std::string_view s(text);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char ch = s[i];
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    const bool boundary = i == 0 || !isWordChar(s[i - 1]);
    if (boundary) {
      // pod="ns/name", sandbox for pod \"name_ns(uid)\"
      if (s.size() > i + 4 && lower(s.substr(i, 3)) == "pod" &&
          (s[i + 3] == '=' || s[i + 3] == ' ')) {
        out.append(s.substr(i, 4));
        i += 4;
        if (size_t n = quotedPodAt(s, i, true, out)) {
          i += n;
        } else if (s[i - 1] == '=' && i < s.size() &&
                   !std::isspace(static_cast<unsigned char>(s[i]))) {
          out.append("<pod>");  // pod=ns/name unquoted (logfmt)
          while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        }
        continue;
      }
      if (size_t n = metadataFieldAt(s, i, out)) {
        i += n;
        continue;
      }
      if (isHex(ch)) {
        std::string_view placeholder;
        size_t n = 0;
        if ((n = timestampAt(s, i))) {
          placeholder = "<time>";
        } else if ((n = uuidAt(s, i))) {
          placeholder = "<uuid>";
        } else if ((n = ipv4At(s, i)) || (n = colonHexAt(s, i))) {
          placeholder = "<ip>";
        } else if ((n = longHexAt(s, i))) {
          placeholder = "<id>";
        } else if (isDigit(ch) && (n = numberAt(s, i))) {
          placeholder = "<n>";
        }
        if (n > 0) {
          out.append(placeholder);
          i += n;
          continue;
        }
      }
    }
    if (ch == '"' || ch == '\\') {
      if (size_t n = quotedPodAt(s, i, false, out)) {
        i += n;
        continue;
      }
    }
    out += ch;
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

JournalScan scanJournal(std::string_view output) {
  JournalScan scan;
  std::map<std::string, size_t, std::less<>> index;  // key -> position in scan.groups
  for (size_t pos = 0; pos < output.size();) {
    size_t nl = output.find('\n', pos);
    std::string_view line = output.substr(pos, nl == output.npos ? output.npos : nl - pos);
    pos = nl == output.npos ? output.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    ++scan.lines;
    if (!isCniLine(line)) continue;
    // "Start cni network conf syncer" and friends are a healthy node talking; an informational
    // line still counts when it says pods cannot get a network.
    if (isInformational(line) && !containsAny(lower(line), kPodsFail)) continue;
    ++scan.cni_lines;
    std::string key = normaliseLine(line);
    auto [it, inserted] = index.try_emplace(key, scan.groups.size());
    if (inserted) scan.groups.push_back({.key = key, .count = 0, .first = std::string(line)});
    JournalGroup& g = scan.groups[it->second];
    ++g.count;
    g.last = std::string(line);
  }
  std::stable_sort(scan.groups.begin(), scan.groups.end(),
                   [](const JournalGroup& a, const JournalGroup& b) { return a.count > b.count; });
  return scan;
}

void checkJournal(const Context& c, Report& r) {
  auto journalctl = findTool("journalctl", c.opts.tool_path);
  if (!journalctl) {
    r.addSource({.name = "journal", .ran = false, .detail = "journalctl not found in PATH"});
    return;
  }
  r.timed("journal", [&] {
    const auto timeout = toolTimeout(c.opts);
    const long long since_s = c.opts.journal_since.count();
    const std::string since = "--since=@" + std::to_string(std::time(nullptr) - since_s);
    const std::string window = shortDuration(std::chrono::seconds(since_s));
    std::vector<UnitResult> results;
    for (const char* u : kUnits) results.push_back({.unit = u});
    {
      // One journalctl per unit, side by side: each may take up to the timeout.
      std::vector<std::jthread> readers;
      for (UnitResult& u : results) {
        readers.emplace_back([&, since] {
          u.run = runTool(*journalctl, {"-u", u.unit, since, "-o", "cat", "--no-pager", "-q"},
                          c.opts.tool_path, timeout);
          u.scan = scanJournal(u.run.out);
        });
      }
    }
    std::string detail = *journalctl + " since -" + window + ":";
    for (const UnitResult& u : results) {
      const std::string path = "journalctl -u " + u.unit;
      detail += " " + u.unit + ": ";
      if (!u.run.ok()) {
        detail += "journalctl " + u.run.failure(timeout);
        if (u.run.truncated) detail += " (output over 64 MiB, read the first part)";
        if (u.scan.lines > 0) detail += " (" + std::to_string(u.scan.lines) + " lines read)";
        detail += ";";
        if (u.scan.lines == 0) continue;
      }
      if (u.scan.lines == 0) {
        detail += "no entries;";
        continue;
      }
      detail += std::to_string(u.scan.lines) + " lines, " + std::to_string(u.scan.cni_lines) +
                " about CNI";
      if (!u.scan.groups.empty()) {
        detail += " in " + std::to_string(u.scan.groups.size()) +
                  (u.scan.groups.size() == 1 ? " group" : " groups");
        if (u.scan.groups.size() > kGroupsPerUnit) {
          detail += " (" + std::to_string(u.scan.groups.size() - kGroupsPerUnit) +
                    " least frequent not reported)";
        }
      }
      detail += ";";
      for (size_t k = 0; k < u.scan.groups.size() && k < kGroupsPerUnit; ++k) {
        const JournalGroup& g = u.scan.groups[k];
        const std::string lkey = lower(g.key);
        Severity sev = containsAny(lkey, kPodsFail) ? Severity::kError : Severity::kWarning;
        std::string fix = "read the full lines: journalctl -u " + u.unit + " --since=-" + window +
                          " | grep -i cni";
        for (const Cause& cause : kCauses) {
          if (containsAny(lkey, cause.needles)) {
            fix = cause.fix;
            sev = std::max(sev, cause.severity);
            break;
          }
        }
        std::vector<Evidence> ev = {{.path = path, .value = capped(g.first)}};
        if (g.count > 1) ev.push_back({.path = path, .value = capped(g.last)});
        r.add(finding("runtime.journal", sev, u.unit,
                      std::to_string(g.count) + (g.count == 1 ? " line" : " lines") +
                          " in the last " + window + ": " + shown(g.key),
                      fix, std::move(ev)));
      }
    }
    if (::geteuid() != 0) detail += " (not root: the journal may show only this user's entries)";
    if (!detail.empty() && detail.back() == ';') detail.pop_back();
    return detail;
  });
}

}  // namespace cni::doctor::runtime
