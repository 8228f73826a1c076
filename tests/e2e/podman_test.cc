// tests/e2e/podman_test.cc — Debian's podman 4.3 (CNI backend) running containers whose
// networking is done entirely by our plugin binaries (build/cni-bin), in a private node netns
// (see podman_world.h for the isolation and why podman runs under nsenter with runc).
//
// What podman does, and so what is exercised: `network create` writes its bridge conflist
// (cniVersion 0.4.0: bridge with host-local IPAM and the `ips` capability, portmap, firewall with
// `"backend": ""`, tuning); `run` sends VERSION to every plugin, then ADD along the chain with
// runtimeConfig portMappings; `rm`/`--rm` (or conmon's `container cleanup`) send DEL in reverse
// order with the cached prevResult, and libcni drops its cache entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "src/spec/json.h"
#include "tests/e2e/podman_world.h"
#include "tests/testutil/wait.h"

namespace cni::e2e {
namespace {

namespace fs = std::filesystem;
using testutil::readFile;

std::string joinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// The first `-A <chain>` line of `iptables -S` output.
std::string firstRule(const std::string& listing, const std::string& chain) {
  const std::string head = "-A " + chain + " ";
  for (size_t at = 0; at < listing.size();) {
    size_t nl = listing.find('\n', at);
    if (nl == std::string::npos) nl = listing.size();
    std::string line = listing.substr(at, nl - at);
    if (line.starts_with(head)) return line;
    at = nl + 1;
  }
  return "";
}

}  // namespace

class PodmanE2e : public PodmanTest {
 public:
  // The state every attachment of the network must have left once its containers are gone: no
  // veth but the node<->client link, no bridge port, no rule naming a pod address or one of
  // `ids` (the containers that existed), no lease, no libcni cache entry.
  void expectClean(const std::vector<std::string>& ids) {
    SCOPED_TRACE("leftover check for network " + net_);
    EXPECT_EQ(nodeLinks("type veth"), std::vector<std::string>{node_if_})
        << "a container veth is left in the node netns";
    EXPECT_EQ(nodeLinks("master " + bridge_), std::vector<std::string>{})
        << "a port is left on " << bridge_;
    // The bridge itself stays, as with the reference plugins (DEL never deletes it).
    EXPECT_EQ(nodeLinks("dev " + bridge_), std::vector<std::string>{bridge_});
    const std::string rules = nodeRules();
    EXPECT_EQ(joinLines(linesAboutPods(rules)), "") << "rules about pod addresses are left:\n"
                                                    << rules;
    for (const auto& id : ids) {
      EXPECT_EQ(joinLines(linesAboutPods(rules, id)), "")
          << "rules about container " << id << " are left:\n"
          << rules;
      EXPECT_FALSE(fs::exists(cacheEntry(id))) << "libcni cache entry left: " << cacheEntry(id);
    }
    EXPECT_EQ(leases(), std::vector<std::string>{}) << "host-local leases left in " << leaseDir();
    EXPECT_EQ(leaseIndexEntries(), std::vector<std::string>{})
        << "host-local index entries left in " << leaseDir() / ".cnikit-index";
    EXPECT_EQ(cacheEntries(), std::vector<std::string>{})
        << "cache entries left in /var/lib/cni/results";
    auto ps = podman("ps -a -q");
    EXPECT_EQ(ps.status, 0) << ps.err;
    EXPECT_EQ(ps.out, "") << "containers left in the private store";
  }
};

// The whole life of a published web server: network create -> run -d -p -> the client netns
// fetches the page through the node's address -> rm -f removes every trace -> network rm.
TEST_F(PodmanE2e, PublishedWebServerOnOurPluginsAndRmLeavesNothing) {
  // --- podman network create: its usual conflist, in our private config dir only -------------
  Json conflist;
  ASSERT_NO_FATAL_FAILURE(createNetwork(&conflist));
  EXPECT_EQ(conflist["cniVersion"], "0.4.0");
  EXPECT_EQ(conflist["name"], net_);
  std::vector<std::string> types;
  for (const auto& p : conflist["plugins"]) types.push_back(p.value("type", ""));
  EXPECT_EQ(types, (std::vector<std::string>{"bridge", "portmap", "firewall", "tuning"}))
      << conflist.dump(1);
  const Json& bridge = conflist["plugins"][0];
  EXPECT_EQ(bridge["ipam"]["type"], "host-local");
  EXPECT_EQ(bridge["ipam"]["ranges"][0][0]["subnet"], subnet());
  EXPECT_FALSE(bridge["ipam"].contains("dataDir")) << "host-local must use its default dataDir";
  EXPECT_EQ(conflist["plugins"][2]["backend"], "");
  EXPECT_FALSE(fs::exists("/etc/cni/net.d/" + net_ + ".conflist")) << "wrote the host's config";

  // --- podman run -d -p: a busybox httpd from a local rootfs, port 8080 -> 80 ----------------
  const std::string name = "cnikit-pm" + tag_ + "-web";
  auto t0 = std::chrono::steady_clock::now();
  auto r = podman("run -d --name " + name + " --network " + net_ + " -p 8080:80 --rootfs " +
                  rootfs() + " /bin/httpd -f -p 80 -h /www");
  const double run_ms = elapsedMs(t0);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto c = inspect(name);
  ASSERT_TRUE(c) << c.error().toString();
  track(*c);
  EXPECT_EQ(r.out, c->id + "\n");
  std::printf("[podman] run -d -p (our plugins): %.0f ms, container %s got %s/%d\n", run_ms,
              c->id.substr(0, 12).c_str(), c->ip.c_str(), c->prefix_len);

  // The address podman reports is in the configured subnet...
  EXPECT_TRUE(c->ip.starts_with(subnet_prefix_ + ".")) << c->ip << " not in " << subnet();
  EXPECT_NE(c->ip, gateway());
  EXPECT_EQ(c->prefix_len, 24);
  EXPECT_EQ(c->gateway, gateway());
  // ...and really is eth0's inside the container's netns, with the route via the gateway.
  auto addr = PodmanTest::inNetns(c->sandbox, "ip -o -4 addr show dev eth0; ip -4 route");
  EXPECT_NE(addr.out.find("inet " + c->ip + "/24"), std::string::npos) << addr.out << addr.err;
  EXPECT_NE(addr.out.find("default via " + gateway() + " dev eth0"), std::string::npos) << addr.out;

  // It came from our host-local (its lease names the container) and our bridge (libcni cached
  // the 0.4.0 result our chain returned).
  EXPECT_EQ(leases(), std::vector<std::string>{c->ip});
  // Byte for byte what the reference host-local writes: "<container id>\r\n<ifname>".
  EXPECT_EQ(readFile(leaseDir() / c->ip), c->id + "\r\neth0");
  ASSERT_TRUE(fs::exists(cacheEntry(c->id))) << cacheEntry(c->id);
  auto cache = spec::parseJson(readFile(cacheEntry(c->id)), "cache");
  ASSERT_TRUE(cache) << cache.error().toString();
  EXPECT_EQ((*cache)["kind"], "cniCacheV1");
  EXPECT_EQ((*cache)["result"]["cniVersion"], "0.4.0");
  EXPECT_EQ((*cache)["result"]["ips"][0]["address"], c->ip + "/24");
  EXPECT_EQ((*cache)["result"]["interfaces"][0]["name"], bridge_);
  EXPECT_EQ((*cache)["result"]["interfaces"][2]["mac"], c->mac);

  // The node holds the bridge with one port (the host end of eth0), the gateway address, and
  // the rules of our portmap (nft table ip cni_hostport: the reference would write iptables
  // CNI-DN-* chains) and of our firewall (iptables-nft compatible CNI-FORWARD rules).
  const auto ports = nodeLinks("master " + bridge_);
  ASSERT_EQ(ports.size(), 1u) << joinLines(nodeLinks());
  EXPECT_EQ((*cache)["result"]["interfaces"][1]["name"], ports[0]);
  EXPECT_NE(inNode("ip -o -4 addr show dev " + bridge_).out.find(gateway() + "/24"),
            std::string::npos);
  auto nft = inNode("nft list table ip cni_hostport");
  EXPECT_EQ(nft.status, 0) << nft.err;
  EXPECT_NE(nft.out.find("tcp dport 8080 dnat to " + c->ip + ":80"), std::string::npos) << nft.out;
  auto fw = inNode("iptables-nft -S CNI-FORWARD");
  EXPECT_EQ(fw.status, 0) << fw.err;
  EXPECT_EQ(fw.err, "") << "iptables-nft cannot read our firewall rules";
  const std::string established = "/32 -m conntrack --ctstate RELATED,ESTABLISHED";
  EXPECT_NE(fw.out.find("-A CNI-FORWARD -d " + c->ip + established), std::string::npos) << fw.out;
  EXPECT_NE(fw.out.find("-A CNI-FORWARD -s " + c->ip + "/32"), std::string::npos) << fw.out;
  EXPECT_EQ(firstRule(inNode("iptables-nft -S FORWARD").out, "FORWARD"),
            "-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD");
  // The leftover check below must be able to see this container's rules.
  EXPECT_GE(linesAboutPods(nodeRules(), c->id).size(), 5u) << nodeRules();
  // Nothing of this lives on the machine's own netns.
  EXPECT_EQ(linesAboutPods(testutil::run("nft list ruleset").out, c->id),
            std::vector<std::string>{});

  // --- the published port, reached from another namespace -------------------------------------
  auto page = fetchFromClient(8080, std::chrono::seconds(10));
  ASSERT_TRUE(page) << page.error().toString() << "\nnode rules:\n" << nodeRules();
  EXPECT_TRUE(page->starts_with("HTTP/1.")) << *page;
  EXPECT_NE(page->find("\r\n\r\n" + body_), std::string::npos) << *page;

  // The container reaches its own published port through the node's address (hairpin on the
  // bridge port: podman's conflist sets hairpinMode, and portmap masquerades the hairpin flow),
  // and another container on the network reaches it directly.
  auto hairpin = podman("exec " + name + " wget -q -O - http://" + kNodeAddr + ":8080/");
  EXPECT_EQ(hairpin.status, 0) << hairpin.err;
  EXPECT_EQ(hairpin.out, body_);
  auto peer = podman("run --rm --network " + net_ + " --rootfs " + rootfs() +
                     " /bin/wget -q -O - http://" + c->ip + "/");
  EXPECT_EQ(peer.status, 0) << peer.err;
  EXPECT_EQ(peer.out, body_);
  EXPECT_EQ(leases(), std::vector<std::string>{c->ip}) << "the peer's lease is left";

  // --- podman network reload (what users run after flushing the firewall): DEL then ADD on the
  // running container; it keeps its address and ends with one set of rules, not two.
  const auto rules_before = linesAboutPods(nodeRules(), c->id);
  auto reload = podman("network reload " + name);
  ASSERT_EQ(reload.status, 0) << reload.out << reload.err;
  auto c2 = inspect(name);
  ASSERT_TRUE(c2) << c2.error().toString();
  // Podman asks for the same address and MAC again (CNI_ARGS IP=..;MAC=..).
  EXPECT_EQ(c2->ip, c->ip);
  EXPECT_EQ(c2->mac, c->mac);
  EXPECT_NE(PodmanTest::inNetns(c->sandbox, "ip -o link show dev eth0").out.find(c->mac),
            std::string::npos);
  EXPECT_EQ(leases(), std::vector<std::string>{c->ip});
  const auto ports_after = nodeLinks("master " + bridge_);
  ASSERT_EQ(ports_after.size(), 1u);
  EXPECT_NE(ports_after[0], ports[0]) << "the veth was not re-created: no DEL+ADD happened";
  EXPECT_EQ(linesAboutPods(nodeRules(), c->id).size(), rules_before.size())
      << joinLines(linesAboutPods(nodeRules(), c->id));
  page = fetchFromClient(8080, std::chrono::seconds(10));
  ASSERT_TRUE(page) << page.error().toString();
  EXPECT_NE(page->find(body_), std::string::npos) << *page;

  // --- podman rm -f: every trace goes, the container netns too --------------------------------
  t0 = std::chrono::steady_clock::now();
  auto rm = podman("rm -f -t 0 " + name);
  std::printf("[podman] rm -f (our plugins): %.0f ms\n", elapsedMs(t0));
  ASSERT_EQ(rm.status, 0) << rm.out << rm.err;
  expectClean({c->id});
  EXPECT_FALSE(fs::exists(c->sandbox)) << "container netns left: " << c->sandbox;

  // --- podman network rm: the conflist goes -------------------------------------------------
  auto nrm = podman("network rm " + net_);
  EXPECT_EQ(nrm.status, 0) << nrm.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "net.d" / (net_ + ".conflist")));
}

// Short-lived containers (run --rm: podman itself or conmon's `container cleanup` tears the
// network down) one after the other on the same network, with a published port: each gets an
// address and releases it. Logs the start latency with our plugins.
TEST_F(PodmanE2e, RunRmReleasesEverythingEachTime) {
  Json conflist;
  ASSERT_NO_FATAL_FAILURE(createNetwork(&conflist));
  for (int i = 0; i < 3; ++i) {
    // The container prints its own eth0 address: the run must have had one from our plugins.
    auto r = podman("run --rm --network " + net_ + " -p 8081:80 --rootfs " + rootfs() +
                    " /bin/sh -c 'ip -o -4 addr show dev eth0'");
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("inet " + subnet_prefix_ + "."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/24"), std::string::npos) << r.out;
    // The teardown may be conmon's `container cleanup`, which can end after `run` returned.
    EXPECT_TRUE(testutil::waitUntil([&] { return leases().empty(); }, std::chrono::seconds(10)))
        << "run " << i << " left its lease";
    EXPECT_TRUE(testutil::waitUntil([&] { return nodeLinks("master " + bridge_).empty(); },
                                    std::chrono::seconds(10)))
        << "run " << i << " left a port on " << bridge_;
  }
  // What a container start costs with our plugins, against no network at all (the reference
  // plugins' numbers: bench/podman.sh).
  std::vector<double> with_cni, without_cni;
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r =
        podman("run --rm --network " + net_ + " -p 8081:80 --rootfs " + rootfs() + " /bin/true");
    with_cni.push_back(elapsedMs(t0));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    t0 = std::chrono::steady_clock::now();
    r = podman("run --rm --network none --rootfs " + rootfs() + " /bin/true");
    without_cni.push_back(elapsedMs(t0));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }
  std::sort(with_cni.begin(), with_cni.end());
  std::sort(without_cni.begin(), without_cni.end());
  std::printf(
      "[podman] run --rm ... /bin/true, median of 3: %.0f ms with -p on our plugins, %.0f ms "
      "with --network none\n",
      with_cni[1], without_cni[1]);
  expectClean({});
}

}  // namespace cni::e2e
