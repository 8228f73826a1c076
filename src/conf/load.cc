// src/conf/load.cc — libcni's on-disk configuration loading (see load.h).
#include "src/conf/load.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "src/common/errno_text.h"
#include "src/common/unique_fd.h"
#include "src/spec/validate.h"

namespace cni::conf {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { (void)::closedir(d); }  // nothing useful to do on failure
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace

std::string cleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const size_t n = path.size();
  std::string out;
  size_t r = 0;
  size_t dotdot = 0;  // out[:dotdot] cannot be backtracked over
  if (rooted) {
    out = "/";
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (out.size() > dotdot) {
        out.pop_back();
        while (out.size() > dotdot && out.back() != '/') out.pop_back();
        if (out.size() > dotdot && out.back() == '/') out.pop_back();
      } else if (!rooted) {
        if (!out.empty()) out += '/';
        out += "..";
        dotdot = out.size();
      }
    } else {
      if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out += '/';
      for (; r < n && path[r] != '/'; ++r) out += path[r];
    }
  }
  return out.empty() ? "." : out;
}

std::string joinPath(std::string_view dir, std::string_view name) {
  if (dir.empty() && name.empty()) return "";
  if (dir.empty()) return cleanPath(name);
  if (name.empty()) return cleanPath(dir);
  return cleanPath(std::string(dir) + "/" + std::string(name));
}

std::string dirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return cleanPath(slash == std::string_view::npos ? std::string_view()
                                                   : path.substr(0, slash + 1));
}

std::string_view fileExt(std::string_view name) {
  for (size_t i = name.size(); i > 0; --i) {
    if (name[i - 1] == '/') break;
    if (name[i - 1] == '.') return name.substr(i - 1);
  }
  return {};
}

Expected<std::vector<std::string>> confFiles(const std::string& dir,
                                             const std::vector<std::string>& extensions) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return std::vector<std::string>{};  // no directory: no configuration
    // Go opens without O_DIRECTORY and fails in getdents; keep its wording.
    std::string op = err == ENOTDIR ? "readdirent " : "open ";
    return fail(ErrorCode::kIoFailure, op + dir + ": " + goErrnoText(err));
  }
  DirPtr d(::fdopendir(fd.get()));
  if (!d) return fail(ErrorCode::kIoFailure, "open " + dir + ": " + goErrnoText(errno));
  (void)fd.release();  // owned by the DIR now
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* e = ::readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) {
        return fail(ErrorCode::kIoFailure, "readdirent " + dir + ": " + goErrnoText(errno));
      }
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string_view ext = fileExt(name);
    if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end()) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d.get()), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(joinPath(dir, n));
  return out;
}

Expected<std::string> readConfFile(const std::string& path) {
  const std::string ctx = "error reading " + path + ": ";
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected below anyway.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return fail(ErrorCode::kIoFailure, ctx + "open " + path + ": " + goErrnoText(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(ErrorCode::kIoFailure, ctx + "stat " + path + ": " + goErrnoText(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kIoFailure, ctx + "read " + path + ": " + goErrnoText(EISDIR));
  }
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kIoFailure, ctx + "not a regular file");
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kIoFailure, ctx + "read " + path + ": " + goErrnoText(errno));
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

Expected<std::vector<PluginConf>> pluginConfsFromDir(const std::string& conf_dir,
                                                     const std::string& network) {
  if (!spec::isValidIdentifier(network)) return std::vector<PluginConf>{};
  const std::string plugin_dir = joinPath(conf_dir, network);
  auto files = confFiles(plugin_dir, {".conf"});
  if (!files) {
    return fail(std::move(files).error().withContext("failed to read plugin config files in " +
                                                     plugin_dir));
  }
  std::vector<PluginConf> out;
  for (const auto& f : *files) {
    CNI_ASSIGN_OR_RETURN(std::string bytes, readConfFile(f));
    CNI_ASSIGN_OR_RETURN(PluginConf p, pluginConfFromBytes(bytes));
    p.source = f;
    out.push_back(std::move(p));
  }
  return out;
}

Expected<NetworkConfigList> confListFromFile(const std::string& path) {
  CNI_ASSIGN_OR_RETURN(std::string bytes, readConfFile(path));
  CNI_ASSIGN_OR_RETURN(NetworkConfigList list, confListFromBytes(bytes));
  list.source = path;
  if (!list.load_only_inlined_plugins) {
    CNI_ASSIGN_OR_RETURN(std::vector<PluginConf> extra,
                         pluginConfsFromDir(dirName(path), list.name));
    for (auto& p : extra) list.plugins.push_back(std::move(p));
  }
  if (list.plugins.empty())
    return fail(ErrorCode::kInvalidNetworkConfig, "no plugin configs found");
  return list;
}

Expected<NetworkConfig> confFromFile(const std::string& path) {
  CNI_ASSIGN_OR_RETURN(std::string bytes, readConfFile(path));
  CNI_ASSIGN_OR_RETURN(NetworkConfig conf, confFromBytes(bytes));
  conf.source = path;
  conf.plugin.source = path;
  return conf;
}

Expected<NetworkConfigList> loadConfListFile(const std::string& path) {
  std::string_view ext = fileExt(path);
  bool as_list = ext == ".conflist";
  if (ext != ".conflist" && ext != ".conf" && ext != ".json") {
    CNI_ASSIGN_OR_RETURN(std::string bytes, readConfFile(path));
    auto doc = spec::parseJson(bytes, "configuration");
    // Unparseable: let the list parser produce the error text.
    as_list = !doc || !doc->is_object() || doc->contains("plugins") ||
              spec::findKey(*doc, "type") == nullptr;
  }
  if (as_list) return confListFromFile(path);
  CNI_ASSIGN_OR_RETURN(NetworkConfig conf, confFromFile(path));
  return confListFromConf(conf);
}

Expected<NetworkConfigList> loadConfList(const std::string& dir, const std::string& name) {
  CNI_ASSIGN_OR_RETURN(std::vector<std::string> lists, confFiles(dir, {".conflist"}));
  for (const auto& f : lists) {
    CNI_ASSIGN_OR_RETURN(NetworkConfigList list, confListFromFile(f));
    if (list.name == name) return list;
  }
  // Deprecated single-plugin files, upconverted (LoadConf).
  CNI_ASSIGN_OR_RETURN(std::vector<std::string> singles, confFiles(dir, {".conf", ".json"}));
  if (singles.empty() && lists.empty()) {
    return fail(ErrorCode::kInvalidNetworkConfig, "no net configurations found in " + dir);
  }
  for (const auto& f : singles) {
    CNI_ASSIGN_OR_RETURN(NetworkConfig conf, confFromFile(f));
    if (conf.name == name) return confListFromConf(conf);
  }
  return fail(ErrorCode::kInvalidNetworkConfig,
              "no net configuration with name \"" + name + "\" in " + dir);
}

bool isNotFound(const Error& e) {
  return e.msg.starts_with("no net configuration with name \"") ||
         e.msg.starts_with("no net configurations found in ");
}

}  // namespace cni::conf
