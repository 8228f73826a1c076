// src/ipam/disk_store.cc — the reference-compatible lease files (see disk_store.h).
#include "src/ipam/disk_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "src/common/mkdir_all.h"
#include "src/ipam/text_file.h"

namespace cni::ipam {
namespace {

// Go's os.MkdirAll(dir, 0755), failing as Go's *PathError does ("mkdir <component>: ...").
Status mkdirAll(const std::string& dir) {
  if (auto f = cni::mkdirAll(dir, 0755)) return fail(goErrnoError("mkdir " + f->path, f->err));
  return {};
}

Status writeWhole(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(goErrnoError("write " + path, errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Expected<DiskStore> DiskStore::open(std::string_view network, std::string_view data_dir) {
  std::string base =
      data_dir.empty() ? std::string("/var/lib/cni/networks") : std::string(data_dir);
  // filepath.Join cleans the path; a plain join is equivalent for the names CNI allows.
  std::string dir = base + "/" + std::string(network);
  CNI_TRY(mkdirAll(dir));
  DiskStore s(dir);
  // Go creates the lock file when it opens the store, before any lock is taken.
  // O_NOFOLLOW: a planted symlink is refused (ELOOP), nothing is created at its target.
  UniqueFd fd(::open((dir + "/lock").c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0750));
  if (!fd) return fail(goErrnoError("open " + dir + "/lock", errno));
  return s;
}

Expected<FileLock> DiskStore::lock() {
  CNI_ASSIGN_OR_RETURN(FileLock l, FileLock::acquire(dir_));
  index_.ensureFresh();
  return l;
}

Expected<bool> DiskStore::reserve(const FileLock&, std::string_view container_id,
                                  std::string_view ifname, const IpAddress& ip, int range_id) {
  std::string name = ip.str();
  std::string path = dir_ + "/" + name;
  std::string key = leaseKey(container_id, ifname);
  // The lease appears complete or not at all: its content goes into an anonymous file
  // (O_TMPFILE) that is then linked under the lease name — linkat fails with EEXIST when the
  // address is taken, exactly like O_EXCL. With a plain O_EXCL create, a plugin killed between
  // the create and the write leaves an empty lease: no DEL or GC matches it (the address leaks)
  // and it reads as a legacy lease, which switches the index off for good. File systems
  // without O_TMPFILE get the plain create.
  if (UniqueFd tfd(::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644)); tfd) {
    CNI_TRY(writeWhole(tfd.get(), key, path));
    const std::string proc = "/proc/self/fd/" + std::to_string(tfd.get());
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) return false;
      return fail(goErrnoError("open " + path, errno));
    }
    index_.markDirty();
  } else {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_EXCL | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) {
      if (errno == EEXIST) return false;
      return fail(goErrnoError("open " + path, errno));
    }
    index_.markDirty();
    if (auto st = writeWhole(fd.get(), key, path); !st) {
      fd.reset();
      ::unlink(path.c_str());
      return fail(st.error());
    }
    if (::close(fd.release()) != 0) {
      ::unlink(path.c_str());
      return fail(goErrnoError("close " + path, errno));
    }
  }
  index_.add(key, name);
  std::string last = dir_ + "/last_reserved_ip." + std::to_string(range_id);
  // Overwritten in place and then cut to length, not O_TRUNC'd: truncating to zero frees the
  // file's block and ext4 discards it synchronously (0.2-1 ms per ADD); the same bytes end up
  // in the file either way, and every reader (ours, Go's) reads it under the lock.
  // O_NOFOLLOW: a symlink planted under this name is replaced, never written through (issue #7;
  // Go's os.WriteFile would overwrite its target).
  UniqueFd lf(::open(last.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!lf && errno == ELOOP && ::unlink(last.c_str()) == 0) {
    lf = UniqueFd(::open(last.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  }
  if (!lf) return fail(goErrnoError("open " + last, errno));
  CNI_TRY(writeWhole(lf.get(), name, last));
  if (::ftruncate(lf.get(), static_cast<off_t>(name.size())) != 0) {
    return fail(goErrnoError("truncate " + last, errno));
  }
  return true;
}

std::optional<IpAddress> DiskStore::lastReservedIp(const FileLock&, int range_id) const {
  auto data = readFileText(dir_ + "/last_reserved_ip." + std::to_string(range_id));
  if (!data) return std::nullopt;
  auto ip = IpAddress::parse(*data);
  if (!ip) return std::nullopt;
  return *ip;
}

std::vector<std::string> DiskStore::scan(const std::string& match, bool remove) {
  std::vector<std::string> found;
  // Go walks recursively; lease files only ever live at the top level, and our own index
  // entries never match, so one level is the same answer.
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return found;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || e->d_type == DT_DIR) continue;
    auto content = readFileText(dir_ + "/" + n);
    if (!content || trimSpace(*content) != match) continue;
    if (remove) {
      if (::unlink((dir_ + "/" + n).c_str()) != 0) continue;
      index_.markDirty();
    }
    found.push_back(n);
  }
  ::closedir(d);
  return found;
}

std::vector<IpAddress> DiskStore::getById(const FileLock&, std::string_view container_id,
                                          std::string_view ifname) {
  std::vector<IpAddress> out;
  std::vector<std::string> names;
  if (index_.usable()) {
    names = index_.lookup(leaseKey(container_id, ifname));
  } else {
    // Go reads each file once and accepts either form.
    names = scan(leaseKey(container_id, ifname), false);
    auto legacy = scan(trimSpace(container_id), false);
    names.insert(names.end(), legacy.begin(), legacy.end());
  }
  for (const auto& n : names) {
    if (auto ip = IpAddress::parse(n)) out.push_back(*ip);
  }
  return out;
}

bool DiskStore::findById(const FileLock&, std::string_view container_id, std::string_view ifname) {
  std::string key = leaseKey(container_id, ifname);
  if (index_.usable()) {
    for (const auto& n : index_.lookup(key)) {
      auto content = readFileText(dir_ + "/" + n);
      if (content && trimSpace(*content) == key) return true;
    }
    return false;
  }
  return !scan(key, false).empty() || !scan(trimSpace(container_id), false).empty();
}

Status DiskStore::releaseById(const FileLock&, std::string_view container_id,
                              std::string_view ifname) {
  std::string key = leaseKey(container_id, ifname);
  if (index_.usable()) {
    // The lease file stays authoritative: only a file that still names this attachment goes.
    for (const auto& n : index_.lookup(key)) {
      std::string path = dir_ + "/" + n;
      auto content = readFileText(path);
      if (content && trimSpace(*content) == key && ::unlink(path.c_str()) == 0) {
        index_.markDirty();
      }
      index_.remove(key, n);
    }
    return {};
  }
  if (scan(key, true).empty()) scan(trimSpace(container_id), true);
  return {};
}

std::vector<Lease> DiskStore::listLeases(const FileLock&) const {
  std::vector<Lease> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || !IpAddress::parse(n)) continue;
    auto content = readFileText(dir_ + "/" + n);
    if (!content) continue;
    std::string t = trimSpace(*content);
    Lease l{.ip_name = n};
    if (size_t p = t.find("\r\n"); p != std::string::npos) {
      l.container_id = t.substr(0, p);
      l.ifname = t.substr(p + 2);
    } else {
      l.container_id = t;
      l.legacy = true;
    }
    out.push_back(std::move(l));
  }
  ::closedir(d);
  return out;
}

}  // namespace cni::ipam
