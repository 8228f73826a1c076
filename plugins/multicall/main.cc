// plugins/multicall/main.cc — `cni-plugins`: every cnikit plugin in one static executable.
//
// The plugin to run is the basename of argv[0] (build/cni-bin/<name> are hard links to this
// binary, so runtimes exec it under each plugin's name), or the first argument when invoked as
// `cni-plugins <name> ...`. Anything else prints the usage and exits 2. `dhcp daemon [flags]`
// (either form) runs the dhcp IPAM plugin's long-lived daemon instead of a CNI verb, as the
// reference's `dhcp daemon` does.
#include <cstdio>
#include <string_view>
#include <vector>

#include "plugins/multicall/registry.h"
#include "src/dhcp/daemon.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/skel/skel.h"

namespace {

std::string_view baseName(const char* path) {
  std::string_view p = path ? path : "";
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

int usage() {
  std::fputs(
      "usage: cni-plugins <plugin>   (or run it through a link named after the plugin)\n"
      "The plugin then speaks the CNI protocol: CNI_COMMAND etc. in the environment, the\n"
      "network configuration on stdin.\n\nplugins:\n",
      stderr);
  for (const auto& p : cni::plugins::registry()) {
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(p.name.size()), p.name.data());
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Main plugins call host-local/static in-process when CNI_PATH resolves them to this binary.
  cni::pluginkit::setInProcessFinder(&cni::plugins::findPlugin);
  const bool as_dhcp = baseName(argc > 0 ? argv[0] : nullptr) == "dhcp";
  const int verb = as_dhcp ? 1 : 2;
  if ((as_dhcp || (argc > 1 && std::string_view(argv[1]) == "dhcp")) && argc > verb &&
      std::string_view(argv[verb]) == "daemon") {
    std::vector<std::string_view> flags(argv + verb + 1, argv + argc);
    return cni::dhcp::daemonMain(flags);
  }
  if (const auto* spec = cni::plugins::findPlugin(baseName(argc > 0 ? argv[0] : nullptr))) {
    return cni::skel::pluginMainProcess(*spec);
  }
  if (argc > 1) {
    if (const auto* spec = cni::plugins::findPlugin(argv[1])) {
      return cni::skel::pluginMainProcess(*spec);
    }
  }
  return usage();
}
