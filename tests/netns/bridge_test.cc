// tests/netns/bridge_test.cc — the bridge plugin in real namespaces (a node namespace playing
// the host, pod namespaces), run as the static binary with host-local from build/cni-bin:
// ADD -> traffic -> CHECK -> DEL -> DEL for every spec version, two pods talking, masquerade
// and spoof-check rules created and removed, DEL after the pod namespace vanished, GC, STATUS,
// rollback when a late step fails, and bad input that must not touch the node.
#include <gtest/gtest.h>
#include <linux/if.h>

#include <string>

#include "src/netlink/bridge_port.h"
#include "src/netlink/socket.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"
#include "tests/testutil/run.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "brnet";
constexpr std::string_view kBridge = "cnibr0";

class BridgeTest : public NodeWorld {
 protected:
  // A bridge + host-local config; `extra` is spliced into the plugin object.
  std::string conf(std::string_view version, std::string_view extra = "",
                   std::string_view ranges = R"([[{"subnet":"10.99.0.0/24"}]])") const {
    std::string c = "{";
    if (!version.empty()) c += R"("cniVersion":")" + std::string(version) + R"(",)";
    c += R"("name":")" + std::string(kNet) + R"(","type":"bridge","bridge":")" +
         std::string(kBridge) + R"(","isGateway":true)" + std::string(extra) +
         R"(,"ipam":{"type":"host-local","ranges":)" + std::string(ranges) +
         R"(,"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + dataDir() + R"("}})";
    return c;
  }
  // Masquerade rules currently in the node's table.
  size_t masqRules() const {
    std::string rs = nftRuleset();
    size_t n = 0;
    for (size_t p = rs.find(" masquerade comment"); p != std::string::npos;
         p = rs.find(" masquerade comment", p + 1)) {
      ++n;
    }
    return n;
  }
};

class BridgeVersions : public BridgeTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(BridgeVersions, AddPingCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version, R"(,"ipMasq":true)");
  Json r = add("bridge", pod.path(), "ctr1", c);

  // The result: version-shaped, bridge/host/pod interfaces, the pod address on interface 2.
  if (*spec::versionAtLeast(version, "0.3.0")) {
    ASSERT_EQ(r["interfaces"].size(), 3u) << r.dump();
    EXPECT_EQ(r["interfaces"][0]["name"], kBridge);
    EXPECT_TRUE(r["interfaces"][1]["name"].get<std::string>().starts_with("veth"));
    EXPECT_EQ(r["interfaces"][2]["name"], "eth0");
    EXPECT_EQ(r["interfaces"][2]["sandbox"], pod.path());
    EXPECT_EQ(r["ips"][0]["interface"], 2);
    EXPECT_EQ(r["ips"][0]["address"], "10.99.0.2/24");
    EXPECT_EQ(r["ips"][0]["gateway"], "10.99.0.1");
  } else {
    EXPECT_EQ(r["ip4"]["ip"], "10.99.0.2/24") << r.dump();
  }

  // The kernel: gateway on the bridge, host veth enslaved, address + default route in the pod.
  auto br = link(node(), kBridge);
  ASSERT_TRUE(br);
  EXPECT_EQ(addrs(node(), kBridge), std::vector<std::string>{"10.99.0.1/24"});
  int ports = 0;
  for (const auto& l : links(node())) ports += l.master == br->index;
  EXPECT_EQ(ports, 1);
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.99.0.2/24"});
  bool default_route = false;
  for (const auto& rt : routes(pod)) {
    default_route |= rt.isDefault() && rt.gateway && rt.gateway->str() == "10.99.0.1";
  }
  EXPECT_TRUE(default_route);
  EXPECT_TRUE(ping(pod, "10.99.0.1"));
  EXPECT_EQ(masqRules(), 1u) << nftRuleset();
  EXPECT_EQ(leasedIps(kNet), std::vector<std::string>{"10.99.0.2"});

  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome chk = call("bridge", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome del = call("bridge", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  }
  // containerd's second DEL: no netns.
  Outcome del = call("bridge", "DEL", "", "ctr1", c);
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;

  EXPECT_FALSE(link(pod, "eth0"));
  ports = 0;
  for (const auto& l : links(node())) ports += l.master == br->index;
  EXPECT_EQ(ports, 0);
  EXPECT_EQ(masqRules(), 0u) << nftRuleset();
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, BridgeVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(BridgeTest, TwoPodsReachEachOtherAndTheGateway) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string c = conf("1.0.0");
  Json ra = add("bridge", a.path(), "ctr-a", c);
  Json rb = add("bridge", b.path(), "ctr-b", c);
  EXPECT_EQ(ra["ips"][0]["address"], "10.99.0.2/24");
  EXPECT_EQ(rb["ips"][0]["address"], "10.99.0.3/24");
  EXPECT_TRUE(ping(a, "10.99.0.3"));
  EXPECT_TRUE(ping(b, "10.99.0.2"));
  EXPECT_TRUE(ping(b, "10.99.0.1"));
  EXPECT_EQ(call("bridge", "DEL", a.path(), "ctr-a", c).exit_code, 0);
  EXPECT_TRUE(unreachable(b, "10.99.0.2"));
  EXPECT_EQ(call("bridge", "DEL", b.path(), "ctr-b", c).exit_code, 0);
}

TEST_F(BridgeTest, DualStackAndPortFlags) {
  auto& pod = addPod();
  const std::string c = conf("1.1.0", R"(,"hairpinMode":true,"portIsolation":true,"mtu":1400)",
                             R"([[{"subnet":"10.99.0.0/24"}],[{"subnet":"fd99::/64"}]])");
  Json r = add("bridge", pod.path(), "ctr1", c);
  ASSERT_EQ(r["ips"].size(), 2u) << r.dump();
  EXPECT_EQ(r["ips"][1]["address"], "fd99::2/64");
  EXPECT_EQ(r["ips"][1]["gateway"], "fd99::1");
  auto pod_addrs = addrs(pod, "eth0");
  EXPECT_EQ(pod_addrs, (std::vector<std::string>{"10.99.0.2/24", "fd99::2/64"}));
  EXPECT_EQ(addrs(node(), kBridge), (std::vector<std::string>{"10.99.0.1/24", "fd99::1/64"}));
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0);
  EXPECT_EQ(eth0->mtu, 1400u);
  const std::string host_name = r["interfaces"][1]["name"];
  auto port = node().run([&]() -> Expected<netlink::BridgePort> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, host_name));
    return netlink::getBridgePort(s, l.index);
  });
  ASSERT_TRUE(port) << port.error().toString();
  EXPECT_TRUE(port->hairpin);
  EXPECT_TRUE(port->isolated);
  EXPECT_TRUE(ping(pod, "fd99::1"));  // no DAD wait: usable at once
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", c).exit_code, 0);
}

TEST_F(BridgeTest, MacFromRuntimeConfigAndSpoofCheck) {
  auto& pod = addPod();
  const std::string c =
      conf("1.0.0", R"(,"macspoofchk":true,"runtimeConfig":{"mac":"0a:58:0a:63:00:42"})");
  Json r = add("bridge", pod.path(), "ctr1", c);
  EXPECT_EQ(r["interfaces"][2]["mac"], "0a:58:0a:63:00:42");
  EXPECT_EQ(link(pod, "eth0")->macString(), "0a:58:0a:63:00:42");
  std::string rs = nftRuleset();
  EXPECT_NE(rs.find("ether saddr 0a:58:0a:63:00:42 return comment \"macspoofchk-ctr1-eth0\""),
            std::string::npos)
      << rs;
  EXPECT_TRUE(ping(pod, "10.99.0.1"));
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(nftRuleset().find("macspoofchk-ctr1-eth0"), std::string::npos) << nftRuleset();
}

// The MAC sources in increasing precedence: CNI_ARGS MAC, args.cni.mac, runtimeConfig.mac.
TEST_F(BridgeTest, MacFromCniArgsAndArgsPrecedence) {
  auto& a = addPod();
  auto& b = addPod();
  setCniArgs("IgnoreUnknown=1;K8S_POD_NAME=x;MAC=0a:58:0a:63:00:10");
  const std::string plain = conf("1.0.0");
  Json ra = add("bridge", a.path(), "ctr-a", plain);
  EXPECT_EQ(ra["interfaces"][2]["mac"], "0a:58:0a:63:00:10");
  const std::string with_args = conf("1.0.0", R"(,"args":{"cni":{"mac":"0a:58:0a:63:00:11"}})");
  Json rb = add("bridge", b.path(), "ctr-b", with_args);
  EXPECT_EQ(rb["interfaces"][2]["mac"], "0a:58:0a:63:00:11");
  EXPECT_EQ(link(b, "eth0")->macString(), "0a:58:0a:63:00:11");
  EXPECT_EQ(call("bridge", "DEL", a.path(), "ctr-a", plain).exit_code, 0);
  EXPECT_EQ(call("bridge", "DEL", b.path(), "ctr-b", with_args).exit_code, 0);
  // Without IgnoreUnknown the IPAM plugin (host-local, like Go's) refuses the MAC key it does
  // not know: the runtime's problem, reported with Go's text.
  setCniArgs("MAC=0a:58:0a:63:00:10");
  auto& c = addPod();
  Outcome o = call("bridge", "ADD", c.path(), "ctr-c", plain);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("ARGS: unknown args [\\\"MAC=0a:58:0a:63:00:10\\\"]"), std::string::npos)
      << o.out;
  EXPECT_FALSE(link(c, "eth0"));
}

TEST_F(BridgeTest, DelAfterThePodNamespaceVanishedStillReleasesEverything) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0", R"(,"ipMasq":true)");
  add("bridge", pod.path(), "ctr1", c);
  const std::string path = pod.path();
  ASSERT_TRUE(netns::NetNs::removeNamed(pod.name()));
  Outcome del = call("bridge", "DEL", path, "ctr1", c);
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_EQ(masqRules(), 0u) << nftRuleset();  // the reference leaks these
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(BridgeTest, GcRemovesMasqueradeAndLeasesOfInvalidAttachments) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string c = conf("1.1.0", R"(,"ipMasq":true)");
  add("bridge", a.path(), "ctr-a", c);
  add("bridge", b.path(), "ctr-b", c);
  ASSERT_EQ(masqRules(), 2u);
  std::string gc = c;
  gc.pop_back();
  gc += R"(,"cni.dev/valid-attachments":[{"containerID":"ctr-a","ifname":"eth0"}]})";
  Outcome o = call("bridge", "GC", "", "", gc, "");
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(masqRules(), 1u) << nftRuleset();
  EXPECT_NE(nftRuleset().find("id: ctr-a"), std::string::npos);
  auto files = leaseFiles(kNet);
  EXPECT_TRUE(std::find(files.begin(), files.end(), "10.99.0.2") != files.end());
  EXPECT_TRUE(std::find(files.begin(), files.end(), "10.99.0.3") == files.end());
  Outcome st = call("bridge", "STATUS", "", "", c, "");
  EXPECT_EQ(st.exit_code, 0) << st.out << st.err;
  EXPECT_EQ(call("bridge", "DEL", a.path(), "ctr-a", c).exit_code, 0);
  EXPECT_EQ(call("bridge", "DEL", b.path(), "ctr-b", c).exit_code, 0);
}

// The last step (masquerade) fails because a foreign chain of the same name but another type
// is in the way: everything done before it must be undone.
TEST_F(BridgeTest, FailureAtTheLastStepRollsEverythingBack) {
  auto& pod = addPod();
  auto nft = testutil::run("ip netns exec " + node().name() +
                           " nft 'add table inet cni_plugins_masquerade; add chain inet "
                           "cni_plugins_masquerade postrouting { type filter hook forward "
                           "priority 0; }'");
  ASSERT_EQ(nft.status, 0) << nft.err;
  const std::string c = conf("1.0.0", R"(,"ipMasq":true,"macspoofchk":true)");
  Outcome o = call("bridge", "ADD", pod.path(), "ctr1", c);
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("\"code\""), std::string::npos) << o.out;
  EXPECT_FALSE(link(pod, "eth0"));
  for (const auto& l : links(node())) EXPECT_NE(l.kind, "veth") << l.name;
  EXPECT_TRUE(leasedIps(kNet).empty());
  EXPECT_EQ(nftRuleset().find("macspoofchk-ctr1-eth0"), std::string::npos) << nftRuleset();
}

TEST_F(BridgeTest, ConflictingGatewayAddressFailsUnlessForced) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  add("bridge", pod.path(), "ctr1", c);
  ASSERT_EQ(call("bridge", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  // The bridge keeps 10.99.0.1/24; a config for another subnet conflicts with it.
  const std::string other = conf("1.0.0", "", R"([[{"subnet":"10.98.0.0/24"}]])");
  Outcome o = call("bridge", "ADD", pod.path(), "ctr1", other);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("failed to set bridge addr: \\\"cnibr0\\\" already has an IP address "
                       "different from 10.98.0.1/24"),
            std::string::npos)
      << o.out;
  EXPECT_FALSE(link(pod, "eth0"));  // rolled back
  EXPECT_TRUE(leasedIps(kNet).empty());
  const std::string forced =
      conf("1.0.0", R"(,"forceAddress":true)", R"([[{"subnet":"10.98.0.0/24"}]])");
  add("bridge", pod.path(), "ctr1", forced);
  EXPECT_EQ(addrs(node(), kBridge), std::vector<std::string>{"10.98.0.1/24"});
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", forced).exit_code, 0);
}

TEST_F(BridgeTest, BadInputIsAClearErrorAndTouchesNothing) {
  auto& pod = addPod();
  const struct {
    std::string extra, msg;
  } cases[] = {
      {R"(,"vlan":5000)", "invalid VLAN ID 5000 (must be between 0 and 4094)"},
      {R"(,"hairpinMode":true,"promiscMode":true)",
       "cannot set hairpin mode and promiscuous mode at the same time"},
      {R"(,"isGateway":"yes")",
       "failed to load netconf: json: cannot unmarshal string into Go struct field "
       "NetConf.isGateway of type bool"},
      {R"(,"vlanTrunk":[{"minID":10}])",
       "minID and maxID should be configured simultaneously, maxID is missing"},
      {R"(,"runtimeConfig":{"mac":"zz"})",
       "failed to make veth pair: address zz: invalid MAC address"},
      {R"(,"ipMasqBackend":"ebtables")", "unknown ipmasq backend \\\"ebtables\\\""},
  };
  for (const auto& tc : cases) {
    Outcome o = call("bridge", "ADD", pod.path(), "ctr1", conf("1.0.0", tc.extra));
    EXPECT_EQ(o.exit_code, 1) << tc.extra;
    EXPECT_NE(o.out.find("\"msg\": \"" + tc.msg + "\""), std::string::npos) << o.out;
  }
  EXPECT_FALSE(link(node(), kBridge));  // nothing was created on the node
  EXPECT_TRUE(leaseFiles(kNet).empty());
}

TEST_F(BridgeTest, Layer2OnlyAndDisabledContainerInterface) {
  auto& pod = addPod();
  const std::string l2 = R"({"cniVersion":"1.0.0","name":"l2","type":"bridge","bridge":")" +
                         std::string(kBridge) + R"(","ipam":{}})";
  Json r = add("bridge", pod.path(), "ctr1", l2);
  EXPECT_FALSE(r.contains("ips")) << r.dump();
  EXPECT_TRUE(link(pod, "eth0")->isUp());
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", l2).exit_code, 0);

  const std::string down = R"({"cniVersion":"1.0.0","name":"l2","type":"bridge","bridge":")" +
                           std::string(kBridge) + R"(","disableContainerInterface":true})";
  add("bridge", pod.path(), "ctr2", down);
  EXPECT_FALSE(link(pod, "eth0")->isUp());
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr2", down).exit_code, 0);

  std::string bad = conf("1.0.0", R"(,"disableContainerInterface":true)");
  Outcome o = call("bridge", "ADD", pod.path(), "ctr3", bad);
  EXPECT_NE(o.out.find("cannot use IPAM when DisableContainerInterface flag is set"),
            std::string::npos)
      << o.out;
}

TEST_F(BridgeTest, CheckNoticesAMissingAddress) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  Json r = add("bridge", pod.path(), "ctr1", c);
  ASSERT_TRUE(pod.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, "eth0"));
    return netlink::delAddress(s, l.index, *IpPrefix::parse("10.99.0.2/24"));
  }));
  Outcome chk = call("bridge", "CHECK", pod.path(), "ctr1", withPrev(c, r));
  EXPECT_EQ(chk.exit_code, 1);
  EXPECT_NE(chk.out.find("10.99.0.2"), std::string::npos) << chk.out;
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", c).exit_code, 0);
}

// Go's encoding/json matches keys case-insensitively when there is no exact match, and
// runtimes differ in capitalisation: the same config with other-cased keys behaves the same.
TEST_F(BridgeTest, KeysMatchCaseInsensitivelyAsInGo) {
  auto& pod = addPod();
  const std::string c = R"({"cniVersion":"1.0.0","name":"brnet","type":"bridge","Bridge":")" +
                        std::string(kBridge) +
                        R"(","IsGateway":true,"MTU":1400,"IPMasq":true,"ipam":{"type":)"
                        R"("host-local","Subnet":"10.99.0.0/24","dataDir":")" +
                        dataDir() + R"("}})";
  Json r = add("bridge", pod.path(), "ctr1", c);
  EXPECT_EQ(r["interfaces"][0]["name"], kBridge) << r.dump();
  EXPECT_EQ(addrs(node(), kBridge), std::vector<std::string>{"10.99.0.1/24"});
  EXPECT_EQ(link(pod, "eth0")->mtu, 1400u);
  EXPECT_EQ(masqRules(), 1u);
  EXPECT_EQ(call("bridge", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(masqRules(), 0u);
}

}  // namespace
}  // namespace cni::plugintest
