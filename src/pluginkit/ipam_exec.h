// src/pluginkit/ipam_exec.h — an interface plugin delegating to its IPAM plugin (Go pkg/ipam).
//
// The reference main plugins run `ipam.type` from CNI_PATH with their own stdin and the
// environment, CNI_COMMAND set to the verb (Go invoke.DelegateAdd/Del/Check/Status/GC). We do
// the same, with two differences a user can only notice as speed:
//   * the environment passed on is built from the plugin's CmdArgs (CNI_CONTAINERID, CNI_NETNS,
//     CNI_IFNAME, CNI_ARGS, CNI_PATH) over the process environment, so in-process tests behave
//     exactly like exec'd plugins;
//   * when the IPAM binary found on CNI_PATH is this very executable (our multi-call binary:
//     same device and inode as /proc/self/exe), the plugin is called in-process through the
//     skel seam instead of fork+exec (≈0.7 ms saved per call). A different binary of the same
//     name (say the reference host-local) is always exec'd, so what runs is what CNI_PATH says.
// Errors are the delegate's own error object (code, msg, details), as Go returns them.
#pragma once

#include <string_view>

#include "src/common/error.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"

namespace cni::pluginkit {

// Looks up a plugin of the running executable by name (the multi-call registry). Set once at
// start-up by the multi-call main; unset = always exec.
using PluginFinder = const skel::PluginSpec* (*)(std::string_view name);
void setInProcessFinder(PluginFinder finder);

// ADD: the delegate's result converted to the current version (1.1.0 shape), as Go's
// current.NewResultFromResult does.
Expected<spec::Result> ipamAdd(std::string_view type, const skel::CmdArgs& args);
Status ipamDel(std::string_view type, const skel::CmdArgs& args);
Status ipamCheck(std::string_view type, const skel::CmdArgs& args);
Status ipamStatus(std::string_view type, const skel::CmdArgs& args);
Status ipamGc(std::string_view type, const skel::CmdArgs& args);

// ---- Testing only -------------------------------------------------------------------------
// A test binary is never the executable found on CNI_PATH, so the in-process path could not be
// reached from a test. This treats the file at `path` (same device and inode) as "this very
// executable" in addition to /proc/self/exe; "" clears it. Not synchronised: set it while no
// delegation is running.
void setSelfExecutableForTesting(std::string_view path);

}  // namespace cni::pluginkit
