// src/ipam/lease_index.cc — the mtime-stamped per-attachment lease index (see lease_index.h).
#include "src/ipam/lease_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "src/common/ip.h"
#include "src/common/sha512.h"
#include "src/common/unique_fd.h"
#include "src/ipam/text_file.h"

namespace cni::ipam {
namespace {

constexpr std::string_view kIndexDir = "/.cnikit-index";
constexpr std::string_view kStampName = "/stamp";

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> readLink(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0 || static_cast<size_t>(n) == sizeof buf) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// The stamp is overwritten in place and cut to length, not replaced by a new file: a new file
// costs an inode allocation and the rename frees the old one's block, which ext4 discards
// synchronously — together 0.3-3 ms per ADD and per DEL on a busy node (measured), for 25
// bytes. A torn stamp (crash mid-write) cannot equal the directory's mtime, so it only costs a
// rebuild, like any other mismatch; the stamp is written last, after everything it vouches for.
bool writeFileInPlace(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd || !writeAll(fd.get(), data)) return false;
  return ::ftruncate(fd.get(), static_cast<off_t>(data.size())) == 0;
}

// 1..999999999 from getrandom(2): std::random_device probes the CPU (cpuid, a trap to the
// hypervisor in a VM) before it reads anything, once per process, i.e. on every ADD and DEL.
long randomNanoseconds() {
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    r = static_cast<uint32_t>(t.tv_nsec);
  }
  return static_cast<long>(r % 999'999'999u) + 1;
}

std::optional<timespec> dirMtime(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

// "v2": entries are symlinks (v1, regular files, is rebuilt; a v1 binary rebuilds ours).
std::string stampText(const timespec& t) {
  return "v2 " + std::to_string(t.tv_sec) + " " + std::to_string(t.tv_nsec) + "\n";
}

}  // namespace

std::string leaseKey(std::string_view container_id, std::string_view ifname) {
  return trimSpace(container_id) + "\r\n" + std::string(ifname);
}

std::string LeaseIndex::entryPath(const std::string& key) const {
  return net_dir_ + std::string(kIndexDir) + "/" + sha512Hex(key);
}

bool LeaseIndex::ensureFresh() {
  usable_ = false;
  auto mtime = dirMtime(net_dir_);
  if (!mtime) return false;
  auto stamp = readFileText(net_dir_ + std::string(kIndexDir) + std::string(kStampName));
  if (stamp && *stamp == stampText(*mtime)) {
    usable_ = true;
    return true;
  }
  if (stamp && stamp->starts_with("off")) return false;  // coarse mtimes: never trust
  usable_ = rebuild();
  return usable_;
}

bool LeaseIndex::rebuild() {
  std::string index_dir = net_dir_ + std::string(kIndexDir);
  if (::mkdir(index_dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  // Drop every old entry (including the stamp, so a crash mid-rebuild leaves "stale").
  if (DIR* d = ::opendir(index_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      ::unlink((index_dir + "/" + n).c_str());
    }
    ::closedir(d);
  }
  std::map<std::string, std::vector<std::string>> by_key;
  DIR* d = ::opendir(net_dir_.c_str());
  if (!d) return false;
  bool legacy = false;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || !IpAddress::parse(n)) continue;
    auto content = readFileText(net_dir_ + "/" + n);
    if (!content) continue;
    std::string key = trimSpace(*content);
    if (key.find("\r\n") == std::string::npos) {
      legacy = true;  // "<cid>" only: matching rules need the scan, index is off
      break;
    }
    by_key[key].push_back(n);
  }
  ::closedir(d);
  if (legacy) return false;
  for (auto& [key, ips] : by_key) {
    if (!writeEntry(key, ips, /*exists=*/false)) return false;
  }
  dirty_ = true;  // the stamp must be (re)written at commit
  return true;
}

std::vector<std::string> LeaseIndex::lookup(const std::string& key) const {
  std::vector<std::string> out;
  auto target = readLink(entryPath(key));
  if (!target) return out;
  std::string_view rest = *target;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view ip = rest.substr(0, comma);
    if (!ip.empty()) out.emplace_back(ip);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

bool LeaseIndex::writeEntry(const std::string& key, const std::vector<std::string>& ips,
                            bool exists) const {
  const std::string path = entryPath(key);
  if (ips.empty()) return ::unlink(path.c_str()) == 0 || errno == ENOENT;
  std::string target;
  for (const auto& ip : ips) target += (target.empty() ? "" : ",") + ip;
  if (!exists && ::symlink(target.c_str(), path.c_str()) == 0) return true;
  // Replaced atomically: a new symlink renamed over the old one. A symlink this short lives in
  // its inode, so the replaced one frees no block for ext4 to discard.
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  return ::symlink(target.c_str(), tmp.c_str()) == 0 && ::rename(tmp.c_str(), path.c_str()) == 0;
}

void LeaseIndex::add(const std::string& key, const std::string& ip_name) {
  dirty_ = true;
  if (!usable_) return;
  auto ips = lookup(key);
  if (std::find(ips.begin(), ips.end(), ip_name) != ips.end()) return;
  const bool exists = !ips.empty();
  ips.push_back(ip_name);
  // An entry we could not write would hide the lease from DEL: drop the index instead (commit
  // then removes the stamp and the next lock rebuilds it).
  if (!writeEntry(key, ips, exists)) usable_ = false;
}

void LeaseIndex::remove(const std::string& key, const std::string& ip_name) {
  dirty_ = true;
  if (!usable_) return;
  auto ips = lookup(key);
  if (std::erase(ips, ip_name) == 0) return;
  if (!writeEntry(key, ips, /*exists=*/true)) usable_ = false;
}

void LeaseIndex::commit() {
  if (!dirty_) return;
  dirty_ = false;
  std::string stamp_path = net_dir_ + std::string(kIndexDir) + std::string(kStampName);
  if (!usable_) {
    ::unlink(stamp_path.c_str());
    return;
  }
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);

  timespec times[2];
  times[0].tv_nsec = UTIME_OMIT;
  times[0].tv_sec = 0;
  times[1].tv_sec = now.tv_sec;
  times[1].tv_nsec = randomNanoseconds();
  if (::utimensat(AT_FDCWD, net_dir_.c_str(), times, 0) != 0) {
    ::unlink(stamp_path.c_str());
    return;
  }
  auto got = dirMtime(net_dir_);
  if (!got || got->tv_sec != times[1].tv_sec || got->tv_nsec != times[1].tv_nsec) {
    writeFileInPlace(stamp_path, "off\n");  // the file system rounds mtimes: detection unsafe
    return;
  }
  writeFileInPlace(stamp_path, stampText(*got));
}

}  // namespace cni::ipam
