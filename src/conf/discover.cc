// src/conf/discover.cc — runtime-style default-network discovery with a per-file account
// (see discover.h).
#include "src/conf/discover.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include "src/common/unique_fd.h"
#include "src/conf/load.h"
#include "src/spec/go_text.h"
#include "src/spec/validate.h"
#include "src/spec/version.h"

namespace cni::conf {
namespace {

using spec::goQuote;
using State = FileVerdict::State;

struct DirCloser {
  void operator()(DIR* d) const { (void)::closedir(d); }  // read-only stream: nothing to report
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// One directory entry after evaluation on its own merits (before ordering decides who wins).
struct Candidate {
  FileVerdict verdict;
  std::optional<NetworkConfigList> list;  // set iff the file is usable
  Error error;                            // the runtime-style error, for invalid candidates
  bool plugin_folder_source = false;      // list loaded plugins from <dir>/<name>/
};

bool isCandidateExt(std::string_view ext) {
  return ext == ".conf" || ext == ".conflist" || ext == ".json";
}

std::string fileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  return "special file";
}

std::string readLink(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? std::string("?") : std::string(buf, static_cast<size_t>(n));
}

std::string joinList(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// invoke.FindInPath: the first `dir/type` that is a regular file (exec bit not checked, as Go).
bool pluginExists(const std::string& type, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    struct stat st {};
    if (::stat(joinPath(d, type).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  }
  return false;
}

void invalid(Candidate& c, std::string reason, ErrorCode code, std::string runtime_msg) {
  c.verdict.state = State::kInvalid;
  c.verdict.reason = std::move(reason);
  c.error = Error(code, std::move(runtime_msg));
  c.list.reset();
}

// Parses a readable candidate's bytes into a list, or marks it invalid with the reason.
void parseCandidate(Candidate& c, const std::string& dir, std::string_view ext,
                    const std::string& bytes) {
  const std::string& path = c.verdict.path;
  if (ext == ".conflist") {
    const std::string ctx = "failed to load CNI config list file " + path + ": ";
    auto list = confListFromBytes(bytes);
    if (!list) return invalid(c, list.error().msg, list.error().code, ctx + list.error().msg);
    c.verdict.network_name = list->name;
    list->source = path;
    if (!list->load_only_inlined_plugins) {
      auto extra = pluginConfsFromDir(dir, list->name);
      if (!extra) return invalid(c, extra.error().msg, extra.error().code, ctx + extra.error().msg);
      c.plugin_folder_source = !extra->empty();
      for (auto& p : *extra) list->plugins.push_back(std::move(p));
    }
    if (list->plugins.empty()) {
      return invalid(c,
                     "no plugins: no \"plugins\" in the list and no plugin files in " +
                         joinPath(dir, list->name) + "/*.conf",
                     ErrorCode::kInvalidNetworkConfig,
                     "CNI config list in config file " + path + " has no networks");
    }
    c.list = std::move(*list);
    return;
  }
  const std::string ctx = "failed to load CNI config file " + path + ": ";
  auto conf = confFromBytes(bytes);
  if (!conf) {
    // A list saved under a .conf name is the classic mistake; say so instead of "missing 'type'".
    auto doc = spec::parseJson(bytes, "configuration");
    if (doc && doc->is_object()) {
      const Json* t = spec::findKey(*doc, "type");
      if (t == nullptr || (t->is_string() && t->get<std::string>().empty())) {
        if (const Json* n = spec::findKey(*doc, "name"); n != nullptr && n->is_string()) {
          c.verdict.network_name = n->get<std::string>();
        }
        return invalid(c, "no 'type'; perhaps this is a .conflist?",
                       ErrorCode::kInvalidNetworkConfig, "network type not found in " + path);
      }
    }
    return invalid(c, conf.error().msg, conf.error().code, ctx + conf.error().msg);
  }
  conf->source = path;
  conf->plugin.source = path;
  c.verdict.network_name = conf->name;
  auto list = confListFromConf(*conf);
  if (!list) return invalid(c, list.error().msg, list.error().code, ctx + list.error().msg);
  c.list = std::move(*list);
}

void addWarnings(Candidate& c) {
  const NetworkConfigList& l = *c.list;
  if (!spec::isValidIdentifier(l.name)) {
    c.verdict.warnings.push_back("network name " + goQuote(l.name) +
                                 " does not match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$: ADD will fail");
  }
  if (l.cni_version.empty()) {
    c.verdict.warnings.push_back("no cniVersion: plugins will treat the network as 0.1.0");
  } else if (!spec::isKnownVersion(l.cni_version)) {
    c.verdict.warnings.push_back("cniVersion " + goQuote(l.cni_version) +
                                 " is not a released CNI version");
  }
}

Candidate evaluate(const std::string& dir, const std::string& name, const DiscoverOptions& opts) {
  Candidate c;
  c.verdict.path = joinPath(dir, name);
  const std::string& path = c.verdict.path;
  std::string_view ext = fileExt(name);

  struct stat lst {};
  const bool is_link = ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
  struct stat st {};
  const int stat_rc = ::stat(path.c_str(), &st);
  const int stat_err = errno;
  if (stat_rc == 0 && S_ISDIR(st.st_mode)) {
    c.verdict.reason = is_link ? "symlink to a directory" : "directory";
    return c;
  }
  if (!isCandidateExt(ext)) {
    c.verdict.reason = ext.empty()
                           ? "no extension (not .conf, .conflist or .json)"
                           : "extension " + goQuote(ext) + " is not .conf, .conflist or .json";
    return c;
  }
  if (stat_rc != 0) {
    std::string reason;
    if (is_link && stat_err == ENOENT) {
      reason = "dangling symlink to " + readLink(path);
    } else if (stat_err == ELOOP) {
      reason = "symlink loop";
    } else {
      reason = "stat " + path + ": " + goErrnoText(stat_err);
    }
    invalid(c, reason, ErrorCode::kIoFailure,
            "error reading " + path + ": open " + path + ": " + goErrnoText(stat_err));
    return c;
  }
  if (!S_ISREG(st.st_mode)) {
    c.verdict.reason = "not a regular file (" + fileKind(st.st_mode) + ")";
    return c;
  }
  if (opts.max_file_size != 0 && static_cast<std::uint64_t>(st.st_size) > opts.max_file_size) {
    const std::string limit = std::to_string(opts.max_file_size);
    invalid(c, "file is " + std::to_string(st.st_size) + " bytes, over the limit of " + limit,
            ErrorCode::kInvalidNetworkConfig,
            "CNI config in " + path + " exceeded max size of " + limit);
    return c;
  }
  auto bytes = readConfFile(path);
  if (!bytes) {
    invalid(c, bytes.error().msg, bytes.error().code, bytes.error().msg);
    return c;
  }
  if (bytes->find_first_not_of(" \t\r\n") == std::string::npos) {
    invalid(c, bytes->empty() ? "file is empty" : "file is empty (whitespace only)",
            ErrorCode::kInvalidNetworkConfig,
            "failed to load CNI config file " + path + ": unexpected end of JSON input");
    return c;
  }
  if (bytes->starts_with("\xEF\xBB\xBF")) {
    invalid(c, "file starts with a UTF-8 byte order mark, which Go's JSON decoder rejects",
            ErrorCode::kDecodingFailure,
            "failed to load CNI config file " + path +
                ": invalid character '\xC3\xAF' looking for beginning of value");
    return c;
  }
  parseCandidate(c, dir, ext, *bytes);
  if (!c.list) return c;

  if (opts.cni_path) {
    for (const auto& p : c.list->plugins) {
      if (pluginExists(p.type, *opts.cni_path)) continue;
      const std::string dirs = joinList(*opts.cni_path, ":");
      invalid(c, "plugin " + goQuote(p.type) + " not found in CNI_PATH (" + dirs + ")",
              ErrorCode::kInvalidNetworkConfig,
              path + ": failed to find plugin " + goQuote(p.type) + " in path [" +
                  joinList(*opts.cni_path, " ") + "]");
      return c;
    }
  }
  c.verdict.state = State::kValid;
  addWarnings(c);
  return c;
}

}  // namespace

std::string_view stateName(FileVerdict::State s) {
  switch (s) {
    case State::kActive:
      return "active";
    case State::kValid:
      return "valid";
    case State::kInvalid:
      return "invalid";
    case State::kIgnored:
      return "ignored";
  }
  return "ignored";
}

Discovery scan(const std::string& dir, Policy policy, const DiscoverOptions& opts) {
  Discovery out;
  out.dir = dir;
  out.policy = policy;

  std::vector<std::string> names;
  {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DirPtr d(fd ? ::fdopendir(fd.get()) : nullptr);
    if (!d) {
      int err = errno;
      if (err != ENOENT) {
        out.error = Error(ErrorCode::kIoFailure,
                          "failed to read config dir: open " + dir + ": " + goErrnoText(err));
        return out;
      }
    } else {
      (void)fd.release();  // owned by the DIR now
      while (const dirent* e = ::readdir(d.get())) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") names.emplace_back(n);
      }
    }
  }
  std::sort(names.begin(), names.end());

  std::vector<Candidate> cands;
  cands.reserve(names.size());
  for (const auto& n : names) cands.push_back(evaluate(dir, n, opts));

  std::optional<size_t> active, failure;
  std::map<std::string, size_t> first_by_name;
  bool any_candidate = false;
  for (size_t i = 0; i < cands.size(); ++i) {
    Candidate& c = cands[i];
    if (c.verdict.state == State::kIgnored) continue;
    any_candidate = true;
    if (c.verdict.state == State::kInvalid) {
      if (policy == Policy::kStrict && !active && !failure) failure = i;
      continue;
    }
    auto [it, fresh] = first_by_name.emplace(c.list->name, i);
    if (!active && !failure) {
      active = i;
      c.verdict.state = State::kActive;
      c.verdict.reason = "first valid configuration: the default network";
    } else if (!fresh) {
      c.verdict.reason = "duplicate network name of " + cands[it->second].verdict.path;
    } else if (failure) {
      c.verdict.reason = "not reached: strict discovery failed at " + cands[*failure].verdict.path;
    } else {
      c.verdict.reason = "shadowed by " + cands[*active].verdict.path;
    }
  }
  // Say what a subfolder next to the lists is for.
  for (auto& c : cands) {
    if (c.verdict.state != State::kIgnored || c.verdict.reason != "directory") continue;
    std::string base = c.verdict.path.substr(c.verdict.path.rfind('/') + 1);
    for (const auto& o : cands) {
      if (o.list && o.plugin_folder_source && o.list->name == base) {
        c.verdict.reason = "directory: plugin folder of network " + goQuote(base);
        break;
      }
    }
  }

  if (failure) {
    out.error = cands[*failure].error;
  } else if (active) {
    out.active = cands[*active].list;
  } else if (!any_candidate) {
    out.error = Error(ErrorCode::kInvalidNetworkConfig, "no networks found in " + dir);
  } else {
    out.error = Error(ErrorCode::kInvalidNetworkConfig, "no valid networks found in " + dir);
  }
  out.files.reserve(cands.size());
  for (auto& c : cands) {
    if (c.verdict.state == State::kActive || c.verdict.state == State::kValid)
      c.verdict.list = c.list;
    out.files.push_back(std::move(c.verdict));
  }
  return out;
}

Expected<Discovery> discover(const std::string& dir, Policy policy, const DiscoverOptions& opts) {
  Discovery d = scan(dir, policy, opts);
  if (d.error) return fail(*d.error);
  return d;
}

Json Discovery::toJson() const {
  Json j = Json::object();
  j["dir"] = dir;
  j["policy"] = policy == Policy::kStrict ? "strict" : "lenient";
  if (active) {
    Json types = Json::array();
    for (const auto& p : active->plugins) types.push_back(p.type);
    j["active"] = {{"path", active->source},
                   {"name", active->name},
                   {"cniVersion", active->cni_version},
                   {"plugins", std::move(types)}};
  } else {
    j["active"] = nullptr;
  }
  if (error) {
    j["error"] = {{"code", error->codeValue()}, {"msg", error->msg}};
  } else {
    j["error"] = nullptr;
  }
  Json fs = Json::array();
  for (const auto& f : files) {
    fs.push_back({{"path", f.path},
                  {"state", stateName(f.state)},
                  {"network", f.network_name},
                  {"reason", f.reason},
                  {"warnings", f.warnings}});
  }
  j["files"] = std::move(fs);
  return j;
}

}  // namespace cni::conf
