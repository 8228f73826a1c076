// src/ipam/disk_store.h — host-local's on-disk lease store, byte-compatible with the reference
// (Go backend/disk).
//
// Layout of `<dataDir>/<network>/` (directory mode 0755):
//   <ip>                 one lease: created O_EXCL, mode 0644, content "<cid>\r\n<ifname>"
//                        (legacy leases: "<cid>"); the name is Go's net.IP.String() text
//   last_reserved_ip.<N> the last address handed out from range set N (round-robin cursor)
//   lock                 flock(LOCK_EX) serialises every change (FileLock)
//   .cnikit-index/       our lookup cache (lease_index.h); never authoritative
// Lookups by (containerID, ifname) use the index when it is fresh and fall back to a full scan
// with Go's matching rules otherwise, so leases made by either implementation are seen by both.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/ipam/file_lock.h"
#include "src/ipam/lease_index.h"

namespace cni::ipam {

struct Lease {
  std::string ip_name;  // the file name (IP text)
  std::string container_id;
  std::string ifname;  // empty for legacy leases
  bool legacy = false;
};

class DiskStore {
 public:
  // mkdir -p `<data_dir or default>/<network>` (0755).
  static Expected<DiskStore> open(std::string_view network, std::string_view data_dir);

  const std::string& dir() const { return dir_; }

  // Takes the network lock and validates the index. Every call below needs the lock.
  Expected<FileLock> lock();
  // Publishes index changes; call before dropping the lock (forgetting costs a rebuild only).
  void commit(const FileLock&) { index_.commit(); }

  // Go Store.Reserve: false when the address is taken. Also records last_reserved_ip.<range_id>.
  Expected<bool> reserve(const FileLock&, std::string_view container_id, std::string_view ifname,
                         const IpAddress& ip, int range_id);
  // Go Store.LastReservedIP (nullopt if missing or unparsable).
  std::optional<IpAddress> lastReservedIp(const FileLock&, int range_id) const;
  // Go Store.GetByID: leases of (cid, ifname), plus legacy "<cid>" leases.
  std::vector<IpAddress> getById(const FileLock&, std::string_view container_id,
                                 std::string_view ifname);
  // Go Store.FindByID.
  bool findById(const FileLock&, std::string_view container_id, std::string_view ifname);
  // Go Store.ReleaseByID: removes the (cid, ifname) leases, or if there are none the legacy
  // "<cid>" ones. Nothing found is success.
  Status releaseById(const FileLock&, std::string_view container_id, std::string_view ifname);
  // Every lease file (full scan), for GC.
  std::vector<Lease> listLeases(const FileLock&) const;

 private:
  explicit DiskStore(std::string dir) : dir_(dir), index_(std::move(dir)) {}
  // Go's walk: every lease whose trimmed content equals `match`; removes them if `remove`.
  std::vector<std::string> scan(const std::string& match, bool remove);

  std::string dir_;
  LeaseIndex index_;
};

}  // namespace cni::ipam
