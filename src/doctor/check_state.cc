// src/doctor/check_state.cc — on-disk state (see doctor.h): the result cache and host-local's
// reservations.
//
// The leaked-lease rule. A reservation <dataDir>/<net>/<ip> = "<cid>\r\n<ifname>" is leaked when
// its attachment no longer exists: the result cache (which every libcni runtime writes after a
// successful ADD and removes on DEL) has no entry for (net, cid, ifname), or has one whose
// network namespace is gone. Two guards keep live pods safe:
//   * an ADD in flight holds its lease before libcni writes the cache entry, so reservations
//     younger than Options::grace are never called leaked;
//   * with no results directory at all, the node's runtime does not cache (or uses another cache
//     dir), and absence of an entry proves nothing: nothing is called leaked then.
// The repair re-checks all of it under the network's flock, the lock host-local itself takes.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "src/doctor/doctor.h"
#include "src/ipam/config.h"
#include "src/ipam/disk_store.h"
#include "src/ipam/file_lock.h"
#include "src/ipam/range.h"

namespace cni::doctor {
namespace {

using Clock = std::chrono::system_clock;

unsigned __int128 toInt(const IpAddress& ip) {
  unsigned __int128 v = 0;
  for (uint8_t b : ip.bytes()) v = (v << 8) | b;
  return v;
}

// Addresses host-local can hand out in a range: [start, end] minus the gateway.
unsigned __int128 capacity(const ipam::Range& r) {
  if (!r.range_start || !r.range_end) return 0;
  unsigned __int128 s = toInt(*r.range_start), e = toInt(*r.range_end);
  if (e < s) return 0;
  unsigned __int128 n = e - s + 1;
  if (r.gateway && r.contains(*r.gateway) && n > 0) --n;
  return n;
}

std::string u128(unsigned __int128 v) {
  if (v > static_cast<unsigned __int128>(UINT64_MAX)) return "2^64+";
  return std::to_string(static_cast<uint64_t>(v));
}

// Why an attachment is dead, or "" when it may be alive.
std::string deadReason(const Context& c, std::string_view net, const std::string& cid,
                       const std::string& ifname) {
  const CacheFile* entry = nullptr;
  for (const CacheFile* f : c.attachments(net)) {
    if (f->entry->container_id == cid && (ifname.empty() || f->entry->ifname == ifname)) {
      entry = f;
      break;
    }
  }
  if (entry == nullptr) return "no result-cache entry for the attachment";
  NetnsState s = c.netnsState(entry->entry->netns);
  if (isDead(s)) {
    return "its network namespace " + entry->entry->netns + " is " + std::string(netnsStateName(s));
  }
  return "";
}

// The host-local configs of a network: the plugin objects' "ipam" with type host-local.
std::vector<ipam::IpamConfig> hostLocalConfigs(const Network& n) {
  std::vector<ipam::IpamConfig> out;
  for (const auto& p : n.list.plugins) {
    const Json* ipam = spec::findKey(p.raw, "ipam");
    if (ipam == nullptr || !ipam->is_object()) continue;
    const Json* type = spec::findKey(*ipam, "type");
    if (type == nullptr || !type->is_string() || type->get<std::string>() != "host-local") {
      continue;
    }
    Json stdin_doc = p.raw;
    stdin_doc["name"] = n.list.name;
    stdin_doc["cniVersion"] = n.list.cni_version;
    auto cfg = ipam::loadIpamConfig(stdin_doc.dump(), "");
    if (cfg) out.push_back(std::move(*cfg));
  }
  return out;
}

// The `cnikit del` that runs the DEL a runtime missed, with the directories this doctor run
// inspected (so it can be pasted as is).
std::string delCommand(const Context& c, const libcni::CacheEntry& e) {
  std::string cmd = "cnikit del " + e.network_name + " " + e.netns + " --container-id " +
                    e.container_id + " -i " + e.ifname;
  if (c.opts.conf_dir != "/etc/cni/net.d") cmd += " --conf-dir " + c.opts.conf_dir;
  if (c.opts.cache_dir != libcni::kDefaultCacheDir) cmd += " --cache-dir " + c.opts.cache_dir;
  std::string path;
  for (const auto& d : c.opts.bin_dirs) path += (path.empty() ? "" : ":") + d;
  return cmd + " --cni-path " + path;
}

void cacheFindings(const Context& c, Report& r) {
  const auto now = Clock::now();
  for (const CacheFile& f : c.cache_files) {
    const bool young = now - f.mtime < c.opts.grace;
    const std::string name = std::filesystem::path(f.path).filename().string();
    if (name.find(".tmp.") != std::string::npos) {
      if (young) continue;  // a write in flight
      Finding fd = finding("state.cache-temp", Severity::kInfo, f.path,
                           "a temporary file of an interrupted cache write",
                           "remove it (`cnikit doctor --fix --yes` does)",
                           {{.path = f.path, .value = std::to_string(f.size) + " bytes"}});
      fd.repair = Repair{.action = "remove-cache-file", .target = f.path, .apply = [p = f.path] {
                           if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
                             return Status(failErrno(ErrorCode::kIoFailure, "unlink " + p, errno));
                           }
                           return Status();
                         }};
      r.add(std::move(fd));
      continue;
    }
    if (f.entry) {
      NetnsState s = c.netnsState(f.entry->netns);
      if (isDead(s)) {
        const auto& e = *f.entry;
        // The DEL the runtime missed, when the network is one of the config dir's; a network
        // only the runtime knows (containerd's loopback) cannot be re-run from here.
        const std::string fix =
            c.networkByName(e.network_name) != nullptr
                ? "let the runtime garbage-collect it (containerd and CRI-O do at start-up), or "
                  "run the DEL it missed: `" +
                      delCommand(c, e) + "`"
                : "network \"" + e.network_name + "\" is not in " + c.opts.conf_dir +
                      " (a runtime's own network, such as containerd's loopback): let the "
                      "runtime garbage-collect it, or remove " +
                      f.path + " by hand";
        r.add(
            finding("state.attachment-stale", Severity::kWarning, f.path,
                    "cached attachment of network \"" + e.network_name +
                        "\" whose network namespace is " + std::string(netnsStateName(s)) +
                        ": its DEL never ran, so its IP, host interface and rules may be held",
                    fix,
                    {{.path = f.path,
                      .value = "netns " + e.netns + " (" + std::string(netnsStateName(s)) + ")"}}));
      }
      continue;
    }
    if (young) continue;
    if (f.problem == "empty") {
      Finding fd = finding("state.cache-empty", Severity::kWarning, f.path,
                           "empty result-cache file (a crash during a non-atomic write): Go "
                           "libcni before 1.2 fails every DEL of this attachment on it",
                           "remove it (`cnikit doctor --fix --yes` does); the attachment's DEL "
                           "then runs without a cached result",
                           {{.path = f.path, .value = "0 bytes"}});
      fd.repair = Repair{
          .action = "remove-cache-file", .target = f.path, .apply = [p = f.path] {
            // Still empty? A runtime may have written it since.
            struct stat st {};
            if (::stat(p.c_str(), &st) != 0) return Status();
            if (st.st_size != 0) {
              return Status(fail(ErrorCode::kIoFailure, p + " is no longer empty: left alone"));
            }
            if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
              return Status(failErrno(ErrorCode::kIoFailure, "unlink " + p, errno));
            }
            return Status();
          }};
      r.add(std::move(fd));
      continue;
    }
    r.add(finding("state.cache-corrupt", Severity::kWarning, f.path,
                  "unusable result-cache file: " + f.problem +
                      "; CHECK of the attachment fails and its DEL runs without prevResult",
                  "if the attachment is gone, remove the file; if it is live, recreate the pod "
                  "so the runtime writes a correct entry",
                  {{.path = f.path, .value = f.problem}}));
  }
}

void hostLocalFindings(const Context& c, Report& r) {
  const auto now = Clock::now();
  const bool cache_usable = c.results_dir_exists;
  for (const Network& n : c.networks) {
    for (const ipam::IpamConfig& cfg : hostLocalConfigs(n)) {
      const std::string base = cfg.data_dir.empty() ? c.opts.data_dir : cfg.data_dir;
      const std::string dir = base + "/" + n.list.name;
      auto leases = readLeases(dir);

      // Leaks.
      std::vector<const LeaseFile*> leaked;
      std::vector<Evidence> ev;
      for (const LeaseFile& l : leases) {
        if (!cache_usable || now - l.mtime < c.opts.grace) continue;
        std::string why = deadReason(c, n.list.name, l.container_id, l.ifname);
        if (why.empty()) continue;
        leaked.push_back(&l);
        ev.push_back({.path = l.path,
                      .value = "container " + l.container_id +
                               (l.ifname.empty() ? "" : " " + l.ifname) + ": " + why});
      }
      if (!leaked.empty()) {
        std::vector<std::pair<std::string, std::string>> who;  // (cid, ifname)
        for (const LeaseFile* l : leaked) who.emplace_back(l->container_id, l->ifname);
        Finding f =
            finding("state.lease-leaked", Severity::kWarning, dir,
                    std::to_string(leaked.size()) + " host-local reservation" +
                        (leaked.size() == 1 ? "" : "s") + " of network \"" + n.list.name +
                        "\" belong to attachments that no longer exist",
                    "release them: `cnikit doctor --fix --yes` removes exactly these files under "
                    "host-local's lock (or the runtime's GC does, with spec 1.1 plugins)",
                    std::move(ev));
        std::string target = dir + ": ";
        for (size_t i = 0; i < leaked.size(); ++i) target += (i ? ", " : "") + leaked[i]->ip;
        f.repair =
            Repair{.action = "release-lease",
                   .target = target,
                   // Repairs outlive the Context: capture values only.
                   .apply = [opts = c.opts, net = n.list.name, base, who]() -> Status {
                     auto store = ipam::DiskStore::open(net, base);
                     if (!store) return fail(store.error());
                     auto lock = store->lock();
                     if (!lock) return fail(lock.error());
                     // Under the lock nobody allocates or releases; re-read the cache: an
                     // attachment that came back to life (a new cache entry) keeps its lease.
                     Context fresh;
                     fresh.opts = opts;
                     auto files = readResultsDir(opts.cache_dir);
                     if (!files)
                       return fail(ErrorCode::kIoFailure, opts.cache_dir + "/results is gone");
                     fresh.results_dir_exists = true;
                     fresh.cache_files = std::move(*files);
                     std::string errors;
                     for (const auto& [cid, ifname] : who) {
                       if (deadReason(fresh, net, cid, ifname).empty()) continue;
                       auto s = store->releaseById(*lock, cid, ifname);
                       if (!s) errors += (errors.empty() ? "" : "; ") + s.error().toString();
                     }
                     store->commit(*lock);
                     if (!errors.empty()) return fail(ErrorCode::kIoFailure, errors);
                     return {};
                   }};
        r.add(std::move(f));
      }

      // Fullness, per range set: what the next ADD sees.
      for (size_t i = 0; i < cfg.ranges.size(); ++i) {
        const ipam::RangeSet& set = cfg.ranges[i];
        unsigned __int128 cap = 0;
        for (const auto& rg : set) cap += capacity(rg);
        size_t used = 0, leaked_here = 0;
        for (const LeaseFile& l : leases) {
          auto ip = IpAddress::parse(l.ip);
          if (!ip || !ipam::rangeSetContains(set, *ip)) continue;
          ++used;
          leaked_here += std::count(leaked.begin(), leaked.end(), &l);
        }
        if (cap == 0) continue;
        const unsigned __int128 pct = static_cast<unsigned __int128>(used) * 100 / cap;
        if (pct < 90) continue;
        const bool full = used >= cap;
        const std::string seen = std::to_string(used) + " of " + u128(cap) +
                                 " addresses reserved (" + u128(pct) + "%), " +
                                 std::to_string(leaked_here) + " of them leaked";
        r.add(finding(full ? "state.range-full" : "state.range-nearly-full",
                      full ? Severity::kError : Severity::kWarning, ipam::rangeSetStr(set),
                      "host-local range set " + std::to_string(i) + " of network \"" + n.list.name +
                          "\": " + seen +
                          (full ? "; the next ADD fails with \"no IP addresses available in "
                                  "range set\""
                                : ""),
                      leaked_here > 0 ? "release the leaked reservations (`cnikit doctor --fix "
                                        "--yes`)"
                                      : "widen the range (a larger subnet, or another range in "
                                        "the set) or run fewer pods on this node",
                      {{.path = dir, .value = seen}}));
      }
    }
  }
}

}  // namespace

void checkState(const Context& c, Report& r) {
  r.timed("result cache", [&] {
    cacheFindings(c, r);
    return c.results_dir_exists
               ? c.opts.cache_dir + "/results, " + std::to_string(c.cache_files.size()) + " files"
               : c.opts.cache_dir + "/results does not exist (no cached attachments)";
  });
  r.timed("host-local leases", [&] {
    hostLocalFindings(c, r);
    return "data dir " + c.opts.data_dir;
  });
}

}  // namespace cni::doctor
