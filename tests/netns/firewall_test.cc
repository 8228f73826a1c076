// tests/netns/firewall_test.cc — the firewall plugin chained after our bridge in a node
// namespace (NodeWorld), checked through the kernel, `iptables-nft -S` and real traffic:
//   * ADD -> CHECK -> DEL -> DEL for 0.4.0 / 1.0.0 / 1.1.0; DEL without prevResult or netns;
//   * the node's FORWARD policy DROP (set with iptables-nft, as docker does): pods on two
//     bridges cannot talk without the plugin, can with it, cannot after DEL;
//   * ingressPolicy same-bridge: the other bridge is cut off; isolated adds the same-bridge DROP;
//   * `iptables-nft -S` / `ip6tables-nft -S` parse every rule we write (exit 0, no
//     "incompatible" table) and list the reference's rules (differential against
//     /usr/lib/cni/firewall v1.1.1 in a second node namespace, both directions of DEL);
//   * GC, bad input that changes nothing, 8 parallel first ADDs;
//   * the firewalld backend against a private dbus-daemon where the test plays firewalld.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "src/dbus/connection.h"
#include "tests/netns/node_world.h"
#include "tests/testutil/run.h"
#include "tests/unit/dbus/private_bus.h"

namespace cni::plugintest {
namespace {

using testutil::TestNetNs;
using namespace std::chrono_literals;

constexpr std::string_view kRefDir = "/usr/lib/cni";

// A prevResult as the bridge returns it, without needing a bridge (rule-layout tests).
std::string fakePrev(std::string_view version, std::string_view v4 = "10.1.2.3/24",
                     std::string_view v6 = "fd00::3/64") {
  std::string ips = R"({"address":")" + std::string(v4) + R"(","interface":2})";
  if (!v6.empty()) ips += R"(,{"address":")" + std::string(v6) + R"(","interface":2})";
  return R"({"cniVersion":")" + std::string(version) +
         R"(","interfaces":[{"name":"cnifw0"},{"name":"veth1"},{"name":"eth0","sandbox":"/x"}],)"
         R"("ips":[)" +
         ips + "]}";
}

std::string fwConf(std::string_view version, std::string_view net, const std::string& prev,
                   std::string_view extra = R"(,"backend":"iptables")") {
  std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(net) +
                  R"(","type":"firewall")" + std::string(extra);
  if (!prev.empty()) c += R"(,"prevResult":)" + prev;
  return c + "}";
}

// `iptables-nft -S` lines (our attachment comments removed when `strip`), plus exit status.
struct Listing {
  int status = -1;
  std::string out, err;
};

Listing iptablesS(const TestNetNs& ns, bool v6) {
  auto r =
      testutil::run("ip netns exec " + ns.name() + (v6 ? " ip6tables-nft -S" : " iptables-nft -S"));
  return {r.status, r.out, r.err};
}

std::string stripOurComments(const std::string& s) {
  static const std::regex kOurs(R"( -m comment --comment "cnikit firewall: [^"]*")");
  return std::regex_replace(s, kOurs, "");
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class FirewallTest : public NodeWorld {
 protected:
  std::string bridgeConf(std::string_view version, std::string_view net, std::string_view br,
                         std::string_view subnet) const {
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(net) +
           R"(","type":"bridge","bridge":")" + std::string(br) +
           R"(","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","ranges":[[{"subnet":")" +
           std::string(subnet) + R"("}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + dataDir() +
           R"("}})";
  }

  // The firewall from `dir` (ours by default) in namespace `where` (the node by default). The
  // reference shells out to iptables, so it gets a PATH; ours runs with CNI_* only (+ extra).
  Outcome fw(std::string_view cmd, std::string_view netns, std::string_view cid,
             const std::string& conf, std::string_view dir = {}, const TestNetNs* where = nullptr,
             const std::map<std::string, std::string>& extra_env = {}) const {
    const std::string d = dir.empty() ? ourBinDir() : std::string(dir);
    auto env = cniEnv(cmd, netns, cid, "eth0", d);
    if (d != ourBinDir()) env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& [k, v] : extra_env) env[k] = v;
    const std::string path = d + "/firewall";
    const TestNetNs& ns = where ? *where : node();
    auto out = ns.run([&] { return runProcess(path, {}, env, conf); });
    EXPECT_TRUE(out) << out.error().toString();
    return out ? *out : Outcome{};
  }

  void setForwardPolicy(const TestNetNs& ns, std::string_view policy) const {
    auto r = testutil::run("ip netns exec " + ns.name() + " iptables-nft -P FORWARD " +
                           std::string(policy));
    ASSERT_EQ(r.status, 0) << r.err;
  }

  bool haveReference() const {
    return std::filesystem::exists(std::string(kRefDir) + "/firewall") &&
           testutil::run("command -v iptables-nft").status == 0;
  }
};

class FirewallVersionTest : public FirewallTest,
                            public ::testing::WithParamInterface<std::string_view> {};

TEST_P(FirewallVersionTest, AddCheckDelDel) {
  const std::string_view v = GetParam();
  auto& pod = addPod();
  Json br = add("bridge", pod.path(), "ctr1", bridgeConf(v, "fwnet", "cnifw0", "10.97.0.0/24"));
  const std::string conf = fwConf(v, "fwnet", br.dump());
  Outcome a = fw("ADD", pod.path(), "ctr1", conf);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  auto res = spec::parseJson(a.out, "result");
  ASSERT_TRUE(res) << a.out;
  EXPECT_EQ((*res)["cniVersion"], std::string(v));
  EXPECT_EQ((*res)["ips"], br["ips"]);
  EXPECT_EQ((*res)["interfaces"], br["interfaces"]);
  const std::string ip = br["ips"][0]["address"].get<std::string>();
  const std::string host = ip.substr(0, ip.find('/')) + "/32";
  const std::string tag = "\"cnikit firewall: net=fwnet id=ctr1 if=eth0\"";

  Listing l = iptablesS(node(), false);
  ASSERT_EQ(l.status, 0) << l.err;
  EXPECT_EQ(l.err.find("incompatible"), std::string::npos) << l.err;
  EXPECT_NE(l.out.find("-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j "
                       "CNI-FORWARD\n"),
            std::string::npos)
      << l.out;
  EXPECT_NE(l.out.find("-A CNI-FORWARD -m comment --comment \"CNI firewall plugin admin "
                       "overrides\" -j CNI-ADMIN\n"),
            std::string::npos)
      << l.out;
  EXPECT_NE(l.out.find("-A CNI-FORWARD -d " + host +
                       " -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment " + tag +
                       " -j ACCEPT\n"),
            std::string::npos)
      << l.out;
  EXPECT_NE(
      l.out.find("-A CNI-FORWARD -s " + host + " -m comment --comment " + tag + " -j ACCEPT\n"),
      std::string::npos)
      << l.out;
  // Only the family with addresses gets rules (as the reference).
  EXPECT_EQ(iptablesS(node(), true).out.find("CNI-FORWARD"), std::string::npos);

  Outcome again = fw("ADD", pod.path(), "ctr1", conf);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(iptablesS(node(), false).out, l.out) << "a repeated ADD must not add rules";

  Outcome chk = fw("CHECK", pod.path(), "ctr1", conf);
  EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;

  Outcome del = fw("DEL", pod.path(), "ctr1", conf);
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  l = iptablesS(node(), false);
  EXPECT_EQ(l.out.find(host), std::string::npos) << l.out;
  // The shared jumps stay, as the reference leaves them.
  EXPECT_NE(l.out.find("-j CNI-FORWARD"), std::string::npos) << l.out;

  chk = fw("CHECK", pod.path(), "ctr1", conf);
  EXPECT_EQ(chk.exit_code, 1);
  EXPECT_NE(chk.out.find("expected rule [-d " + host +
                         " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT] not found"),
            std::string::npos)
      << chk.out;

  del = fw("DEL", pod.path(), "ctr1", conf);
  EXPECT_EQ(del.exit_code, 0) << del.out;
  del = fw("DEL", "", "ctr1", fwConf(v, "fwnet", ""));  // no netns, no prevResult
  EXPECT_EQ(del.exit_code, 0) << del.out;
  EXPECT_EQ(
      call("bridge", "DEL", pod.path(), "ctr1", bridgeConf(v, "fwnet", "cnifw0", "10.97.0.0/24"))
          .exit_code,
      0);
}

INSTANTIATE_TEST_SUITE_P(Versions, FirewallVersionTest,
                         ::testing::Values(std::string_view("0.4.0"), std::string_view("1.0.0"),
                                           std::string_view("1.1.0")),
                         versionTestName);

TEST_F(FirewallTest, DelWithoutPrevResultRemovesOnlyThisAttachment) {
  auto& pod = addPod();
  ASSERT_EQ(fw("ADD", pod.path(), "c1", fwConf("1.0.0", "n1", fakePrev("1.0.0"))).exit_code, 0);
  ASSERT_EQ(fw("ADD", pod.path(), "c2",
               fwConf("1.0.0", "n1", fakePrev("1.0.0", "10.1.2.4/24", "fd00::4/64")))
                .exit_code,
            0);
  Outcome del = fw("DEL", pod.path(), "c1", fwConf("1.0.0", "n1", ""));
  EXPECT_EQ(del.exit_code, 0) << del.out;
  for (bool v6 : {false, true}) {
    const std::string out = iptablesS(node(), v6).out;
    EXPECT_EQ(out.find("id=c1 "), std::string::npos) << out;
    EXPECT_EQ(count(out, "id=c2 "), 2u) << out;
  }
}

TEST_F(FirewallTest, ForwardPolicyDropNeedsThePlugin) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string ca = bridgeConf("1.0.0", "fwa", "cnifwa", "10.97.1.0/24");
  const std::string cb = bridgeConf("1.0.0", "fwb", "cnifwb", "10.97.2.0/24");
  Json ra = add("bridge", a.path(), "pa", ca);
  Json rb = add("bridge", b.path(), "pb", cb);
  const std::string ipa = ra["ips"][0]["address"].get<std::string>();
  const std::string ipb = rb["ips"][0]["address"].get<std::string>();
  const std::string ip_b = ipb.substr(0, ipb.find('/'));
  const std::string ip_a = ipa.substr(0, ipa.find('/'));
  ASSERT_TRUE(ping(a, ip_b)) << "routing between the two bridges must work with ACCEPT";

  setForwardPolicy(node(), "DROP");
  EXPECT_TRUE(unreachable(a, ip_b));

  const std::string fa = fwConf("1.0.0", "fwa", ra.dump());
  const std::string fb = fwConf("1.0.0", "fwb", rb.dump());
  ASSERT_EQ(fw("ADD", a.path(), "pa", fa).exit_code, 0);
  ASSERT_EQ(fw("ADD", b.path(), "pb", fb).exit_code, 0);
  EXPECT_TRUE(ping(a, ip_b));
  EXPECT_TRUE(ping(b, ip_a));
  EXPECT_NE(iptablesS(node(), false).out.find("-P FORWARD DROP"), std::string::npos)
      << "the plugin must not reset the policy";

  ASSERT_EQ(fw("DEL", a.path(), "pa", fa).exit_code, 0);
  ASSERT_EQ(fw("DEL", b.path(), "pb", fb).exit_code, 0);
  EXPECT_TRUE(unreachable(a, ip_b));
}

TEST_F(FirewallTest, SameBridgePolicyCutsOffOtherBridges) {
  auto& a1 = addPod();
  auto& a2 = addPod();
  auto& b = addPod();
  const std::string ca = bridgeConf("1.0.0", "fwa", "cnifwa", "10.97.1.0/24");
  const std::string cb = bridgeConf("1.0.0", "fwb", "cnifwb", "10.97.2.0/24");
  Json ra1 = add("bridge", a1.path(), "a1", ca);
  Json ra2 = add("bridge", a2.path(), "a2", ca);
  Json rb = add("bridge", b.path(), "b", cb);
  auto addr = [](const Json& r) {
    std::string s = r["ips"][0]["address"].get<std::string>();
    return s.substr(0, s.find('/'));
  };
  ASSERT_TRUE(ping(a1, addr(rb)));
  const std::string policy = R"(,"backend":"iptables","ingressPolicy":"same-bridge")";
  ASSERT_EQ(fw("ADD", a1.path(), "a1", fwConf("1.0.0", "fwa", ra1.dump(), policy)).exit_code, 0);
  ASSERT_EQ(fw("ADD", a2.path(), "a2", fwConf("1.0.0", "fwa", ra2.dump(), policy)).exit_code, 0);
  ASSERT_EQ(fw("ADD", b.path(), "b", fwConf("1.0.0", "fwb", rb.dump(), policy)).exit_code, 0);
  EXPECT_TRUE(ping(a1, addr(ra2)));        // same bridge
  EXPECT_TRUE(unreachable(a1, addr(rb)));  // other bridge
  EXPECT_TRUE(unreachable(b, addr(ra1)));
  EXPECT_TRUE(ping(a1, "10.97.1.1"));  // the node (gateway) itself is not forwarded traffic

  const Listing l = iptablesS(node(), false);
  ASSERT_EQ(l.status, 0) << l.err;
  const std::string c =
      "-m comment --comment \"CNI firewall plugin rules (ingressPolicy: "
      "same-bridge)\"";
  EXPECT_EQ(count(l.out, "-A FORWARD " + c + " -j CNI-ISOLATION-STAGE-1\n"), 1u) << l.out;
  EXPECT_NE(l.out.find("-A CNI-ISOLATION-STAGE-1 -i cnifwa ! -o cnifwa " + c +
                       " -j CNI-ISOLATION-STAGE-2\n"),
            std::string::npos)
      << l.out;
  EXPECT_NE(l.out.find("-A CNI-ISOLATION-STAGE-2 -o cnifwb " + c + " -j DROP\n"), std::string::npos)
      << l.out;
  EXPECT_EQ(count(l.out, "-A CNI-ISOLATION-STAGE-1 " + c + " -j RETURN\n"), 1u) << l.out;
  // The isolation jump comes first in FORWARD, as in the reference.
  EXPECT_LT(l.out.find("-j CNI-ISOLATION-STAGE-1"), l.out.find("-j CNI-FORWARD")) << l.out;
}

TEST_F(FirewallTest, IsolatedPolicyAddsTheSameBridgeDrop) {
  auto& p = addPod();
  const std::string extra = R"(,"backend":"iptables","ingressPolicy":"isolated")";
  Outcome a = fw("ADD", p.path(), "c1", fwConf("1.0.0", "n1", fakePrev("1.0.0"), extra));
  ASSERT_EQ(a.exit_code, 0) << a.out;
  for (bool v6 : {false, true}) {
    const Listing l = iptablesS(node(), v6);
    ASSERT_EQ(l.status, 0) << l.err;
    EXPECT_NE(l.out.find("-A CNI-ISOLATION-STAGE-1 -i cnifw0 -o cnifw0 -m comment --comment "
                         "\"CNI firewall plugin rules (ingressPolicy: isolated)\" -j DROP\n"),
              std::string::npos)
        << l.out;
  }
}

// Differential: the same conflist through the reference in a second node namespace gives the
// same `iptables-nft -S` (our comment match aside), after ADD and after DEL.
TEST_F(FirewallTest, RulesMatchTheReference) {
  if (!haveReference()) GTEST_SKIP() << "no reference firewall / iptables-nft";
  TestNetNs ref_node("fwref");
  ASSERT_TRUE(ref_node.ok());
  auto& pod = addPod();
  for (std::string_view v : {"0.4.0", "1.0.0"}) {
    for (std::string_view extra :
         {std::string_view(R"(,"backend":"iptables")"),
          std::string_view(R"(,"backend":"iptables","ingressPolicy":"same-bridge")")}) {
      SCOPED_TRACE(std::string(v) + std::string(extra));
      const std::string conf = fwConf(v, "n1", fakePrev(v), extra);
      Outcome ours = fw("ADD", pod.path(), "c1", conf);
      Outcome theirs = fw("ADD", pod.path(), "c1", conf, kRefDir, &ref_node);
      ASSERT_EQ(ours.exit_code, 0) << ours.out;
      ASSERT_EQ(theirs.exit_code, 0) << theirs.out;
      EXPECT_EQ(spec::parseJson(ours.out, "o").value_or(Json()),
                spec::parseJson(theirs.out, "t").value_or(Json()));
      for (bool v6 : {false, true}) {
        Listing lo = iptablesS(node(), v6), lt = iptablesS(ref_node, v6);
        ASSERT_EQ(lo.status, 0) << lo.err;
        EXPECT_NE(lo.out, stripOurComments(lo.out)) << "our rules carry the attachment comment";
        EXPECT_EQ(stripOurComments(lo.out), lt.out);
      }
      EXPECT_EQ(fw("CHECK", pod.path(), "c1", conf).exit_code, 0);
      ASSERT_EQ(fw("DEL", pod.path(), "c1", conf).exit_code, 0);
      ASSERT_EQ(fw("DEL", pod.path(), "c1", conf, kRefDir, &ref_node).exit_code, 0);
      for (bool v6 : {false, true}) {
        EXPECT_EQ(iptablesS(node(), v6).out, iptablesS(ref_node, v6).out);
      }
    }
  }
}

// A node moving from the reference to cnikit: our DEL (with prevResult) removes the reference's
// rules. The other way round the reference's DEL cannot match our commented rules (documented
// difference); our GC / DEL without prevResult still removes them.
TEST_F(FirewallTest, DelAcrossImplementations) {
  if (!haveReference()) GTEST_SKIP() << "no reference firewall / iptables-nft";
  auto& pod = addPod();
  const std::string conf = fwConf("1.0.0", "n1", fakePrev("1.0.0"));
  ASSERT_EQ(fw("ADD", pod.path(), "c1", conf, kRefDir).exit_code, 0);
  EXPECT_NE(iptablesS(node(), false).out.find("-A CNI-FORWARD -s 10.1.2.3/32 -j ACCEPT"),
            std::string::npos);
  EXPECT_EQ(fw("CHECK", pod.path(), "c1", conf).exit_code, 0) << "ours accepts its rules";
  ASSERT_EQ(fw("DEL", pod.path(), "c1", conf).exit_code, 0);
  for (bool v6 : {false, true}) {
    const std::string out = iptablesS(node(), v6).out;
    EXPECT_EQ(out.find(v6 ? "fd00::3" : "10.1.2.3"), std::string::npos) << out;
  }

  ASSERT_EQ(fw("ADD", pod.path(), "c1", conf).exit_code, 0);
  EXPECT_EQ(fw("CHECK", pod.path(), "c1", conf, kRefDir).exit_code, 1)
      << "the reference looks for its exact rule, without our comment";
  ASSERT_EQ(fw("DEL", pod.path(), "c1", conf, kRefDir).exit_code, 0);
  EXPECT_EQ(count(iptablesS(node(), false).out, "10.1.2.3/32"), 2u);
  ASSERT_EQ(fw("DEL", pod.path(), "c1", fwConf("1.0.0", "n1", "")).exit_code, 0);
  EXPECT_EQ(iptablesS(node(), false).out.find("10.1.2.3/32"), std::string::npos);
}

TEST_F(FirewallTest, GcRemovesOnlyStaleAttachments) {
  auto& pod = addPod();
  ASSERT_EQ(fw("ADD", pod.path(), "c1", fwConf("1.1.0", "n1", fakePrev("1.1.0"))).exit_code, 0);
  ASSERT_EQ(fw("ADD", pod.path(), "c2",
               fwConf("1.1.0", "n1", fakePrev("1.1.0", "10.1.2.4/24", "fd00::4/64")))
                .exit_code,
            0);
  ASSERT_EQ(fw("ADD", pod.path(), "c3",
               fwConf("1.1.0", "n2", fakePrev("1.1.0", "10.1.2.5/24", "fd00::5/64")))
                .exit_code,
            0);
  const std::string gc = fwConf(
      "1.1.0", "n1", "",
      R"(,"backend":"iptables","cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}])");
  Outcome o = fw("GC", "", "", gc);
  EXPECT_EQ(o.exit_code, 0) << o.out;
  for (bool v6 : {false, true}) {
    const std::string out = iptablesS(node(), v6).out;
    EXPECT_EQ(count(out, "net=n1 id=c1 "), 2u) << out;
    EXPECT_EQ(count(out, "net=n1 id=c2 "), 0u) << out;
    EXPECT_EQ(count(out, "net=n2 id=c3 "), 2u) << out;
  }
}

TEST_F(FirewallTest, BadInputHasTheRightCodeAndChangesNothing) {
  auto& pod = addPod();
  const std::string before = nftRuleset();
  struct Case {
    std::string conf;
    int code;
    std::string msg;
  };
  const std::vector<Case> cases = {
      {fwConf("1.0.0", "n1", fakePrev("1.0.0"), R"(,"backend":"nope")"), 7,
       "unknown firewall backend: \"nope\""},
      {fwConf("1.0.0", "n1", fakePrev("1.0.0"), R"(,"ingressPolicy":"nope")"), 7,
       "unknown ingress policy: \"nope\""},
      {fwConf("0.3.1", "n1", fakePrev("0.3.1")), 1, "incompatible CNI versions"},
      {fwConf("1.0.0", "n1", ""), 999, "missing prevResult from earlier plugin"},
      {fwConf("1.0.0", "n1", fakePrev("1.0.0"),
              R"(,"backend":"iptables","iptablesAdminChainName":"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123")"),
       7, "invalid iptablesAdminChainName"},
      {fwConf("1.0.0", "n1", fakePrev("1.0.0"), R"(,"backend":7)"), 999, "failed to load netconf"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.conf);
    Outcome o = fw("ADD", pod.path(), "c1", c.conf);
    EXPECT_EQ(o.exit_code, 1);
    auto j = spec::parseJson(o.out, "error");
    ASSERT_TRUE(j) << o.out;
    EXPECT_EQ((*j)["code"], c.code) << o.out;
    EXPECT_NE((*j)["msg"].get<std::string>().find(c.msg), std::string::npos) << o.out;
  }
  EXPECT_EQ(nftRuleset(), before);
  // DEL of a config ADD refused still succeeds (and cleans up by comment).
  for (std::string_view extra : {R"(,"backend":"nope")", R"(,"ingressPolicy":"nope")",
                                 R"(,"iptablesAdminChainName":"-x")"}) {
    Outcome d = fw("DEL", pod.path(), "c1", fwConf("1.0.0", "n1", fakePrev("1.0.0"), extra));
    EXPECT_EQ(d.exit_code, 0) << extra << ": " << d.out;
  }
}

TEST_F(FirewallTest, ParallelFirstAddsMakeOneJump) {
  auto& pod = addPod();
  std::vector<std::thread> threads;
  std::vector<Outcome> outs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const std::string v4 = "10.1.3." + std::to_string(10 + i) + "/24";
      const std::string v6 = "fd00::" + std::to_string(10 + i) + "/64";
      outs[i] = fw("ADD", pod.path(), "p" + std::to_string(i),
                   fwConf("1.0.0", "n1", fakePrev("1.0.0", v4, v6)));
    });
  }
  for (auto& t : threads) t.join();
  for (const Outcome& o : outs) EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  for (bool v6 : {false, true}) {
    const Listing l = iptablesS(node(), v6);
    ASSERT_EQ(l.status, 0) << l.err;
    EXPECT_EQ(count(l.out, "-j CNI-FORWARD\n"), 1u) << l.out;
    EXPECT_EQ(count(l.out, "-j CNI-ADMIN\n"), 1u) << l.out;
    EXPECT_EQ(count(l.out, "-N CNI-FORWARD\n"), 1u) << l.out;
    EXPECT_EQ(count(l.out, "cnikit firewall: net=n1"), 16u) << l.out;
  }
}

// --- firewalld over a private bus ----------------------------------------------------------------

// Plays firewalld on the bus: records zone calls and answers them as configured.
class FakeFirewalld {
 public:
  explicit FakeFirewalld(const std::string& address) {
    auto c = dbus::Connection::open(address, 2s);
    EXPECT_TRUE(c) << c.error().toString();
    if (!c) return;
    conn_.emplace(std::move(*c));
    EXPECT_EQ(conn_->requestName("org.fedoraproject.FirewallD1").value_or(0), 1u);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeFirewalld() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // member -> error text to answer with ("" = success).
  void failWith(const std::string& member, const std::string& text) {
    std::lock_guard g(mu_);
    errors_[member] = text;
  }
  std::vector<std::string> calls() {
    std::lock_guard g(mu_);
    return calls_;
  }

 private:
  void serve() {
    while (!stop_) {
      auto in = conn_->receive(50ms);
      if (!in || in->type != dbus::MessageType::kMethodCall) continue;
      dbus::BodyReader r(*in);
      const std::string zone = r.string().value_or("?"), ip = r.string().value_or("?");
      std::string err;
      {
        std::lock_guard g(mu_);
        calls_.push_back(in->interface + "." + in->member + "(" + zone + "," + ip + ")");
        err = errors_[in->member];
      }
      if (!err.empty()) {
        (void)conn_->send(
            dbus::Message::errorReply(*in, "org.fedoraproject.FirewallD1.Exception", err));
        continue;
      }
      dbus::Message reply = dbus::Message::methodReturn(*in);
      dbus::BodyWriter w;
      if (in->member == "querySource") {
        w.boolean(true);
      } else {
        w.string(zone);
      }
      w.into(reply);
      (void)conn_->send(reply);
    }
  }

  std::optional<dbus::Connection> conn_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, std::string> errors_;
  std::vector<std::string> calls_;
};

class FirewalldTest : public FirewallTest {
 protected:
  void SetUp() override {
    FirewallTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (::access("/usr/bin/dbus-daemon", X_OK) != 0) GTEST_SKIP() << "no dbus-daemon";
    bus_ = std::make_unique<testutil::PrivateBus>();
    ASSERT_TRUE(bus_->ok());
    env_ = {{"DBUS_SYSTEM_BUS_ADDRESS", bus_->address()}};
  }
  std::unique_ptr<testutil::PrivateBus> bus_;
  std::map<std::string, std::string> env_;
};

TEST_F(FirewalldTest, AutoDetectsFirewalldAndAddsZoneSources) {
  FakeFirewalld fwd(bus_->address());
  auto& pod = addPod();
  const std::string conf = fwConf("1.0.0", "n1", fakePrev("1.0.0"), R"(,"backend":"")");
  Outcome a = fw("ADD", pod.path(), "c1", conf, {}, nullptr, env_);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(fwd.calls(), (std::vector<std::string>{
                             "org.fedoraproject.FirewallD1.zone.addSource(trusted,10.1.2.3/32)",
                             "org.fedoraproject.FirewallD1.zone.addSource(trusted,fd00::3/128)"}));
  EXPECT_EQ(iptablesS(node(), false).out.find("CNI-FORWARD"), std::string::npos)
      << "firewalld mode writes no iptables rules";

  Outcome chk = fw("CHECK", pod.path(), "c1", conf, {}, nullptr, env_);
  EXPECT_EQ(chk.exit_code, 0) << chk.out;

  // A repeated ADD: firewalld says ZONE_ALREADY_SET, which is success.
  fwd.failWith("addSource", "ZONE_ALREADY_SET: 10.1.2.3/32");
  a = fw("ADD", pod.path(), "c1", conf, {}, nullptr, env_);
  EXPECT_EQ(a.exit_code, 0) << a.out;
  // Any other firewalld error surfaces.
  fwd.failWith("addSource", "INVALID_ZONE: nope");
  a = fw("ADD", pod.path(), "c1",
         fwConf("1.0.0", "n1", fakePrev("1.0.0"), R"(,"firewalldZone":"nope")"), {}, nullptr, env_);
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.out.find("failed to add the address 10.1.2.3/32 to nope zone: INVALID_ZONE"),
            std::string::npos)
      << a.out;

  fwd.failWith("removeSource", "UNKNOWN_SOURCE: fd00::3/128");
  Outcome d = fw("DEL", pod.path(), "c1", conf, {}, nullptr, env_);
  EXPECT_EQ(d.exit_code, 0) << d.out;
  auto calls = fwd.calls();
  EXPECT_NE(std::ranges::find(
                calls, "org.fedoraproject.FirewallD1.zone.removeSource(trusted,10.1.2.3/32)"),
            calls.end());
}

TEST_F(FirewalldTest, NoOwnerMeansIptables) {
  auto& pod = addPod();
  Outcome a =
      fw("ADD", pod.path(), "c1", fwConf("1.0.0", "n1", fakePrev("1.0.0"), ""), {}, nullptr, env_);
  ASSERT_EQ(a.exit_code, 0) << a.out;
  EXPECT_NE(iptablesS(node(), false).out.find("-s 10.1.2.3/32"), std::string::npos);
}

TEST_F(FirewalldTest, MissingBus) {
  auto& pod = addPod();
  const std::map<std::string, std::string> env = {
      {"DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/cnikit-bus"}};
  // Auto: no bus is no firewalld.
  Outcome a =
      fw("ADD", pod.path(), "c1", fwConf("1.0.0", "n1", fakePrev("1.0.0"), ""), {}, nullptr, env);
  EXPECT_EQ(a.exit_code, 0) << a.out;
  // Explicit firewalld: an error naming the bus socket; DEL still succeeds.
  const std::string conf = fwConf("1.0.0", "n2", fakePrev("1.0.0"), R"(,"backend":"firewalld")");
  a = fw("ADD", pod.path(), "c2", conf, {}, nullptr, env);
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_NE(a.out.find("/nonexistent/cnikit-bus"), std::string::npos) << a.out;
  EXPECT_EQ(fw("DEL", pod.path(), "c2", conf, {}, nullptr, env).exit_code, 0);
  Outcome st = fw("STATUS", "", "", fwConf("1.1.0", "n2", "", R"(,"backend":"firewalld")"), {},
                  nullptr, env);
  EXPECT_EQ(st.exit_code, 1);
  EXPECT_NE(st.out.find("\"code\": 50"), std::string::npos) << st.out;
}

}  // namespace
}  // namespace cni::plugintest
