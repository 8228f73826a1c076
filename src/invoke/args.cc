// src/invoke/args.cc — building a plugin's environment (Go invoke.Args.AsEnv + dedupEnv).
#include "src/invoke/args.h"

#include <string_view>
#include <unordered_map>
#include <utility>

namespace cni::invoke {

std::vector<std::string> buildEnv(const Args& args, char** base_env) {
  std::vector<std::string> out;
  // name -> index in `out`, so a later duplicate replaces the value in place.
  std::unordered_map<std::string, size_t> index;
  auto add = [&](std::string entry) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      out.push_back(std::move(entry));
      return;
    }
    std::string name = entry.substr(0, eq);
    auto [it, inserted] = index.try_emplace(std::move(name), out.size());
    if (inserted) {
      out.push_back(std::move(entry));
    } else {
      out[it->second] = std::move(entry);
    }
  };
  if (base_env != nullptr) {
    for (char** e = base_env; *e != nullptr; ++e) add(*e);
  }
  add("CNI_COMMAND=" + args.command);
  add("CNI_CONTAINERID=" + args.container_id);
  add("CNI_NETNS=" + args.netns);
  add("CNI_ARGS=" + args.plugin_args);
  add("CNI_IFNAME=" + args.ifname);
  add("CNI_PATH=" + args.path);
  return out;
}

Args versionArgs() {
  Args a;
  a.command = "VERSION";
  a.netns = "dummy";
  a.ifname = "dummy";
  a.path = "dummy";
  return a;
}

Args gcStatusArgs(std::string command, std::string cni_path) {
  Args a;
  a.command = std::move(command);
  a.path = std::move(cni_path);
  return a;
}

}  // namespace cni::invoke
