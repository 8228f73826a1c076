// src/invoke/args.h — the CNI_* environment a runtime hands to a plugin (Go invoke.Args.AsEnv).
//
// SPEC §"Parameters": the runtime passes the request in six environment variables; everything
// else of the runtime's environment is inherited (Go libcni does exactly that, so plugins may
// rely on e.g. PATH or proxy variables being present).
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

namespace cni::invoke {

struct Args {
  std::string command;       // CNI_COMMAND: ADD, DEL, CHECK, GC, STATUS, VERSION
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS
  std::string ifname;        // CNI_IFNAME
  std::string plugin_args;   // CNI_ARGS, already joined "K1=V1;K2=V2"
  std::string path;          // CNI_PATH, ':'-joined directories
};

// The plugin's environment: every entry of `base_env` (NULL-terminated, like environ), then all
// six CNI_* variables (set even when empty, so a stale CNI_* of the runtime never leaks through),
// de-duplicated by name with the last value winning. Order: first appearance of each name.
// Entries without '=' are kept unchanged (Go's dedupEnv does the same).
std::vector<std::string> buildEnv(const Args& args, char** base_env = environ);

// Args of the VERSION probe (Go invoke.GetVersionInfo): CNI_COMMAND=VERSION and the dummy
// CNI_NETNS/CNI_IFNAME/CNI_PATH that plugins built on old skel versions insist on.
Args versionArgs();

// Args of GC and STATUS (spec 1.1): only CNI_COMMAND and CNI_PATH carry values; the
// attachment-scoped variables are empty.
Args gcStatusArgs(std::string command, std::string cni_path);

}  // namespace cni::invoke
