// tools/cnikit/cmd_attach.cc — add / check / del / gc / status (cnitool's verbs).
#include <cstdio>

#include "src/spec/result.h"
#include "tools/cnikit/cli.h"

namespace cni::tools {
namespace {

// Loads the network and builds the runtime config, or reports why not.
struct Prepared {
  conf::NetworkConfigList list;
  libcni::RuntimeConf rt;
};

Expected<Prepared> prepare(const GlobalOptions& g, const std::string& net,
                           const std::string& netns) {
  Prepared p;
  CNI_ASSIGN_OR_RETURN(p.list, loadNetwork(g, net));
  CNI_ASSIGN_OR_RETURN(p.rt, runtimeConf(g, netns));
  return p;
}

}  // namespace

int cmdAdd(const GlobalOptions& g, const std::string& net, const std::string& netns) {
  auto p = prepare(g, net, netns);
  if (!p) return reportError(g, "add", p.error());
  libcni::CniConfig cni(libcniOptions(g));
  auto r = cni.addNetworkList(p->list, p->rt);
  if (!r) return reportError(g, "add", r.error());
  std::printf("%s\n", spec::encodeResult(*r).c_str());
  return kExitOk;
}

int cmdCheck(const GlobalOptions& g, const std::string& net, const std::string& netns) {
  auto p = prepare(g, net, netns);
  if (!p) return reportError(g, "check", p.error());
  libcni::CniConfig cni(libcniOptions(g));
  if (auto s = cni.checkNetworkList(p->list, p->rt); !s) return reportError(g, "check", s.error());
  return kExitOk;
}

int cmdDel(const GlobalOptions& g, const std::string& net, const std::string& netns,
           bool best_effort) {
  auto p = prepare(g, net, netns);
  if (!p) return reportError(g, "del", p.error());
  libcni::CniConfig cni(libcniOptions(g));
  if (auto s = cni.delNetworkList(p->list, p->rt, {.best_effort = best_effort}); !s) {
    return reportError(g, "del", s.error());
  }
  return kExitOk;
}

int cmdGc(const GlobalOptions& g, const std::string& net, const std::vector<std::string>& valid,
          bool have_valid) {
  auto list = loadNetwork(g, net);
  if (!list) return reportError(g, "gc", list.error());
  std::optional<std::vector<libcni::GcAttachment>> attachments;
  if (have_valid) {
    attachments.emplace();
    for (const auto& v : valid) {
      auto slash = v.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == v.size()) {
        return reportError(
            g, "gc",
            Error(ErrorCode::kInvalidEnvironmentVariables,
                  "invalid --valid attachment \"" + v + "\": expected CONTAINER_ID/IFNAME"));
      }
      attachments->push_back({v.substr(0, slash), v.substr(slash + 1)});
    }
  }
  libcni::CniConfig cni(libcniOptions(g));
  if (auto s = cni.gcNetworkList(*list, attachments); !s) return reportError(g, "gc", s.error());
  return kExitOk;
}

int cmdStatus(const GlobalOptions& g, const std::string& net) {
  auto list = loadNetwork(g, net);
  if (!list) return reportError(g, "status", list.error());
  libcni::CniConfig cni(libcniOptions(g));
  if (auto s = cni.getStatusNetworkList(*list); !s) return reportError(g, "status", s.error());
  return kExitOk;
}

}  // namespace cni::tools
