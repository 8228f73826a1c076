// plugins/ipam/host_local.cc — the host-local IPAM plugin (reference doc §6.11), a drop-in for
// the Go plugin: same config, same allocation order, same lease files, same error texts.
//
//   ADD    one address per range set (requested IPs first), routes and resolv.conf DNS from the
//          config; any failure releases everything this attachment got on the network.
//   DEL    releases every lease of (CNI_CONTAINERID, CNI_IFNAME); nothing to release is success.
//   CHECK  a lease of the attachment exists ("host-local: Failed to find address added by
//          container X" otherwise).
//   GC     (spec 1.1) releases every lease whose attachment is not in
//          `cni.dev/valid-attachments` (legacy "<cid>" leases: kept while any valid attachment
//          has that container ID). The reference has no GC yet (plugins#1047).
//   STATUS (spec 1.1) code 50 when the network's lease directory cannot be created or written
//          (no ADD could succeed); success otherwise. An exhausted range is NOT reported: a DEL
//          may free an address at any moment, and STATUS is about the plugin being usable.
// Unlike the reference, DEL/CHECK and the ADD duplicate check are O(1) in the number of leases
// (src/ipam/lease_index.h), while the lease files stay byte-compatible and authoritative.
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "src/ipam/allocator.h"
#include "src/ipam/config.h"
#include "src/ipam/disk_store.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::host_local {
namespace {

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig conf, ipam::loadIpamConfig(args.stdin_data, args.args));
  spec::Result result;
  result.cni_version = std::string(spec::kCurrentVersion);
  if (!conf.resolv_conf.empty()) {
    CNI_ASSIGN_OR_RETURN(result.dns, ipam::parseResolvConf(conf.resolv_conf));
  }
  CNI_ASSIGN_OR_RETURN(ipam::DiskStore store, ipam::DiskStore::open(conf.name, conf.data_dir));

  // Go keys requested IPs by their text (duplicates collapse) and consumes one per range set.
  std::vector<IpAddress> requested;
  for (const IpAddress& ip : conf.requested) {
    if (std::find(requested.begin(), requested.end(), ip) == requested.end()) {
      requested.push_back(ip);
    }
  }
  std::vector<ipam::Allocator> used;
  auto release_all = [&] {
    for (ipam::Allocator& a : used) (void)a.release(args.container_id, args.ifname);
  };
  for (size_t idx = 0; idx < conf.ranges.size(); ++idx) {
    ipam::Allocator alloc(conf.ranges[idx], store, static_cast<int>(idx));
    std::optional<IpAddress> want;
    for (auto it = requested.begin(); it != requested.end(); ++it) {
      if (ipam::rangeSetContains(conf.ranges[idx], *it)) {
        want = *it;
        requested.erase(it);
        break;
      }
    }
    auto got = alloc.get(args.container_id, args.ifname, want);
    if (!got) {
      release_all();
      return fail(ErrorCode::kInternal,
                  "failed to allocate for range " + std::to_string(idx) + ": " + got.error().msg);
    }
    used.push_back(alloc);
    result.ips.push_back(
        spec::IpConfig{.address = got->address.str(), .gateway = got->gateway.str()});
  }
  if (!requested.empty()) {
    release_all();
    std::string msg = "failed to allocate all requested IPs:";
    for (const IpAddress& ip : requested) msg += " " + ip.str();
    return fail(ErrorCode::kInternal, msg);
  }
  result.routes = conf.routes;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, conf.cni_version));
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig conf, ipam::loadIpamConfig(args.stdin_data, args.args));
  CNI_ASSIGN_OR_RETURN(ipam::DiskStore store, ipam::DiskStore::open(conf.name, conf.data_dir));
  // Go releases once per range set; the leases of an attachment are the same files whatever
  // the set, so one release is the same outcome (and the second pass would find nothing).
  CNI_ASSIGN_OR_RETURN(ipam::FileLock lock, store.lock());
  Status st = store.releaseById(lock, args.container_id, args.ifname);
  store.commit(lock);
  return st;
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig conf, ipam::loadIpamConfig(args.stdin_data, args.args));
  CNI_ASSIGN_OR_RETURN(ipam::DiskStore store, ipam::DiskStore::open(conf.name, conf.data_dir));
  CNI_ASSIGN_OR_RETURN(ipam::FileLock lock, store.lock());
  bool found = store.findById(lock, args.container_id, args.ifname);
  store.commit(lock);
  if (!found) {
    return fail(ErrorCode::kInternal,
                "host-local: Failed to find address added by container " + args.container_id);
  }
  return {};
}

// `cni.dev/valid-attachments`: [{"containerID": ..., "ifname": ...}].
Expected<std::set<std::pair<std::string, std::string>>> validAttachments(std::string_view data) {
  CNI_ASSIGN_OR_RETURN(Json doc, spec::parseJson(data, "network configuration"));
  std::set<std::pair<std::string, std::string>> out;
  const Json* v = spec::findKey(doc, "cni.dev/valid-attachments");
  if (!v || v->is_null()) return out;
  if (!v->is_array()) {
    return fail(ErrorCode::kInternal, "cni.dev/valid-attachments must be a list");
  }
  for (const Json& a : *v) {
    const Json* cid = spec::findKey(a, "containerID");
    const Json* ifn = spec::findKey(a, "ifname");
    if (!cid || !cid->is_string() || !ifn || !ifn->is_string()) {
      return fail(ErrorCode::kInternal,
                  "cni.dev/valid-attachments entries need string containerID and ifname");
    }
    out.emplace(cid->get<std::string>(), ifn->get<std::string>());
  }
  return out;
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig conf, ipam::loadIpamConfig(args.stdin_data, args.args));
  CNI_ASSIGN_OR_RETURN(auto valid, validAttachments(args.stdin_data));
  std::set<std::string> valid_cids;
  for (const auto& [cid, ifname] : valid) valid_cids.insert(cid);
  CNI_ASSIGN_OR_RETURN(ipam::DiskStore store, ipam::DiskStore::open(conf.name, conf.data_dir));
  CNI_ASSIGN_OR_RETURN(ipam::FileLock lock, store.lock());
  std::set<std::pair<std::string, std::string>> stale;
  for (const ipam::Lease& l : store.listLeases(lock)) {
    if (l.legacy ? valid_cids.contains(l.container_id)
                 : valid.contains({l.container_id, l.ifname})) {
      continue;
    }
    stale.emplace(l.container_id, l.ifname);
  }
  std::string errors;
  for (const auto& [cid, ifname] : stale) {
    if (auto st = store.releaseById(lock, cid, ifname); !st) {
      errors += (errors.empty() ? "" : "; ") + st.error().msg;
    }
  }
  store.commit(lock);
  if (!errors.empty()) return fail(ErrorCode::kInternal, errors);
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig conf, ipam::loadIpamConfig(args.stdin_data, args.args));
  auto store = ipam::DiskStore::open(conf.name, conf.data_dir);
  if (!store) {
    return fail(ErrorCode::kPluginNotAvailable, "host-local: data directory unusable",
                store.error().msg);
  }
  if (::access(store->dir().c_str(), W_OK | X_OK) != 0) {
    return fail(ErrorCode::kPluginNotAvailable, "host-local: data directory unusable",
                store->dir() + " is not writable");
  }
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "host-local",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::host_local
