// src/doctor/check_conf.cc — the config directory as runtimes see it (see doctor.h).
//
// Discovery itself (src/conf/discover.h) already explains every file under one policy; here the
// two policies are compared (containerd/libcni are strict, kubelet/CRI-O lenient), JSON errors
// get a line:column, and each verdict becomes a finding with a severity that says what it costs:
// a bad file that fails strict discovery, or a node with no usable network, is an error (pods
// hang in ContainerCreating); a bad file a runtime merely skips is a warning.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "src/conf/load.h"
#include "src/doctor/doctor.h"

namespace cni::doctor {
namespace {

using State = conf::FileVerdict::State;

struct Position {
  int line = 0, column = 0;
  std::string msg;
};

// The editor position (1-based line and column, columns in bytes) of byte `offset` of `bytes`.
Position positionAt(const std::string& bytes, size_t offset, std::string msg = {}) {
  Position p{1, 1, std::move(msg)};
  for (size_t i = 0; i < std::min(offset, bytes.size()); ++i) {
    if (bytes[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// Where the JSON in `bytes` stops parsing (nlohmann gives the 1-based byte of the last read).
std::optional<Position> jsonErrorPosition(const std::string& bytes) {
  try {
    Json parsed = Json::parse(bytes);
    (void)parsed;
    return std::nullopt;
  } catch (const Json::parse_error& e) {
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 3, column 7:
    // syntax error while parsing ... - invalid literal; last read: '...'": keep what follows
    // the position, which is the useful part.
    std::string msg = e.what();
    if (auto k = msg.find(": "); k != std::string::npos) msg = msg.substr(k + 2);
    return positionAt(bytes, e.byte == 0 ? 0 : e.byte - 1, std::move(msg));
  } catch (const Json::exception& e) {
    return Position{0, 0, e.what()};
  }
}

// The position of the first `"key"` in the text (for pointing at a bad value).
Position keyPosition(const std::string& bytes, std::string_view key) {
  size_t at = bytes.find("\"" + std::string(key) + "\"");
  return at == std::string::npos ? Position{} : positionAt(bytes, at);
}

bool fileExtIs(std::string_view path, std::string_view ext) { return conf::fileExt(path) == ext; }

std::string readAll(const std::string& path) {
  auto b = conf::readConfFile(path);
  return b ? *b : std::string();
}

std::string base(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// Names of files an editor, a package manager or an operator leaves behind by accident.
bool looksStray(std::string_view name) {
  static constexpr std::string_view kMarks[] = {"~",     ".bak",  ".orig", ".old",   ".swp",
                                                ".save", ".dpkg", ".rpm",  "backup", "copy",
                                                ".tmp",  "test",  "#",     ".ucf-",  ".disabled"};
  for (auto m : kMarks) {
    if (name.find(m) != std::string_view::npos) return true;
  }
  return name.starts_with("00-") || name.starts_with(".");
}

// Files other CNI software keeps in the config dir on purpose: podman's lock, the kubeconfig
// Calico/Multus/whereabouts write for their plugins, their own subdirectories.
bool knownCompanion(std::string_view name) {
  return name == "cni.lock" || name.ends_with("kubeconfig") || name == "multus.d" ||
         name == "whereabouts.d" || name == "calico-tls";
}

std::chrono::system_clock::time_point mtimeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
}

void dirFindings(const Context& c, Report& r) {
  const std::string& dir = c.opts.conf_dir;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    r.add(finding("conf.dir-missing", Severity::kError, dir,
                  "the CNI config directory does not exist: runtimes report \"network plugin is "
                  "not ready: cni config uninitialized\"",
                  "install the network's config (the CNI DaemonSet does this when it starts; "
                  "check its pod), or point the runtime at the right directory",
                  {{.path = dir, .value = std::strerror(errno)}}));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    r.add(finding("conf.dir-unreadable", Severity::kError, dir,
                  "the CNI config path is not a directory", "replace it with a directory",
                  {{.path = dir, .value = "not a directory"}}));
    return;
  }
  if (c.lenient.error && c.lenient.error->code == ErrorCode::kIoFailure &&
      c.lenient.files.empty()) {
    r.add(finding("conf.dir-unreadable", Severity::kError, dir,
                  "the CNI config directory cannot be read",
                  "fix its permissions: the runtime reads it as root (chmod 755 " + dir + ")",
                  {{.path = dir, .value = c.lenient.error->msg}}));
    return;
  }
  bool any_candidate = std::any_of(c.lenient.files.begin(), c.lenient.files.end(),
                                   [](const auto& f) { return f.state != State::kIgnored; });
  if (!any_candidate) {
    std::vector<Evidence> ev;
    for (const auto& f : c.lenient.files) ev.push_back({.path = f.path, .value = f.reason});
    r.add(finding("conf.empty", Severity::kError, dir,
                  "no *.conf, *.conflist or *.json file in the CNI config directory: runtimes "
                  "report \"network plugin is not ready: cni config uninitialized\"",
                  "install the network's config; if the CNI DaemonSet writes it, check that its "
                  "pod on this node is running",
                  std::move(ev)));
  }
}

void invalidFinding(const Context& c, Report& r, const conf::FileVerdict& f) {
  const std::string bytes = readAll(f.path);
  // Whether this file is what stops strict discovery, or there is nothing usable anyway: then
  // it decides that pods get no network.
  const bool fatal = (c.strict.error && c.strict.error->msg.find(f.path) != std::string::npos &&
                      !c.strict.active) ||
                     !c.lenient.active;
  const Severity sev = fatal ? Severity::kError : Severity::kWarning;
  const std::string cost =
      fatal ? (c.lenient.active ? " containerd and libcni runtimes stop at this file: "
                                  "\"network plugin is not ready\"."
                                : " There is no usable network config.")
            : " Runtimes skip it.";
  if (auto pos = jsonErrorPosition(bytes); pos && !bytes.empty() && pos->line > 0) {
    r.add(finding("conf.json-syntax", sev, f.path,
                  "invalid JSON at line " + std::to_string(pos->line) + ", column " +
                      std::to_string(pos->column) + "." + cost,
                  "correct the JSON there (check with `python3 -m json.tool " + f.path +
                      "`), or move the file out of " + c.opts.conf_dir,
                  {{.path = f.path, .line = pos->line, .column = pos->column, .value = pos->msg}}));
    return;
  }
  std::string check = "conf.invalid";
  std::string fix = "correct the file, or move it out of " + c.opts.conf_dir;
  Position at;
  const std::string& why = f.reason;
  if (why.find("no name") != std::string::npos ||
      why.find("invalid name type") != std::string::npos) {
    check = "conf.missing-name";
    fix = "add a string \"name\" to the top-level object";
    at = why.find("type") != std::string::npos ? keyPosition(bytes, "name") : Position{1, 1, ""};
  } else if (why.find("'type'") != std::string::npos) {
    check = "conf.missing-type";
    fix = fileExtIs(f.path, ".conf") || fileExtIs(f.path, ".json")
              ? "a single-plugin file needs \"type\"; if this is a list (it has \"plugins\"), "
                "rename it to .conflist"
              : "give every plugin object a \"type\" naming its binary";
    at = keyPosition(bytes, "plugins");
  } else if (why.find("no plugins") != std::string::npos) {
    check = "conf.missing-plugins";
    fix = "a .conflist needs a non-empty \"plugins\" array";
    at = keyPosition(bytes, "plugins");
  } else if (why.find("cniVersion") != std::string::npos) {
    check = "conf.unsupported-version";
    fix =
        "set \"cniVersion\" to a released version the plugins support (0.3.1, 0.4.0, 1.0.0, "
        "1.1.0)";
    at = keyPosition(bytes, "cniVersion");
  } else if (why.starts_with("file is empty")) {
    check = "conf.empty-file";
    fix = "remove the empty file (a crashed installer often leaves one), or write the config";
  }
  r.add(finding(check, sev, f.path, "config file is unusable: " + why + "." + cost, fix,
                {{.path = f.path, .line = at.line, .column = at.column, .value = why}}));
}

void fileFindings(const Context& c, Report& r) {
  const conf::FileVerdict* active = nullptr;
  for (const auto& f : c.lenient.files) {
    if (f.state == State::kActive) active = &f;
  }
  std::map<std::string, const conf::FileVerdict*> first_by_name;
  for (const auto& f : c.lenient.files) {
    switch (f.state) {
      case State::kIgnored: {
        if (f.reason.starts_with("directory: plugin folder") || knownCompanion(base(f.path))) {
          break;
        }
        const bool stray = looksStray(base(f.path));
        r.add(finding("conf.ignored", Severity::kInfo, f.path,
                      "not read by any runtime: " + f.reason,
                      stray ? "if it is a backup or a disabled config, move it out of " +
                                  c.opts.conf_dir + " to keep the directory unambiguous"
                            : "nothing to do if it is not meant to be a network config",
                      {{.path = f.path, .value = f.reason}}));
        break;
      }
      case State::kInvalid:
        invalidFinding(c, r, f);
        break;
      case State::kActive:
      case State::kValid: {
        auto [it, fresh] = first_by_name.emplace(f.network_name, &f);
        if (!fresh) {
          r.add(finding("conf.duplicate-name", Severity::kWarning, f.path,
                        "network name \"" + f.network_name + "\" is also defined by " +
                            it->second->path +
                            ": lookups by name (cnitool, podman, Multus) find only one of them",
                        "give each network a distinct \"name\", or remove the stale copy",
                        {{.path = f.path, .value = f.network_name},
                         {.path = it->second->path, .value = f.network_name}}));
        } else if (f.state == State::kValid && active != nullptr) {
          const bool stray = looksStray(base(active->path));
          const bool newer = mtimeOf(f.path) > mtimeOf(active->path);
          if (stray || newer) {
            std::string why =
                stray ? base(active->path) + " looks like a stray or backup file"
                      : base(f.path) + " was modified after the active " + base(active->path);
            r.add(
                finding("conf.shadowed", Severity::kWarning, f.path,
                        "shadowed by " + active->path +
                            ", which sorts first and is the only "
                            "config runtimes use (" +
                            why + ")",
                        "if " + base(f.path) + " is the network you meant, remove or rename " +
                            active->path + " (files are taken in byte order: 00- before 10-)",
                        {{.path = active->path, .value = "active, network " + active->network_name},
                         {.path = f.path, .value = "shadowed, network " + f.network_name}}));
          } else {
            r.add(
                finding("conf.shadowed", Severity::kInfo, f.path,
                        "valid but shadowed by " + active->path +
                            ": runtimes use only the first valid file",
                        "nothing to do if that is intended (Multus and podman look networks "
                        "up by name)",
                        {{.path = active->path, .value = "active, network " + active->network_name},
                         {.path = f.path, .value = "shadowed, network " + f.network_name}}));
          }
        }
        const bool is_active = f.state == State::kActive;
        const std::string bytes = readAll(f.path);
        for (const auto& w : f.warnings) {
          const bool name = w.starts_with("network name");
          Position at = keyPosition(bytes, name ? "name" : "cniVersion");
          r.add(finding(name ? "conf.invalid-name" : "conf.unsupported-version",
                        is_active ? Severity::kError : Severity::kWarning, f.path,
                        w + (is_active ? " (this is the active network)" : ""),
                        name ? "use a name of letters, digits, '_', '.', '-' (starting with a "
                               "letter or digit)"
                             : "set \"cniVersion\" to a released version the plugins support "
                               "(0.3.1, 0.4.0, 1.0.0, 1.1.0)",
                        {{.path = f.path, .line = at.line, .column = at.column, .value = w}}));
        }
        break;
      }
    }
  }
}

void policyFindings(const Context& c, Report& r) {
  if (!c.lenient.active && !c.strict.active) {
    if (!c.lenient.files.empty() &&
        std::any_of(c.lenient.files.begin(), c.lenient.files.end(),
                    [](const auto& f) { return f.state != State::kIgnored; })) {
      r.add(finding(
          "conf.no-network", Severity::kError, c.opts.conf_dir,
          "no usable network config: every candidate file is invalid; runtimes report "
          "\"network plugin is not ready: cni config uninitialized\"",
          "fix the invalid files listed above",
          {{.path = c.opts.conf_dir, .value = c.lenient.error ? c.lenient.error->msg : ""}}));
    }
    return;
  }
  auto path = [](const conf::Discovery& d) {
    return d.active ? d.active->source
                    : std::string("none (" + (d.error ? d.error->msg : "") + ")");
  };
  if (c.lenient.active && c.strict.active && c.lenient.active->source == c.strict.active->source) {
    return;
  }
  r.add(finding("conf.policy-disagreement", Severity::kWarning, c.opts.conf_dir,
                "runtimes disagree on the active network: kubelet/CRI-O (lenient) use " +
                    path(c.lenient) + ", containerd/libcni (strict) use " + path(c.strict),
                "remove or fix the invalid file that sorts before the network you mean, so every "
                "runtime picks the same one",
                {{.path = c.opts.conf_dir, .value = "lenient: " + path(c.lenient)},
                 {.path = c.opts.conf_dir, .value = "strict: " + path(c.strict)}}));
}

}  // namespace

void checkConfig(const Context& c, Report& r) {
  r.timed("config dir", [&] {
    dirFindings(c, r);
    fileFindings(c, r);
    policyFindings(c, r);
    return c.opts.conf_dir + ", " + std::to_string(c.lenient.files.size()) + " entries";
  });
}

}  // namespace cni::doctor
