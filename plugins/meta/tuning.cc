// plugins/meta/tuning.cc — the tuning meta plugin (reference doc §6.17): chained after an
// interface plugin, it changes network sysctls and interface attributes inside the pod netns.
//
//   ADD    needs prevResult. Writes every `sysctl` (keys must resolve under /proc/sys/net/ of the
//          pod netns, `IFNAME` stands for CNI_IFNAME, optional regex allowlist
//          /etc/cni/tuning/allowlist.conf), backs up the interface's current mac/promisc/mtu/
//          allmulti/txQLen to <dataDir>/<containerID>_<ifname>.json, then applies `mac`,
//          `promisc`, `mtu`, `allmulti`, `txQLen`. Output: prevResult (the interface's new MAC
//          in it), converted to the config's version.
//   DEL    restores the backup and removes it; always succeeds (as the reference).
//   CHECK  compares the sysctls and attributes with the config.
//   GC     removes backups of this network's attachments that are no longer valid.
//
// Overrides, in the reference's order (last wins): CNI_ARGS MAC, runtimeConfig.mac, then
// args.cni.{sysctl,mac,promisc,mtu,allmulti,txQLen}.
//
// Deliberate differences from the Go reference (v1.1.1 installed, HEAD features included):
//   * every sysctl key is validated before the first write, so a bad key changes nothing (Go
//     writes in random map order and stops at the bad one); writes go in key order;
//   * DEL also drops the backup when the interface or the netns is already gone (Go keeps the
//     file forever); CHECK compares MACs as addresses, not strings, and names booleans instead of
//     Go's pointer values in its all-multicast message;
//   * the backup records network/containerID/ifname too (Go ignores unknown fields both ways),
//     which lets GC tell this network's files apart in the shared default dataDir; backups
//     without them (written by the Go plugin) are never collected;
//   * no gratuitous ARP after a MAC change (v1.1.1 sends one, HEAD does not).
#include "plugins/meta/tuning.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "src/common/errno_text.h"
#include "src/common/file_text.h"
#include "src/common/mkdir_all.h"
#include "src/common/unique_fd.h"
#include "src/netlink/attr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/cni_args.h"
#include "src/spec/go_json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::tuning {
namespace {

namespace fs = std::filesystem;
using netlink::Socket;

// Opens every file first, so a missing or read-only key fails before any value is written.
Status writeFiles(const std::vector<std::pair<std::string, std::string>>& writes) {
  std::vector<UniqueFd> fds;
  for (const auto& [path, value] : writes) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return failPlain("open " + path + ": " + goErrnoText(errno));
    fds.push_back(std::move(fd));
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string& value = writes[i].second;
    if (::write(fds[i].get(), value.data(), value.size()) < 0) {
      return failPlain("write " + writes[i].first + ": " + goErrnoText(errno));
    }
  }
  return {};
}

// ---- link attributes the netlink layer does not model (txqlen, allmulti) ----

struct LinkState {
  netlink::Link link;
  uint32_t txqlen = 0;
};

Expected<LinkState> linkState(Socket& sock, std::string_view name) {
  CNI_ASSIGN_OR_RETURN(netlink::Link link, netlink::getLinkByName(sock, name));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = link.index;
  netlink::Message m(RTM_GETLINK, 0);
  m.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.query(m));
  LinkState st{.link = std::move(link)};
  for (const auto& msg : msgs) {
    if (msg.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(netlink::AttrList attrs, msg.attrs(sizeof(ifinfomsg)));
    if (const netlink::Attr* a = attrs.find(IFLA_TXQLEN)) st.txqlen = a->u32().value_or(0);
  }
  return st;
}

Status setAllmulti(Socket& sock, int index, bool on) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = on ? IFF_ALLMULTI : 0;
  ifi.ifi_change = IFF_ALLMULTI;
  netlink::Message m(RTM_SETLINK, 0);
  m.putHeader(ifi);
  return sock.request(m);
}

Status setTxQLen(Socket& sock, int index, int qlen) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  netlink::Message m(RTM_SETLINK, 0);
  m.putHeader(ifi).putU32(IFLA_TXQLEN, static_cast<uint32_t>(qlen));
  return sock.request(m);
}

// The reference's per-attribute steps, with its error texts.
Expected<int> linkIndex(Socket& sock, std::string_view ifname) {
  auto l = netlink::getLinkByName(sock, ifname);
  if (!l) return fail(plainNoDetails(l.error(), "failed to get \"" + std::string(ifname) + "\""));
  return l->index;
}
Status changeMac(Socket& sock, std::string_view ifname, std::string_view mac) {
  auto bytes = netlink::parseMac(mac);
  if (!bytes) {
    return failPlain("invalid args " + std::string(mac) + " for MAC addr: " + bytes.error().msg);
  }
  CNI_ASSIGN_OR_RETURN(int index, linkIndex(sock, ifname));
  if (Status s = netlink::setLinkMac(sock, index, *bytes); !s)
    return fail(plainNoDetails(s.error()));
  return {};
}
template <class Fn>
Status changeLink(Socket& sock, std::string_view ifname, Fn fn) {
  CNI_ASSIGN_OR_RETURN(int index, linkIndex(sock, ifname));
  if (Status s = fn(index); !s) return fail(plainNoDetails(s.error()));
  return {};
}
Status changePromisc(Socket& sock, std::string_view ifname, bool on) {
  return changeLink(sock, ifname, [&](int i) { return netlink::setLinkPromisc(sock, i, on); });
}
Status changeMtu(Socket& sock, std::string_view ifname, int mtu) {
  return changeLink(sock, ifname, [&](int i) {
    return netlink::setLinkMtu(sock, i, static_cast<uint32_t>(mtu));
  });
}
Status changeAllmulti(Socket& sock, std::string_view ifname, bool on) {
  return changeLink(sock, ifname, [&](int i) { return setAllmulti(sock, i, on); });
}
Status changeTxQLen(Socket& sock, std::string_view ifname, int qlen) {
  return changeLink(sock, ifname, [&](int i) { return setTxQLen(sock, i, qlen); });
}

// ---- backup / restore ----

std::string backupPath(std::string_view dir, std::string_view cid, std::string_view ifname) {
  return (fs::path(dir) / (std::string(cid) + "_" + std::string(ifname) + ".json")).string();
}

Status createBackup(Socket& sock, const skel::CmdArgs& args, const TuningConf& c) {
  auto st = linkState(sock, args.ifname);
  if (!st) return fail(plainNoDetails(st.error(), "failed to get \"" + args.ifname + "\""));
  // Field order and omitempty as Go's configToRestore; extra fields for GC.
  OrderedJson b = OrderedJson::object();
  if (!c.mac.empty()) b["mac"] = st->link.macString();
  if (c.promisc) b["promisc"] = (st->link.flags & IFF_PROMISC) != 0;
  if (c.mtu != 0) b["mtu"] = st->link.mtu;
  if (c.allmulti) b["allmulti"] = (st->link.flags & IFF_ALLMULTI) != 0;
  if (c.txqlen) b["txQLen"] = st->txqlen;
  b["network"] = c.net.name;
  b["containerID"] = args.container_id;
  b["ifname"] = args.ifname;
  // Every missing component is made 0700 at once (Go: os.MkdirAll(dataDir, 0600)); the
  // 0777-then-chmod of create_directories left /run/cni world-writable under umask 0.
  if (auto f = mkdirAll(c.data_dir, 0700)) {
    return failPlain("failed to create backup directory: " + goErrnoText(f->err));
  }
  const std::string path = backupPath(c.data_dir, args.container_id, args.ifname);
  const std::string tmp = path + ".tmp";
  std::string text = spec::goMarshal(b, 1);
  {
    // A stale or planted "<backup>.tmp" (a symlink) is removed, never written through.
    ::unlink(tmp.c_str());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return failPlain("failed to save file " + args.ifname + ".json: open " + path + ": " +
                       goErrnoText(err));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return failPlain("failed to save file " + args.ifname + ".json: " + goErrnoText(err));
  }
  return {};
}

// Restores what the backup recorded. Returns true when the backup file can go.
Expected<bool> restoreBackup(Socket& sock, std::string_view ifname, const std::string& path) {
  auto text = readFileText(path);
  if (!text) return false;  // no backup: nothing to revert
  auto j = spec::parseJson(*text, "backup");
  if (!j || !j->is_object()) return true;  // unreadable: nothing we can restore
  auto link = netlink::findLinkByName(sock, ifname);
  if (!link) return fail(plainNoDetails(link.error()));
  if (!*link) return true;  // the interface is gone, and its settings with it
  std::vector<std::string> errs;
  auto note = [&](Status s, std::string_view what) {
    if (!s) errs.push_back("failed to restore " + std::string(what) + ": " + s.error().msg);
  };
  const Json& b = *j;
  if (auto it = b.find("mtu"); it != b.end() && it->is_number_integer() && it->get<int>() != 0) {
    note(changeMtu(sock, ifname, it->get<int>()), "MTU");
  }
  if (auto it = b.find("mac");
      it != b.end() && it->is_string() && !it->get<std::string>().empty()) {
    note(changeMac(sock, ifname, it->get<std::string>()), "MAC address");
  }
  if (auto it = b.find("promisc"); it != b.end() && it->is_boolean()) {
    note(changePromisc(sock, ifname, it->get<bool>()), "promiscuous mode");
  }
  if (auto it = b.find("allmulti"); it != b.end() && it->is_boolean()) {
    note(changeAllmulti(sock, ifname, it->get<bool>()), "all-multicast mode");
  }
  if (auto it = b.find("txQLen"); it != b.end() && it->is_number_integer()) {
    note(changeTxQLen(sock, ifname, it->get<int>()), "transmit queue length");
  }
  if (!errs.empty()) {
    std::string msg;
    for (const auto& e : errs) msg += (msg.empty() ? "" : "; ") + e;
    return failPlain(msg);
  }
  return true;
}

// ---- verbs ----

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_TRY(checkDuplicateSysctls(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(TuningConf c, parseConf(args.stdin_data, args.args));
  CNI_TRY(validateAllowlist(c));
  if (!c.net.has_prev_result) return failPlain("Required prevResult missing");
  auto prev = spec::parsePrevResult(c.net.raw);
  if (!prev) return fail(plainNoDetails(prev.error()));
  spec::Result result = **prev;
  // Every key is checked before anything is written.
  std::vector<std::pair<std::string, std::string>> writes;
  for (const auto& [key, value] : c.sysctl) {
    CNI_ASSIGN_OR_RETURN(std::string path, sysctlPath(key, args.ifname));
    writes.emplace_back(path, value);
  }
  if (!c.mac.empty()) {
    if (auto m = netlink::parseMac(c.mac); !m) {
      return failPlain("invalid args " + c.mac + " for MAC addr: " + m.error().msg);
    }
  }
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  CNI_TRY(ns->run([&]() -> Status {
    CNI_TRY(writeFiles(writes));
    if (!c.changesLink()) return {};
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_TRY(createBackup(sock, args, c));
    if (!c.mac.empty()) {
      CNI_TRY(changeMac(sock, args.ifname, c.mac));
      for (spec::Interface& i : result.interfaces) {
        if (i.name == args.ifname) i.mac = c.mac;
      }
    }
    if (c.promisc) CNI_TRY(changePromisc(sock, args.ifname, true));
    if (c.mtu != 0) CNI_TRY(changeMtu(sock, args.ifname, c.mtu));
    if (c.allmulti) CNI_TRY(changeAllmulti(sock, args.ifname, *c.allmulti));
    if (c.txqlen) CNI_TRY(changeTxQLen(sock, args.ifname, *c.txqlen));
    return {};
  }));
  auto out = spec::convertResult(result, c.net.cni_version);
  if (!out) return fail(plainNoDetails(out.error()));
  return spec::encodeResult(*out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TuningConf c, parseConf(args.stdin_data, args.args));
  const std::string path = backupPath(c.data_dir, args.container_id, args.ifname);
  bool drop = true;  // no netns: the interface is gone, nothing left to restore
  if (!args.netns.empty()) {
    auto ns = netns::NetNs::openIfExists(args.netns);
    if (ns && *ns) {
      auto r = (*ns)->run([&]() -> Expected<bool> {
        CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
        return restoreBackup(sock, args.ifname, path);
      });
      drop = r && *r;  // restore failures keep the file for a later DEL (DEL still succeeds)
    } else if (!ns) {
      drop = false;
    }
  }
  if (drop) ::unlink(path.c_str());
  // The temp file of a backup write that was killed before its rename (the name is fixed per
  // attachment, and the runtime serialises operations on one attachment: no writer is running).
  ::unlink((path + ".tmp").c_str());
  return {};
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_TRY(checkDuplicateSysctls(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(TuningConf c, parseConf(args.stdin_data, args.args));
  if (!c.net.has_prev_result) return failPlain("Required prevResult missing");
  auto prev = spec::parsePrevResult(c.net.raw);
  if (!prev) return fail(plainNoDetails(prev.error()));
  if (auto r = spec::convertResult(**prev, spec::kCurrentVersion); !r)
    return fail(plainNoDetails(r.error()));
  std::vector<std::pair<std::string, std::string>> reads;
  for (const auto& [key, value] : c.sysctl) {
    CNI_ASSIGN_OR_RETURN(std::string path, sysctlPath(key, args.ifname));
    reads.emplace_back(path, value);
  }
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  return ns->run([&]() -> Status {
    for (const auto& [path, want] : reads) {
      auto text = readFileText(path);
      if (!text) return failPlain("open " + path + ": " + goErrnoText(errno));
      std::string cur = std::move(*text);
      if (cur.ends_with('\n')) cur.pop_back();
      if (cur != want) {
        return failPlain("Error: Tuning configured value of " + path + " is " + want +
                         ", current value is " + cur);
      }
    }
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    auto st = linkState(sock, args.ifname);
    if (!st) return failPlain("Cannot find container link " + args.ifname);
    const netlink::Link& l = st->link;
    if (!c.mac.empty()) {
      auto want = netlink::parseMac(c.mac);
      if (!want || *want != l.mac) {
        return failPlain("Error: Tuning configured Ethernet of " + args.ifname + " is " + c.mac +
                         ", current value is " + l.macString());
      }
    }
    const int promisc = (l.flags & IFF_PROMISC) ? 1 : 0;
    if (c.promisc != (promisc != 0)) {
      return failPlain("Error: Tuning link " + args.ifname + " configured promisc is " +
                       (c.promisc ? "true" : "false") + ", current value is " +
                       std::to_string(promisc));
    }
    if (c.mtu != 0 && static_cast<uint32_t>(c.mtu) != l.mtu) {
      return failPlain("Error: Tuning configured MTU of " + args.ifname + " is " +
                       std::to_string(c.mtu) + ", current value is " + std::to_string(l.mtu));
    }
    if (c.allmulti) {
      const bool cur = (l.flags & IFF_ALLMULTI) != 0;
      if (cur != *c.allmulti) {
        return failPlain("Error: Tuning configured all-multicast mode of " + args.ifname + " is " +
                         (*c.allmulti ? "true" : "false") + ", current value is " +
                         (cur ? "true" : "false"));
      }
    }
    if (c.txqlen && static_cast<uint32_t>(*c.txqlen) != st->txqlen) {
      return failPlain("Error: Tuning configured Transmit Queue Length of " + args.ifname + " is " +
                       std::to_string(*c.txqlen) + ", current value is " +
                       std::to_string(st->txqlen));
    }
    return {};
  });
}

// GC: backups this plugin wrote for this network whose attachment is no longer valid. Files
// without our network/containerID/ifname fields are left alone (another writer's, or Go's).
Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TuningConf c, parseConf(args.stdin_data, args.args));
  std::error_code ec;
  fs::directory_iterator it(c.data_dir, ec);
  if (ec) return {};  // no data dir: nothing to collect
  std::vector<std::string> errs;
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec) || entry.path().extension() != ".json") continue;
    auto text = readFileText(entry.path());
    if (!text) continue;
    auto j = spec::parseJson(*text, "backup");
    if (!j || !j->is_object()) continue;
    auto str = [&](const char* k) {
      auto f = j->find(k);
      return f != j->end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    const std::string net = str("network"), cid = str("containerID"), ifname = str("ifname");
    if (net != c.net.name || cid.empty() || ifname.empty()) continue;
    if (entry.path().filename() != cid + "_" + ifname + ".json") continue;
    bool valid = false;
    for (const auto& a : c.valid_attachments) {
      valid = valid || (a.container_id == cid && a.ifname == ifname);
    }
    if (!valid && ::unlink(entry.path().c_str()) != 0 && errno != ENOENT) {
      errs.push_back("failed to remove " + entry.path().string() + ": " + goErrnoText(errno));
    }
  }
  if (!errs.empty()) {
    std::string msg;
    for (const auto& e : errs) msg += (msg.empty() ? "" : "; ") + e;
    return failPlain(msg);
  }
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "tuning",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
};

}  // namespace cni::plugins::tuning
