// src/doctor/doctor.h — `cnikit doctor`: everything an operator checks by hand when pods on a
// node hang in ContainerCreating ("network plugin is not ready"), and the deeper checks nobody
// does by hand. Each family of checks lives in its own file and reports into one Report; the
// families run in parallel (plugin probes also in parallel among themselves), so a healthy node
// takes well under a second plus the slowest probe.
//
//   check_conf.cc     the config dir under both runtime policies: ignored/invalid files with
//                     line:column, active config, policy disagreement, shadowing, duplicates
//   check_plugins.cc  plugin binaries (ELF read, never run) and VERSION/STATUS probes
//   check_state.cc    result cache, host-local reservations (leaks, fullness)
//   check_kernel.cc   bridges, ip_forward, masquerade and portmap rules of live/dead attachments
//   check_runtime.cc  kubelet/containerd journal lines about CNI, the CNI DaemonSet pod
#pragma once

#include <string>

#include "src/doctor/context.h"
#include "src/doctor/report.h"

namespace cni::doctor {

void checkConfig(const Context& c, Report& r);
void checkPlugins(const Context& c, Report& r);
void checkState(const Context& c, Report& r);
void checkKernel(const Context& c, Report& r);
void checkRuntime(const Context& c, Report& r);

// Gathers the context and runs every check family.
Report diagnose(const Context& c);

// What was inspected, for the report header and the JSON "node" object.
Json nodeJson(const Context& c);

// The human report: findings grouped by severity, sources, repairs, a one-line verdict.
// ANSI colour only when `colour` (the CLI passes isatty(stdout) && !NO_COLOR).
std::string renderText(const Report& r, const Context& c, bool colour, bool fix_requested);

}  // namespace cni::doctor
