// src/doctor/context.cc — gathering the facts the checks share (see context.h).
#include "src/doctor/context.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>

#include "src/common/ip.h"
#include "src/conf/load.h"
#include "src/ipam/text_file.h"
#include "src/spec/json.h"

namespace cni::doctor {

std::string_view netnsStateName(NetnsState s) {
  switch (s) {
    case NetnsState::kAlive:
      return "alive";
    case NetnsState::kGone:
      return "gone";
    case NetnsState::kNotNamespace:
      return "not a namespace";
    case NetnsState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const Network* Context::activeNetwork() const {
  for (const auto& n : networks) {
    if (n.active) return &n;
  }
  return nullptr;
}

const Network* Context::networkByName(std::string_view name) const {
  for (const auto& n : networks) {
    if (n.list.name == name) return &n;
  }
  return nullptr;
}

std::vector<const CacheFile*> Context::attachments(std::string_view network) const {
  std::vector<const CacheFile*> out;
  for (const auto& f : cache_files) {
    if (f.entry && (network.empty() || f.entry->network_name == network)) out.push_back(&f);
  }
  return out;
}

NetnsState netnsStateOf(const std::string& path, bool offline) {
  if (offline || path.empty()) return NetnsState::kUnknown;
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) {
    return errno == ENOENT || errno == ENOTDIR ? NetnsState::kGone : NetnsState::kUnknown;
  }
  // A namespace file (a bind mount in /run/netns, or /proc/<pid>/ns/net) lives on nsfs; after
  // a reboot or a lost mount only the empty mount-point file remains.
  return fs.f_type == NSFS_MAGIC ? NetnsState::kAlive : NetnsState::kNotNamespace;
}

std::string Context::hostLocalDataDir(const Json& ipam) const {
  if (const Json* d = spec::findKey(ipam, "dataDir"); d && d->is_string()) {
    std::string s = d->get<std::string>();
    if (!s.empty()) return s;
  }
  return opts.data_dir;
}

std::vector<LeaseFile> readLeases(const std::string& dir) {
  std::vector<LeaseFile> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (IpAddress::parse(e->d_name)) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    LeaseFile l{.path = dir + "/" + n, .ip = n};
    struct stat st {};
    // A lease is a few bytes; anything else of that name is not one.
    if (::stat(l.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) continue;
    l.mtime = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    auto text = ipam::readFileText(l.path);
    if (!text) continue;
    // Go trims the content, then splits "<cid>\r\n<ifname>".
    std::string t = ipam::trimSpace(*text);
    if (size_t p = t.find("\r\n"); p != std::string::npos) {
      l.container_id = t.substr(0, p);
      l.ifname = t.substr(p + 2);
    } else {
      l.container_id = t;
    }
    out.push_back(std::move(l));
  }
  return out;
}

CacheFile readCacheFile(const std::string& path) {
  CacheFile f;
  f.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    f.problem = "cannot stat: " + std::string(std::strerror(errno));
    return f;
  }
  f.size = st.st_size;
  f.mtime = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
  if (!S_ISREG(st.st_mode)) {
    f.problem = "not a regular file";
    return f;
  }
  if (st.st_size == 0) {
    f.problem = "empty";
    return f;
  }
  auto bytes = conf::readConfFile(path);
  if (!bytes) {
    f.problem = bytes.error().msg;
    return f;
  }
  auto j = spec::parseJson(*bytes, "cached result");
  if (!j) {
    f.problem = "invalid JSON: " + j.error().msg;
    return f;
  }
  auto e = libcni::decodeEntry(*j);
  if (!e) {
    f.problem = "not a cniCacheV1 entry (a legacy bare result, or a field of the wrong type)";
    return f;
  }
  if (e->container_id.empty() || e->ifname.empty() || e->network_name.empty()) {
    f.problem = "incomplete cniCacheV1 entry (containerId, ifName or networkName missing)";
    return f;
  }
  f.entry = std::move(*e);
  return f;
}

std::optional<std::vector<CacheFile>> readResultsDir(const std::string& cache_dir) {
  const std::string results = cache_dir + "/results";
  DIR* d = ::opendir(results.c_str());
  if (d == nullptr) return std::nullopt;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<CacheFile> out;
  for (const auto& n : names) out.push_back(readCacheFile(results + "/" + n));
  return out;
}

Context gather(const Options& opts) {
  Context c;
  c.opts = opts;
  c.lenient = conf::scan(opts.conf_dir, conf::Policy::kLenient);
  c.strict = conf::scan(opts.conf_dir, conf::Policy::kStrict);
  for (const auto& f : c.lenient.files) {
    if (!f.list) continue;  // only usable files carry their network
    c.networks.push_back(
        {.path = f.path, .list = *f.list, .active = f.state == conf::FileVerdict::State::kActive});
  }
  if (auto files = readResultsDir(opts.cache_dir)) {
    c.results_dir_exists = true;
    c.cache_files = std::move(*files);
  }
  return c;
}

}  // namespace cni::doctor
