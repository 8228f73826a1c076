// tools/cnikit/cmd_info.cc — `cnikit ls` (config discovery account) and `cnikit version`.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "src/conf/discover.h"
#include "src/invoke/find.h"
#include "src/spec/json.h"
#include "tools/cnikit/cli.h"

namespace cni::tools {

int cmdLs(const GlobalOptions& g, const std::string& policy, bool json, bool check_plugins) {
  conf::Policy p = conf::Policy::kLenient;
  if (policy == "strict") {
    p = conf::Policy::kStrict;
  } else if (policy != "lenient") {
    std::fprintf(stderr, "cnikit ls: --policy must be strict or lenient\n");
    return kExitUsage;
  }
  conf::DiscoverOptions opts;
  if (check_plugins) opts.cni_path = invoke::splitPath(g.cni_path);
  auto d = conf::scan(g.conf_dir, p, opts);
  if (json) {
    std::printf("%s\n", spec::goMarshal(d.toJson(), 4).c_str());
  } else {
    std::printf("Configuration directory %s (%s policy)\n", g.conf_dir.c_str(), policy.c_str());
    if (d.files.empty()) std::printf("  (no files)\n");
    for (const auto& f : d.files) {
      std::string name = std::filesystem::path(f.path).filename().string();
      std::printf("  %-8.*s %-32s", static_cast<int>(conf::stateName(f.state).size()),
                  conf::stateName(f.state).data(), name.c_str());
      if (!f.network_name.empty()) std::printf(" network=%s", f.network_name.c_str());
      if (!f.reason.empty()) std::printf("  -- %s", f.reason.c_str());
      std::printf("\n");
      for (const auto& w : f.warnings) std::printf("           warning: %s\n", w.c_str());
    }
    if (d.active) {
      std::printf("Active network: %s (cniVersion %s, plugins:", d.active->name.c_str(),
                  d.active->cni_version.c_str());
      for (const auto& pl : d.active->plugins) std::printf(" %s", pl.type.c_str());
      std::printf(")\n");
    } else {
      std::printf(
          "No valid network configuration: a runtime would report "
          "\"network plugin is not ready: cni config uninitialized\".\n");
    }
  }
  if (d.error) return reportError(g, "ls", *d.error);
  return d.active ? kExitOk : kExitFailed;
}

int cmdVersion(const GlobalOptions& g, const std::string& net, bool json) {
  libcni::CniConfig cni(libcniOptions(g));
  std::vector<std::string> plugins;
  if (!net.empty()) {
    auto list = loadNetwork(g, net);
    if (!list) return reportError(g, "version", list.error());
    for (const auto& p : list->plugins) {
      if (std::find(plugins.begin(), plugins.end(), p.type) == plugins.end()) {
        plugins.push_back(p.type);
      }
    }
  } else {
    // Every regular executable file in CNI_PATH (first directory wins, as lookup does).
    std::set<std::string> seen;
    for (const auto& dir : invoke::splitPath(g.cni_path)) {
      DIR* d = ::opendir(dir.c_str());
      if (d == nullptr) continue;
      std::vector<std::string> names;
      while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        struct stat st {};
        std::string full = dir + "/" + n;
        if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
          continue;
        }
        if (seen.insert(n).second) plugins.push_back(n);
      }
    }
  }
  Json out = Json::array();
  int rc = kExitOk;
  if (!json) std::printf("cnikit %s (CNI spec up to 1.1.0)\n", CNIKIT_VERSION);
  for (const auto& p : plugins) {
    auto info = cni.getVersionInfo(p);
    if (!info) {
      if (json) {
        out.push_back({{"plugin", p}, {"error", info.error().toString()}});
      } else {
        std::printf("  %-14s error: %s\n", p.c_str(), info.error().toString().c_str());
      }
      rc = kExitFailed;
      continue;
    }
    if (json) {
      out.push_back({{"plugin", p},
                     {"cniVersion", info->cni_version},
                     {"supportedVersions", info->supported_versions}});
    } else {
      std::string vs;
      for (const auto& v : info->supported_versions) vs += (vs.empty() ? "" : " ") + v;
      std::printf("  %-14s %s\n", p.c_str(), vs.c_str());
    }
  }
  if (json) std::printf("%s\n", spec::goMarshal(out, 4).c_str());
  return rc;
}

}  // namespace cni::tools
