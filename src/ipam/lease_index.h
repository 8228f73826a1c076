// src/ipam/lease_index.h — a per-attachment index of host-local leases, so DEL/CHECK/ADD do not
// read every lease file.
//
// The reference finds a container's leases by reading *every* file of the network directory
// (O(leases) per DEL, and per ADD for its duplicate check). The lease files stay authoritative
// here too — byte for byte what the reference writes — and this index is only a cache beside
// them, in `<network dir>/.cnikit-index/`:
//   * one entry per (containerID, ifname): a symlink named by the 128 hex digits of
//     sha512("<cid>\r\n<ifname>") whose target is that attachment's lease file names (the IPs),
//     comma-separated. A symlink, not a file: it is one syscall to make and to read, and a target
//     this short lives in the inode, so removing it frees no data block. (Regular-file entries,
//     format v1, cost a block each, and on a discard-mounted ext4 freeing a block that was
//     written back is a synchronous discard: 1-4 ms per DEL, measured.) The full hash is the
//     identity: at 512 bits two attachments never share an entry name;
//   * `stamp`: "v2 <sec> <nsec>", the network directory's mtime we left behind after our last
//     change (v1 indexes, and ours as seen by a v1 binary, mismatch and are rebuilt).
// Staleness detection: every creation/removal of a lease file (by the reference, or by hand)
// updates the network directory's mtime. After each of our own changes we set that mtime to a
// value of our choosing (current second + random nanoseconds) and record it in `stamp`; at the
// next lock we compare. Any foreign change leaves the kernel's clock time there instead, which
// cannot match, and the index is rebuilt from one full scan. So leases made by the reference
// are found by us, and ours by the reference (it never reads the index; Go's Walk does try to
// read the entries, but their targets name nothing under .cnikit-index/, the stamp never equals a
// "<cid>\r\n<ifname>" match, and no name there is an IP). Legacy leases (content "<cid>" only) or a
// file system that cannot store nanosecond mtimes disable the index: every lookup then scans,
// exactly as the reference does. All calls must be made with the network lock held.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cni::ipam {

// "<TrimSpace(cid)>\r\n<ifname>": what a lease file holds and what Go matches.
std::string leaseKey(std::string_view container_id, std::string_view ifname);

class LeaseIndex {
 public:
  explicit LeaseIndex(std::string net_dir) : net_dir_(std::move(net_dir)) {}

  // Validates the index against the directory, rebuilding it if needed. False: do not use it
  // (callers fall back to full scans).
  bool ensureFresh();
  bool usable() const { return usable_; }

  // The lease file names indexed for `key` (empty when none). Only valid when usable().
  std::vector<std::string> lookup(const std::string& key) const;
  void add(const std::string& key, const std::string& ip_name);
  void remove(const std::string& key, const std::string& ip_name);

  // After our own changes to the network directory: re-stamp it (no-op when nothing changed).
  void commit();
  // Something changed in the directory (a lease file was created/removed).
  void markDirty() { dirty_ = true; }

 private:
  std::string entryPath(const std::string& key) const;
  // Writes (or, for no ips, removes) the entry; `exists`: an entry is there to replace. False
  // when the file system refused.
  bool writeEntry(const std::string& key, const std::vector<std::string>& ips, bool exists) const;
  bool rebuild();

  std::string net_dir_;
  bool usable_ = false;
  bool dirty_ = false;
};

}  // namespace cni::ipam
