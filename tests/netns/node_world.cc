// tests/netns/node_world.cc — see node_world.h.
#include "tests/netns/node_world.h"

#include <algorithm>
#include <cerrno>

#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "tests/testutil/run.h"

namespace cni::plugintest {

void NodeWorld::SetUp() {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  if (!std::filesystem::exists(ourBinDir() + "/bridge")) {
    GTEST_SKIP() << "build/cni-bin not built";
  }
  node_ = std::make_unique<testutil::TestNetNs>("node");
  ASSERT_TRUE(node_->ok()) << node_->error().toString();
  // The node's own lo, as on a real host.
  ASSERT_TRUE(node_->run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::setLinkUp(s, 1);
  }));
}

testutil::TestNetNs& NodeWorld::addPod() {
  pods_.push_back(std::make_unique<testutil::TestNetNs>("pod"));
  EXPECT_TRUE(pods_.back()->ok()) << pods_.back()->error().toString();
  return *pods_.back();
}

Outcome NodeWorld::call(std::string_view type, std::string_view cmd, std::string_view netns,
                        std::string_view cid, std::string_view stdin_data, std::string_view ifname,
                        std::string_view bin_dir) const {
  const std::string dir = bin_dir.empty() ? ourBinDir() : std::string(bin_dir);
  auto env = cniEnv(cmd, netns, cid, ifname, dir);
  if (!cni_args_.empty()) env["CNI_ARGS"] = cni_args_;
  const std::string path = dir + "/" + std::string(type);
  std::string input(stdin_data);
  auto out = node_->run([&] { return runProcess(path, {}, env, input); });
  EXPECT_TRUE(out) << out.error().toString();
  return out ? *out : Outcome{};
}

Json NodeWorld::add(std::string_view type, std::string_view netns, std::string_view cid,
                    std::string_view stdin_data, std::string_view ifname) const {
  Outcome o = call(type, "ADD", netns, cid, stdin_data, ifname);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  auto j = spec::parseJson(o.out, "result");
  EXPECT_TRUE(j) << o.out;
  return j ? *j : Json();
}

std::vector<netlink::Link> NodeWorld::links(const testutil::TestNetNs& ns) const {
  auto r = ns.run([]() -> Expected<std::vector<netlink::Link>> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::listLinks(s);
  });
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : std::vector<netlink::Link>{};
}

std::optional<netlink::Link> NodeWorld::link(const testutil::TestNetNs& ns,
                                             std::string_view name) const {
  for (const netlink::Link& l : links(ns)) {
    if (l.name == name) return l;
  }
  return std::nullopt;
}

std::vector<std::string> NodeWorld::addrs(const testutil::TestNetNs& ns,
                                          std::string_view ifname) const {
  auto r = ns.run([&]() -> Expected<std::vector<std::string>> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, ifname));
    CNI_ASSIGN_OR_RETURN(auto list, netlink::listAddresses(s, l.index));
    std::vector<std::string> out;
    for (const auto& a : list) {
      if (a.scope != 253) out.push_back(a.cidr());  // skip fe80:: link-local
    }
    return out;
  });
  return r ? *r : std::vector<std::string>{};
}

std::vector<netlink::Route> NodeWorld::routes(const testutil::TestNetNs& ns) const {
  auto r = ns.run([]() -> Expected<std::vector<netlink::Route>> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::listRoutes(s, {.table = 254});
  });
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : std::vector<netlink::Route>{};
}

std::vector<std::string> NodeWorld::leaseFiles(std::string_view net) const {
  std::vector<std::string> out;
  const std::filesystem::path d = std::filesystem::path(dataDir()) / std::string(net);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> NodeWorld::leasedIps(std::string_view net) const {
  std::vector<std::string> out;
  for (const std::string& f : leaseFiles(net)) {
    if (f != "lock" && !f.starts_with("last_reserved_ip") && !f.starts_with(".")) out.push_back(f);
  }
  return out;
}

std::string NodeWorld::nftRuleset() const {
  return testutil::run("ip netns exec " + node_->name() + " nft list ruleset").out;
}

bool kernelCreatesLink(const std::function<Status(netlink::Socket&, int parent)>& create) {
  testutil::TestNetNs ns("probe");
  if (!ns.ok()) return false;
  auto r = ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_TRY(netlink::createVeth(s, {.host_name = "p0", .peer_name = "p1"}));
    CNI_ASSIGN_OR_RETURN(netlink::Link p, netlink::getLinkByName(s, "p0"));
    return create(s, p.index);
  });
  return r || !netlink::isKernelErrno(r.error(), EOPNOTSUPP);
}

void NodeWorld::addNodeUplink(std::string_view name, std::string_view peer) const {
  ASSERT_TRUE(node().run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_TRY(netlink::createVeth(
        s, {.host_name = std::string(name), .peer_name = std::string(peer), .host_up = true}));
    CNI_ASSIGN_OR_RETURN(netlink::Link p, netlink::getLinkByName(s, peer));
    CNI_TRY(netlink::setLinkUp(s, p.index));
    CNI_ASSIGN_OR_RETURN(netlink::Link m, netlink::getLinkByName(s, name));
    CNI_TRY(netlink::addAddress(s, m.index, *IpPrefix::parse("192.0.2.1/24")));
    return netlink::addRoute(s, {.dst = *IpPrefix::parse("0.0.0.0/0"),
                                 .gateway = *IpAddress::parse("192.0.2.254"),
                                 .dev = m.index});
  }));
}

namespace {
bool pingOnce(const testutil::TestNetNs& from, std::string_view ip) {
  return testutil::run("ip netns exec " + from.name() + " ping -c1 -W1 " + std::string(ip) +
                       " >/dev/null 2>&1")
             .status == 0;
}
}  // namespace

bool NodeWorld::ping(const testutil::TestNetNs& from, std::string_view ip) const {
  // The first echo also waits for neighbour resolution, on a machine busy with other tests:
  // a reachable address gets three tries.
  for (int i = 0; i < 3; ++i) {
    if (pingOnce(from, ip)) return true;
  }
  return false;
}

bool NodeWorld::unreachable(const testutil::TestNetNs& from, std::string_view ip) const {
  return !pingOnce(from, ip);
}

}  // namespace cni::plugintest
