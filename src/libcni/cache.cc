// src/libcni/cache.cc — result cache I/O (see cache.h for format and guarantees).
#include "src/libcni/cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "src/common/mkdir_all.h"
#include "src/common/unique_fd.h"
#include "src/spec/validate.h"

namespace cni::libcni {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Status writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return failErrno(ErrorCode::kIoFailure, "write cache file", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Expected<std::string> readWholeFile(const std::string& path, bool& missing) {
  missing = false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) {
      missing = true;
      return std::string();
    }
    return failErrno(ErrorCode::kIoFailure, "open " + path, errno);
  }
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failErrno(ErrorCode::kIoFailure, "read " + path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Go's os.MkdirAll(path, mode) (src/common/mkdir_all.h): the reference's results directory is
// 0700, which std::filesystem::create_directories (0777) would not give under umask 0.
Status mkdirAll(const std::string& path, mode_t mode) {
  if (auto f = cni::mkdirAll(path, mode)) {
    return fail(ErrorCode::kIoFailure,
                "failed to create directory " + path + ": " +
                    std::error_code(f->err, std::generic_category()).message());
  }
  return {};
}

}  // namespace

std::optional<CacheEntry> decodeEntry(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  const Json* kind = spec::findKey(j, "kind");
  if (!kind || !kind->is_string() || kind->get<std::string>() != kCacheKind) return std::nullopt;
  CacheEntry e;
  auto str = [&](std::string_view key, std::string& out) {
    const Json* v = spec::findKey(j, key);
    if (v && v->is_string()) out = v->get<std::string>();
    return v == nullptr || v->is_string() || v->is_null();
  };
  if (!str("containerId", e.container_id) || !str("ifName", e.ifname) ||
      !str("networkName", e.network_name) || !str("netns", e.netns)) {
    return std::nullopt;
  }
  if (const Json* c = spec::findKey(j, "config"); c && c->is_string()) {
    auto decoded = base64Decode(c->get<std::string>());
    if (!decoded) return std::nullopt;
    e.config = std::move(*decoded);
  }
  if (const Json* a = spec::findKey(j, "cniArgs"); a && a->is_array()) {
    for (const auto& pair : *a) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return std::nullopt;
      }
      e.cni_args.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  if (const Json* c = spec::findKey(j, "capabilityArgs"); c && c->is_object()) {
    e.capability_args = *c;
  }
  if (const Json* r = spec::findKey(j, "result"); r && r->is_object()) e.result = *r;
  return e;
}

std::string base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Expected<std::string> base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if (c != '\r' && c != '\n') clean += c;  // Go's decoder skips line breaks
  }
  if (clean.size() % 4 != 0) {
    return fail(ErrorCode::kDecodingFailure, "illegal base64 data: bad length");
  }
  std::string out;
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = clean[i + k];
      if (c == '=' && i + 4 == clean.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = val(c)) < 0) {
        return fail(ErrorCode::kDecodingFailure,
                    "illegal base64 data at input byte " + std::to_string(i + k));
      }
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 255);
    if (pad < 2) out += static_cast<char>((n >> 8) & 255);
    if (pad < 1) out += static_cast<char>(n & 255);
  }
  return out;
}

Expected<std::string> ResultCache::pathFor(std::string_view network, std::string_view container_id,
                                           std::string_view ifname) const {
  if (network.empty() || container_id.empty() || ifname.empty()) {
    return fail(ErrorCode::kInvalidNetworkConfig,
                "cache file path requires network name (\"" + std::string(network) +
                    "\"), container ID (\"" + std::string(container_id) +
                    "\"), and interface name (\"" + std::string(ifname) + "\")");
  }
  // The three names become one file name: they must be names the protocol allows (no '/', no
  // "..") before they touch a path, also on DEL/CHECK, where Go's libcni does not check them.
  CNI_TRY(spec::validateNetworkName(network));
  CNI_TRY(spec::validateContainerId(container_id));
  CNI_TRY(spec::validateInterfaceName(ifname));
  std::string name =
      std::string(network) + "-" + std::string(container_id) + "-" + std::string(ifname);
  return resultsDir() + "/" + name;
}

std::string ResultCache::encode(const CacheEntry& e) {
  OrderedJson j;
  j["kind"] = kCacheKind;
  j["containerId"] = e.container_id;
  j["config"] = base64Encode(e.config);
  j["ifName"] = e.ifname;
  j["networkName"] = e.network_name;
  if (!e.netns.empty()) j["netns"] = e.netns;
  if (!e.cni_args.empty()) {
    OrderedJson args = OrderedJson::array();
    for (const auto& [k, v] : e.cni_args) args.push_back(OrderedJson::array({k, v}));
    j["cniArgs"] = std::move(args);
  }
  if (e.capability_args.is_object() && !e.capability_args.empty()) {
    j["capabilityArgs"] = OrderedJson(e.capability_args);  // Go map: sorted keys
  }
  if (e.result && !e.result->is_null()) j["result"] = OrderedJson(*e.result);
  return spec::goMarshal(j);
}

Status ResultCache::write(const CacheEntry& e) const {
  CNI_ASSIGN_OR_RETURN(std::string path, pathFor(e.network_name, e.container_id, e.ifname));
  std::string dir = resultsDir();
  CNI_TRY(mkdirAll(dir, 0700));
  std::string data = encode(e);

  // Atomic replace: a reader sees the old file or the new one, never a torn or empty one.
  std::string tmpl = path + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) return failErrno(ErrorCode::kIoFailure, "create cache file in " + dir, errno);
  bool renamed = false;
  auto cleanup = [&] {
    if (!renamed) (void)::unlink(tmpl.c_str());
  };
  if (::fchmod(fd.get(), 0600) != 0) {
    int err = errno;
    cleanup();
    return failErrno(ErrorCode::kIoFailure, "chmod " + tmpl, err);
  }
  if (auto s = writeAll(fd.get(), data); !s) {
    cleanup();
    return s;
  }
  if (durable_ && ::fsync(fd.get()) != 0) {
    int err = errno;
    cleanup();
    return failErrno(ErrorCode::kIoFailure, "fsync " + tmpl, err);
  }
  fd.reset();
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    cleanup();
    return failErrno(ErrorCode::kIoFailure, "rename " + tmpl, err);
  }
  renamed = true;
  if (durable_) {
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) (void)::fsync(dfd.get());  // durability of the rename; the data is already safe
  }
  return {};
}

Expected<std::optional<CacheRead>> ResultCache::read(std::string_view network,
                                                     std::string_view container_id,
                                                     std::string_view ifname) const {
  CNI_ASSIGN_OR_RETURN(std::string path, pathFor(network, container_id, ifname));
  bool missing = false;
  CNI_ASSIGN_OR_RETURN(std::string bytes, readWholeFile(path, missing));
  if (missing) return std::optional<CacheRead>();
  CacheRead out;
  auto j = spec::parseJson(bytes, "cached result");
  std::optional<CacheEntry> entry;
  if (j) entry = decodeEntry(*j);
  if (!entry) {
    out.legacy = true;
    out.legacy_bytes = std::move(bytes);
  } else {
    out.entry = std::move(*entry);
  }
  return std::optional<CacheRead>(std::move(out));
}

Status ResultCache::remove(std::string_view network, std::string_view container_id,
                           std::string_view ifname) const {
  CNI_ASSIGN_OR_RETURN(std::string path, pathFor(network, container_id, ifname));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return failErrno(ErrorCode::kIoFailure, "remove " + path, errno);
  }
  // The temp files of writes of this entry that never reached their rename (the runtime was
  // killed in between: "<name>.tmp.XXXXXX"). Nothing else writes this entry while it is being
  // removed — operations on one attachment are serialised — so they are garbage.
  const std::string prefix = path.substr(path.rfind('/') + 1) + ".tmp.";
  if (DIR* d = ::opendir(resultsDir().c_str())) {
    while (dirent* ent = ::readdir(d)) {
      std::string_view n = ent->d_name;
      if (n.size() == prefix.size() + 6 && n.starts_with(prefix)) {
        (void)::unlink((resultsDir() + "/" + std::string(n)).c_str());
      }
    }
    ::closedir(d);
  }
  return {};
}

Expected<std::vector<CacheEntry>> ResultCache::list(std::string_view container_id) const {
  std::vector<CacheEntry> out;
  std::string dir = resultsDir();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return failErrno(ErrorCode::kIoFailure, "read directory " + dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::string part = container_id.empty() ? "" : "-" + std::string(container_id) + "-";
  for (const auto& n : names) {
    if (!part.empty()) {
      size_t pos = n.find(part);
      if (pos == std::string::npos || pos == 0 || pos + part.size() >= n.size()) continue;
    }
    bool missing = false;
    auto bytes = readWholeFile(dir + "/" + n, missing);
    if (!bytes || missing) continue;
    auto j = spec::parseJson(*bytes, "cached result");
    if (!j) continue;
    auto e = decodeEntry(*j);
    if (!e) continue;
    if (!container_id.empty() && e->container_id != container_id) continue;
    if (e->ifname.empty() || e->network_name.empty()) continue;
    // A temp file of an in-flight write (or a stray copy) is not an attachment.
    if (n != e->network_name + "-" + e->container_id + "-" + e->ifname) continue;
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace cni::libcni
