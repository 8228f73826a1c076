// bench/pods/util.cc — see util.h.
#include "bench/pods/util.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "src/netlink/link.h"
#include "src/netlink/socket.h"

namespace cni::bench {
namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop = true; }

}  // namespace

void installStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool stopRequested() { return g_stop.load(); }

NamespaceSet::~NamespaceSet() {
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
    (void)netns::NetNs::removeNamed(*it);
  }
}

std::optional<netns::NetNs> NamespaceSet::create(const std::string& name) {
  auto ns = netns::NetNs::createNamed(name);
  if (!ns) {
    std::fprintf(stderr, "netns %s: %s\n", name.c_str(), ns.error().toString().c_str());
    return std::nullopt;
  }
  names_.push_back(name);
  return std::move(*ns);
}

bool bringLoUp(const netns::NetNs& ns) {
  auto r = ns.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(auto sock, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(auto lo, netlink::getLinkByName(sock, "lo"));
    return netlink::setLinkUp(sock, lo.index);
  });
  if (!r) std::fprintf(stderr, "lo up: %s\n", r.error().toString().c_str());
  return r.has_value();
}

bool readFloor(const std::string& path, Samples& add, Samples& del) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read floor samples %s\n", path.c_str());
    return false;
  }
  std::string op;
  long index = 0;
  double ns = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    if (!(ls >> op >> index >> ns)) continue;
    if (op == "ADD") add.add(ns / 1e6);
    if (op == "DEL") del.add(ns / 1e6);
  }
  return !add.empty() && !del.empty();
}

}  // namespace cni::bench
