// src/doctor/check_plugins.cc — the plugin binaries the usable networks name, and what they say
// when asked (see doctor.h).
//
// Three layers, each only where the previous one passed, so one broken binary yields one
// finding (its root cause), not a cascade:
//  1. lookup, as Go's FindInPath does: the first bin dir holding a regular file of that name;
//  2. the file, read and never run: exec bits, the mount's noexec flag, the format (ELF or "#!"),
//     architecture, truncation, the ELF interpreter and DT_NEEDED libraries, a script's
//     interpreter — the usual reasons for "fork/exec ...: exec format error / no such file";
//  3. (online only) the VERSION probe of every distinct binary and the STATUS of every network
//     (spec 1.1.0), all in parallel with the probe timeout.
// Severity: an error when the active network uses the plugin (pods fail to get networking), a
// warning when only other networks do. Offline (another node's mounted image), the checks that
// depend on this machine — architecture, interpreters, libraries — are skipped: they would be
// judged against the wrong root filesystem.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "src/doctor/doctor.h"
#include "src/doctor/elf.h"
#include "src/doctor/probe.h"
#include "src/invoke/find.h"
#include "src/invoke/go_format.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::doctor {
namespace {

struct Use {
  const Network* net;
  bool ipam;  // named as the ipam "type" of a plugin rather than a plugin of the list
};

// One plugin type named by the configs.
struct Plugin {
  std::string type;
  std::vector<Use> uses;
  std::vector<Evidence> looked;  // per bin dir: what is at <dir>/<type>
  std::string path;              // FindInPath's answer; "" when not found
  bool ok = false;               // found and the file looks startable: worth probing

  bool active() const {
    return std::any_of(uses.begin(), uses.end(), [](const Use& u) { return u.net->active; });
  }
  Severity severity() const { return active() ? Severity::kError : Severity::kWarning; }
  std::string usedBy() const {
    std::vector<std::string> names;
    for (const auto& u : uses) {
      const std::string q = spec::goQuote(u.net->list.name);
      if (std::find(names.begin(), names.end(), q) == names.end()) names.push_back(q);
    }
    std::string out = names.size() > 1 ? "networks " : "network ";
    for (size_t k = 0; k < names.size(); ++k) out += (k ? ", " : "") + names[k];
    return out;
  }
};

// Where the plugin comes from, for "install it" fixes.
std::string installHint(const std::string& type) {
  static const std::map<std::string, std::string> kFrom = {
      {"calico", "Calico's install-cni init container (the calico-node DaemonSet)"},
      {"calico-ipam", "Calico's install-cni init container (the calico-node DaemonSet)"},
      {"cilium-cni", "the Cilium agent DaemonSet (it copies cilium-cni on start)"},
      {"flannel", "the flannel DaemonSet's install-cni-plugin init container"},
      {"multus", "the Multus DaemonSet"},
      {"multus-shim", "the Multus DaemonSet"},
      {"aws-cni", "the aws-node DaemonSet (amazon-vpc-cni-k8s)"},
      {"azure-vnet", "the azure-vnet-cni installer"},
      {"weave-net", "the weave-net DaemonSet"},
      {"ovn-k8s-cni-overlay", "the ovnkube-node DaemonSet"},
  };
  if (auto it = kFrom.find(type); it != kFrom.end()) return it->second;
  static const char* kReference[] = {"bandwidth",   "bridge",     "dhcp",   "dummy",    "firewall",
                                     "host-device", "host-local", "ipvlan", "loopback", "macvlan",
                                     "portmap",     "ptp",        "sbr",    "static",   "tap",
                                     "tuning",      "vlan",       "vrf"};
  for (const char* ref : kReference) {
    if (type == ref) {
      return "the reference plugins: the containernetworking-plugins package, the "
             "cni-plugins-linux-" +
             elf::goArchName(elf::hostArch()) +
             "-*.tgz release from github.com/containernetworking/plugins, or cnikit's "
             "multi-call binary linked as \"" +
             type + "\"";
    }
  }
  return "the package or DaemonSet that provides the \"" + type + "\" plugin";
}

// What is at <dir>/<type> (for evidence); `regular` when it is the regular file FindInPath
// wants, `odd` set when something else (a directory, a dangling symlink...) is there.
Evidence lookAt(const std::string& dir, const std::string& type, bool& regular, bool& odd) {
  const std::string p = invoke::goJoinPath(dir, type);
  struct stat lst {
  }, st{};
  regular = false;
  if (::lstat(p.c_str(), &lst) != 0) {
    struct stat dst {};
    const bool dir_ok = ::stat(dir.c_str(), &dst) == 0 && S_ISDIR(dst.st_mode);
    return {.path = p, .value = dir_ok ? "no such file" : "the directory does not exist"};
  }
  if (::stat(p.c_str(), &st) != 0) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(p, ec);
    odd = true;
    return {.path = p, .value = "dangling symlink to " + target.string()};
  }
  if (S_ISREG(st.st_mode)) {
    regular = true;
    return {.path = p, .value = "regular file"};
  }
  odd = true;
  return {.path = p,
          .value = S_ISDIR(st.st_mode) ? "a directory, not a file"
                                       : "not a regular file (device, socket or fifo)"};
}

bool isExecutableFile(const std::filesystem::directory_entry& e) {
  struct stat st {};
  return ::stat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// --- 1. bin dirs --------------------------------------------------------------------------

// A missing or empty bin dir costs nothing when another dir holds every plugin (CRI-O and many
// distros list several dirs, some of which do not exist): info. When some plugin is found
// nowhere, the missing dir is a likely reason: warning. When no dir works at all, no plugin
// can run: error if there is an active network, else warning.
void dirFindings(const Context& c, Report& r, bool all_found) {
  struct Broken {
    std::string dir, problem, check;
  };
  std::vector<Broken> broken;
  bool any_works = false;
  for (const auto& d : c.opts.bin_dirs) {
    std::error_code ec;
    auto st = std::filesystem::status(d, ec);
    if (!std::filesystem::exists(st)) {
      broken.push_back({d, "does not exist", "plugins.dir-missing"});
      continue;
    }
    if (!std::filesystem::is_directory(st)) {
      broken.push_back({d, "is not a directory", "plugins.dir-missing"});
      continue;
    }
    size_t entries = 0;
    bool works = false;
    for (auto it = std::filesystem::directory_iterator(d, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++entries;
      if (isExecutableFile(*it)) {
        works = true;
        break;
      }
    }
    if (ec) {
      broken.push_back({d, "cannot be read: " + ec.message(), "plugins.dir-empty"});
    } else if (!works) {
      broken.push_back({d,
                        entries == 0 ? "is empty"
                                     : "holds " + std::to_string(entries) +
                                           " entries but no executable regular file",
                        "plugins.dir-empty"});
    } else {
      any_works = true;
    }
  }
  Severity sev = Severity::kInfo;
  if (!any_works) {
    sev = c.activeNetwork() ? Severity::kError : Severity::kWarning;
  } else if (!all_found) {
    sev = Severity::kWarning;
  }
  for (const auto& b : broken) {
    const bool missing = b.check == "plugins.dir-missing";
    std::string msg = "the CNI plugin directory " + b.problem;
    msg += any_works ? " (other plugin directories hold plugins)"
                     : ": no plugin can be found, every ADD fails";
    std::string fix =
        any_works && all_found
            ? "nothing needed: every plugin is found in another directory; drop " + b.dir +
                  " from the runtime's plugin path if it is not meant to exist"
            : std::string(missing ? "create it and install" : "install") +
                  " the network's plugin binaries into " + b.dir +
                  " (the CNI DaemonSet or the containernetworking-plugins package does this), "
                  "or point the runtime's plugin path (containerd bin_dir, CRI-O plugin_dirs) at "
                  "the directory that holds them";
    r.add(finding(b.check, sev, b.dir, std::move(msg), std::move(fix),
                  {{.path = b.dir, .value = b.problem}}));
  }
}

// --- 2. the file ----------------------------------------------------------------------------

std::string readHead(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(n, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(n));
  buf.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

bool scriptChecks(const Context& c, Report& r, const Plugin& p, const std::string& head) {
  if (c.opts.offline) return true;
  // The kernel reads the "#!" line (up to 255 bytes): the interpreter is its first word.
  const size_t nl = head.find('\n');
  std::string line = head.substr(2, nl == std::string::npos ? std::string::npos : nl - 2);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const size_t b = line.find_first_not_of(" \t");
  if (b == std::string::npos) {
    r.add(finding("plugins.missing-interpreter", p.severity(), p.path,
                  "the plugin is a script with an empty \"#!\" line: exec fails",
                  "reinstall it from " + installHint(p.type),
                  {{.path = p.path, .line = 1, .column = 1, .value = "#!" + line}}));
    return false;
  }
  const std::string interp = line.substr(b, line.find_first_of(" \t", b) - b);
  struct stat st {};
  std::string problem;
  if (::stat(interp.c_str(), &st) != 0) {
    problem = "not found";
  } else if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
    problem = "not an executable file";
  }
  if (problem.empty()) return true;
  r.add(finding("plugins.missing-interpreter", p.severity(), p.path,
                "the plugin is a script whose interpreter " + interp + " is " + problem +
                    ": exec fails with \"no such file or directory\"",
                "install " + interp + " or fix the script's \"#!\" line (head -1 " + p.path + ")",
                {{.path = p.path, .line = 1, .column = 1, .value = "#!" + line}}));
  return false;
}

bool elfChecks(const Context& c, Report& r, const Plugin& p, const std::vector<std::string>& ld) {
  auto info = elf::parseFile(p.path);
  if (!info || info->truncated()) {
    std::string why = info ? "the file is " + std::to_string(info->file_size) +
                                 " bytes but its segments need " + std::to_string(info->load_end)
                           : info.error().msg;
    r.add(finding("plugins.corrupt-elf", p.severity(), p.path,
                  "the plugin binary is corrupt or truncated (an interrupted download or copy?): "
                  "exec fails",
                  "reinstall it from " + installHint(p.type), {{.path = p.path, .value = why}}));
    return false;
  }
  if (info->type != elf::kEtExec && info->type != elf::kEtDyn) {
    r.add(finding("plugins.not-executable-format", p.severity(), p.path,
                  "the plugin is an ELF file but not a program (e_type " +
                      std::to_string(info->type) + "): exec fails with \"exec format error\"",
                  "install the plugin program from " + installHint(p.type),
                  {{.path = p.path,
                    .value = elf::describe(*info) + ", e_type " + std::to_string(info->type)}}));
    return false;
  }
  if (c.opts.offline) return true;
  const elf::Arch host = elf::hostArch();
  const std::string node = elf::machineName(host.machine);
  if (auto m = elf::matchArch(*info, host); m != elf::ArchMatch::kSame) {
    const bool compat = m == elf::ArchMatch::kCompat;
    r.add(finding("plugins.wrong-arch", compat ? Severity::kWarning : p.severity(), p.path,
                  compat ? "the plugin is a 32-bit binary: it runs only with the kernel's 32-bit "
                           "compat support (and 32-bit libraries when dynamic)"
                         : "the plugin is built for another architecture: exec fails with \"exec "
                           "format error\"",
                  "replace it with the " + elf::goArchName(host) + " build (" + node + ") from " +
                      installHint(p.type),
                  {{.path = p.path, .value = elf::describe(*info) + ", node is " + node}}));
    return false;
  }
  if (!info->interpreter) return true;  // static (or static-pie): nothing more to load
  const std::string& interp = info->interpreter->value;
  struct stat st {};
  if (::stat(interp.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    r.add(finding("plugins.missing-interpreter", p.severity(), p.path,
                  "the plugin is dynamically linked and its loader " + interp +
                      " does not exist: exec fails with \"no such file or directory\" (the "
                      "binary is there, its loader is not)",
                  "install the C library the binary was built for (it provides " + interp +
                      "), or install a statically linked build of the plugin",
                  {{.path = p.path, .value = "PT_INTERP " + interp}}));
    return false;
  }
  auto missing = elf::missingLibraries(p.path, *info, ld);
  if (missing.empty()) return true;
  std::vector<Evidence> ev;
  std::string names;
  for (const auto& m : missing) {
    std::string value = "DT_NEEDED " + m.name + " not found";
    if (m.needed_by != p.path) value += " (needed by " + m.needed_by + ")";
    value += "; searched " + spec::goPlainList(m.searched);
    for (const auto& s : m.skipped) value += "; skipped " + s;
    ev.push_back({.path = p.path, .value = std::move(value)});
    names += (names.empty() ? "" : ", ") + m.name;
  }
  r.add(finding("plugins.missing-library", p.severity(), p.path,
                "the plugin needs shared libraries the loader cannot find (" + names +
                    "): it exits 127 before doing anything",
                "install the package that provides " + names + " (apt-file search " +
                    missing[0].name + " / dnf provides '*/" + missing[0].name +
                    "'), or add its directory to /etc/ld.so.conf.d/ and run ldconfig",
                std::move(ev)));
  return false;
}

// Checks the file FindInPath found; returns whether it is worth running.
bool checkFile(const Context& c, Report& r, const Plugin& p, const std::vector<std::string>& ld) {
  struct stat st {};
  if (::stat(p.path.c_str(), &st) != 0) return false;  // removed meanwhile
  if ((st.st_mode & 0111) == 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    r.add(finding("plugins.not-executable", p.severity(), p.path,
                  "the plugin binary has no execute permission: exec fails with \"permission "
                  "denied\"",
                  "chmod 755 " + p.path, {{.path = p.path, .value = std::string("mode ") + mode}}));
    return false;
  }
  struct statvfs vfs {};
  if (::statvfs(p.path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC) != 0) {
    r.add(finding("plugins.noexec-mount", p.severity(), p.path,
                  "the plugin lies on a filesystem mounted noexec: exec fails with \"permission "
                  "denied\"",
                  "remount it with exec (mount -o remount,exec <mountpoint>, and fix /etc/fstab), "
                  "or install the plugins on another filesystem",
                  {{.path = p.path, .value = "mounted noexec"}}));
    return false;
  }
  const std::string head = readHead(p.path, 256);
  if (elf::isElf(head)) return elfChecks(c, r, p, ld);
  if (head.starts_with("#!")) return scriptChecks(c, r, p, head);
  std::string seen =
      head.empty() ? "empty file" : "starts with " + spec::goQuote(head.substr(0, 16));
  r.add(finding("plugins.not-executable-format", p.severity(), p.path,
                "the plugin is neither an ELF binary nor a \"#!\" script: exec fails with \"exec "
                "format error\"",
                "reinstall the plugin binary from " + installHint(p.type) +
                    " (an HTML error page or an empty file is what a failed download leaves)",
                {{.path = p.path, .value = std::move(seen)}}));
  return false;
}

// Where distributions and installers put plugins. A plugin missing from the plugin path but
// present in one of these is the classic "installed by the package, runtime looks in
// /opt/cni/bin" mismatch: the fix is a path, not an install.
std::string elsewhere(const Context& c, const std::string& type) {
  if (c.opts.offline) return {};  // these paths are this machine's, not the inspected image's
  static const char* kKnown[] = {"/opt/cni/bin", "/usr/lib/cni", "/usr/libexec/cni",
                                 "/usr/local/lib/cni", "/usr/lib/cni-plugins"};
  for (const char* d : kKnown) {
    if (std::find(c.opts.bin_dirs.begin(), c.opts.bin_dirs.end(), d) != c.opts.bin_dirs.end()) {
      continue;
    }
    const std::string p = invoke::goJoinPath(d, type);
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
  }
  return {};
}

void lookupFinding(const Context& c, Report& r, const Plugin& p, bool odd) {
  std::vector<Evidence> ev = p.looked;
  for (const auto& u : p.uses) {
    ev.push_back({.path = u.net->path,
                  .value = "network " + spec::goQuote(u.net->list.name) + " names " +
                           (u.ipam ? "ipam type " : "type ") + spec::goQuote(p.type)});
  }
  if (const std::string other = odd ? "" : elsewhere(c, p.type); !other.empty()) {
    const std::string dir = std::filesystem::path(other).parent_path().string();
    const std::string first = c.opts.bin_dirs.empty() ? "/opt/cni/bin" : c.opts.bin_dirs[0];
    ev.push_back({.path = other, .value = "installed here, outside the plugin path"});
    r.add(finding("plugins.missing", p.severity(), p.type,
                  "the plugin \"" + p.type + "\" (" + p.usedBy() +
                      ") is not in the plugin path but is installed in " + dir +
                      ": ADD fails with \"failed to find plugin\"",
                  "add " + dir +
                      " to the runtime's plugin path (containerd bin_dir, CRI-O plugin_dirs, "
                      "CNI_PATH), or link it: ln -s " +
                      other + " " + invoke::goJoinPath(first, p.type),
                  std::move(ev)));
    return;
  }
  if (odd) {
    r.add(finding("plugins.not-regular-file", p.severity(), p.type,
                  "the plugin \"" + p.type + "\" (" + p.usedBy() +
                      ") is not a regular file in any plugin directory: the runtime reports "
                      "\"failed to find plugin\"",
                  "replace the entry with the plugin binary from " + installHint(p.type),
                  std::move(ev)));
  } else {
    r.add(finding("plugins.missing", p.severity(), p.type,
                  "the plugin \"" + p.type + "\" (" + p.usedBy() +
                      ") is in no plugin directory: ADD fails with \"failed to find plugin\"",
                  "install it from " + installHint(p.type), std::move(ev)));
  }
}

// --- 3. probes ----------------------------------------------------------------------------

void versionFindings(const Context& c, Report& r, const Plugin& p, const VersionProbe& v,
                     std::vector<const Network*>& version_broken) {
  auto markAll = [&] {
    for (const auto& u : p.uses) version_broken.push_back(u.net);
  };
  const std::string timeout = invoke::goDuration(c.opts.probe_timeout);
  if (v.timed_out) {
    markAll();
    r.add(finding("plugins.version-timeout", p.severity(), p.path,
                  "the plugin did not answer VERSION within " + timeout +
                      " and was killed: it would hang every ADD the same way",
                  "run it by hand (echo '{\"cniVersion\":\"1.0.0\"}' | CNI_COMMAND=VERSION "
                  "timeout 5 " +
                      p.path + ") and replace it with a working build",
                  {{.path = p.path, .value = "no answer within " + timeout}}));
    return;
  }
  if (!v.info) {
    markAll();
    r.add(finding("plugins.version-failed", p.severity(), p.path,
                  "the plugin fails when asked its VERSION: it will fail ADD too",
                  "run it by hand (echo '{\"cniVersion\":\"1.0.0\"}' | CNI_COMMAND=VERSION " +
                      p.path + ") and reinstall it from " + installHint(p.type),
                  {{.path = p.path,
                    .value = "CNI error code " + std::to_string(v.info.error().codeValue()) + ": " +
                             v.info.error().toString()}}));
    return;
  }
  const auto& supported = v.info->supported_versions;
  std::vector<Evidence> ev;
  std::vector<const Network*> nets;
  bool active = false;
  std::string first;
  for (const auto& u : p.uses) {
    const std::string want = u.net->list.cni_version.empty() ? "0.1.0" : u.net->list.cni_version;
    if (std::find(supported.begin(), supported.end(), want) != supported.end()) continue;
    if (std::find(nets.begin(), nets.end(), u.net) != nets.end()) continue;
    nets.push_back(u.net);
    version_broken.push_back(u.net);
    active = active || u.net->active;
    if (first.empty()) first = want;
    ev.push_back({.path = u.net->path,
                  .value = "network " + spec::goQuote(u.net->list.name) + ": cniVersion " +
                           spec::goQuote(want) + ", plugin supports " +
                           spec::goQuoteList(supported)});
  }
  if (ev.empty()) return;
  std::string fix = "change \"cniVersion\" in " + ev[0].path + " to one of " +
                    spec::goQuoteList(supported) +
                    ", or upgrade the plugin to a release that supports " + first;
  // Go's skel text, what the runtime's log shows for this.
  r.add(finding("plugins.unsupported-version", active ? Severity::kError : Severity::kWarning,
                p.path,
                "incompatible CNI versions; config is " + spec::goQuote(first) +
                    ", plugin supports " + spec::goQuoteList(supported),
                std::move(fix), std::move(ev)));
}

void statusFinding(Report& r, const Network& n, const StatusProbe& s) {
  const Error& e = s.status.error();
  const uint32_t code = e.codeValue();
  Severity sev = n.active ? Severity::kError : Severity::kWarning;
  std::string what = "the network's plugins report it is not ready (STATUS failed)";
  if (s.timed_out) {
    what = "the network's STATUS did not answer in time and was killed";
  } else if (code == 50) {
    what =
        "the network's plugin is not available (STATUS code 50): runtimes create no pods until "
        "it is";
  } else if (code == 51) {
    sev = Severity::kWarning;
    what =
        "the network is available with limited connectivity (STATUS code 51): pods are created, "
        "some traffic may not flow";
  }
  std::string value = "code " + std::to_string(code) + ": " + e.msg;
  if (!e.details.empty()) value += "; details: " + e.details;
  r.add(finding("plugins.status", sev, n.list.name, std::move(what),
                "check the network's agent on this node (its DaemonSet pod and its logs); "
                "reproduce with `cnikit status " +
                    n.list.name + "`",
                {{.path = n.path, .value = std::move(value)}}));
}

bool statusApplies(const Network& n) {
  auto v = spec::versionAtLeast(n.list.cni_version, "1.1.0");
  return v && *v;
}

}  // namespace

void checkPlugins(const Context& c, Report& r) {
  std::map<std::string, Plugin> plugins;  // by type, sorted: stable output
  for (const auto& n : c.networks) {
    for (const auto& p : n.list.plugins) {
      if (p.type.empty()) continue;
      auto& e = plugins[p.type];
      e.type = p.type;
      e.uses.push_back({&n, false});
      if (!p.raw.is_object()) continue;
      auto ipam = p.raw.find("ipam");
      if (ipam == p.raw.end() || !ipam->is_object()) continue;
      auto t = ipam->find("type");
      if (t == ipam->end() || !t->is_string() || t->get<std::string>().empty()) continue;
      auto& i = plugins[t->get<std::string>()];
      i.type = t->get<std::string>();
      i.uses.push_back({&n, true});
    }
  }

  r.timed("plugin binaries", [&] {
    const std::vector<std::string> ld =
        c.opts.offline ? std::vector<std::string>{} : elf::ldSoConfDirs();
    bool all_found = true;
    size_t found = 0;
    for (auto& [type, p] : plugins) {
      bool odd = false;
      for (const auto& d : c.opts.bin_dirs) {
        bool regular = false;
        p.looked.push_back(lookAt(d, type, regular, odd));
        if (regular && p.path.empty()) p.path = p.looked.back().path;
      }
      // FindInPath refuses names with a '/' ("invalid plugin name").
      if (p.path.empty() || type.find('/') != std::string::npos) {
        p.path.clear();
        all_found = false;
        lookupFinding(c, r, p, odd);
        continue;
      }
      ++found;
      p.ok = checkFile(c, r, p, ld);
    }
    dirFindings(c, r, all_found);
    return std::to_string(plugins.size()) + " plugins named by " +
           std::to_string(c.networks.size()) + " networks, " + std::to_string(found) +
           " found in " + invoke::joinPath(c.opts.bin_dirs);
  });

  if (c.opts.offline) {
    r.addSource({.name = "plugin probes",
                 .ran = false,
                 .detail = "offline: the plugins are read, not run (no VERSION or STATUS)"});
    return;
  }

  r.timed("plugin probes", [&] {
    std::vector<std::pair<const Plugin*, VersionProbe>> versions;
    std::vector<std::pair<const Network*, StatusProbe>> statuses;
    for (const auto& [type, p] : plugins) {
      if (p.ok) versions.emplace_back(&p, VersionProbe{});
    }
    for (const auto& n : c.networks) {
      // STATUS only when every plugin of the list was found and looks startable: otherwise the
      // root cause is already reported above.
      bool ready = statusApplies(n);
      for (const auto& pc : n.list.plugins) {
        auto it = plugins.find(pc.type);
        ready = ready && it != plugins.end() && it->second.ok;
      }
      if (ready) statuses.emplace_back(&n, StatusProbe{});
    }
    // One job per binary and per network, all at once: a node whose plugins all hang costs
    // one probe timeout. Each job writes only its own slot.
    std::vector<std::function<void()>> jobs;
    for (auto& [p, v] : versions) {
      jobs.push_back([&c, p, &v] { v = probeVersion(p->path, c.opts.probe_timeout); });
    }
    for (auto& [n, s] : statuses) {
      jobs.push_back(
          [&c, n, &s] { s = probeStatus(n->list, c.opts.bin_dirs, c.opts.probe_timeout); });
    }
    runParallel(std::move(jobs));

    std::vector<const Network*> version_broken;
    for (const auto& [p, v] : versions) versionFindings(c, r, *p, v, version_broken);
    for (const auto& [n, s] : statuses) {
      // A network one of whose plugins fails VERSION or rejects its cniVersion fails STATUS for
      // that reason, already reported.
      if (s.status ||
          std::find(version_broken.begin(), version_broken.end(), n) != version_broken.end()) {
        continue;
      }
      statusFinding(r, *n, s);
    }
    return std::to_string(versions.size()) + " binaries asked VERSION, " +
           std::to_string(statuses.size()) + " networks asked STATUS (timeout " +
           invoke::goDuration(c.opts.probe_timeout) + ")";
  });
}

}  // namespace cni::doctor
