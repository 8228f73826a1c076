// src/skel/skel.h — the plugin side of the CNI execution protocol (Go's pkg/skel).
//
// A plugin is a PluginSpec: a name, the spec versions it supports and one function per verb.
// pluginMain() does everything around them exactly as Go's skel (cni v1.3) does, so a cnikit
// plugin is indistinguishable from a Go one on the wire (SPEC "Execution Protocol"):
//   1. environment: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH,
//      CNI_NETNS_OVERRIDE, read in that order; the ones a verb requires and that are empty are
//      reported together, code 4 "required env variables [A,B] missing"; a present container ID
//      or interface name is validated as soon as it is read (codes 3/4, src/spec/validate.h).
//      No CNI_COMMAND at all prints the "about" text on stderr and exits 0.
//   2. stdin is read to EOF (never for VERSION); for every verb but VERSION the config must be a
//      JSON object with a valid "name" (codes 6/7).
//   3. per verb: the config's cniVersion must be one of `versions` (code 1 "incompatible CNI
//      versions"); CHECK needs >= 0.4.0, GC and STATUS >= 1.1.0 (code 1); ADD and DEL refuse a
//      CNI_NETNS that is the plugin's own namespace (code 8) unless CNI_NETNS_OVERRIDE is
//      "1"/"true". A verb whose function is null succeeds silently (GC/STATUS in most plugins).
//   4. errors: {"code","msg","details"} on stdout (4-space indented, no newline), exit 1. Errors
//      from plugin functions are printed with their own code (library code uses kInternal = 999
//      for untyped failures, as Go does); an exception escaping a plugin is code 999.
// Deliberate difference from Go: the own-netns check runs *before* ADD/DEL instead of after,
// so a misdirected ADD never touches the host namespace (Go configures it, prints a result and
// then prints the error too, which no runtime can parse).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni::skel {

struct CmdArgs {
  std::string container_id;     // CNI_CONTAINERID
  std::string netns;            // CNI_NETNS
  std::string ifname;           // CNI_IFNAME
  std::string args;             // CNI_ARGS ("K1=V1;K2=V2")
  std::string path;             // CNI_PATH
  bool netns_override = false;  // CNI_NETNS_OVERRIDE is "1" or "true" (any case)
  std::string stdin_data;       // the request config, as received
};

// ADD returns the text to print on stdout (the result JSON, formatted by the plugin: see
// encodeResult in src/spec/result.h). The other verbs print nothing on success.
using AddFn = Expected<std::string> (*)(const CmdArgs&);
using CmdFn = Status (*)(const CmdArgs&);

// Plain data (function pointers, views): a `constinit` PluginSpec costs nothing at start-up,
// which matters for a multi-call binary exec'd once per ADD/DEL.
struct PluginSpec {
  std::string_view name;                       // "loopback"
  std::span<const std::string_view> versions;  // supported spec versions, ascending
  AddFn add = nullptr;
  CmdFn del = nullptr;
  CmdFn check = nullptr;
  CmdFn gc = nullptr;
  CmdFn status = nullptr;
  std::string_view about = {};  // first "about" line; default "CNI <name> plugin v<version>"
};

// Process seam (Go's skel dispatcher): tests run the whole protocol in-process through it.
struct Io {
  // Environment lookup; nullptr (or "") = unset. Required.
  std::function<const char*(const char*)> getenv;
  // Reads all of stdin. Called at most once, and only after the environment checks passed and
  // never for VERSION (stdin may be a terminal). When empty, `stdin_data` is the input.
  std::function<Expected<std::string>()> read_stdin;
  std::string stdin_data;
  std::string out;  // what the plugin writes to stdout
  std::string err;  // ... and to stderr
  // The caller already made ADD/DEL's own-namespace check (Go's ns.CheckNetNS) for these same
  // CNI_NETNS / CNI_NETNS_OVERRIDE values: an in-process IPAM delegation from a plugin's ADD or
  // DEL, whose own pluginMain ran it. Skipping the repeat saves two namespace opens and stats.
  bool netns_checked = false;
};

// Runs the protocol; returns the process exit code (0 or 1).
int pluginMain(const PluginSpec& spec, Io& io);

// pluginMain() on the real process: getenv, fd 0 read to EOF, io.out/io.err written to fds 1/2
// afterwards.
int pluginMainProcess(const PluginSpec& spec);

// "CNI <name> plugin v<version>" unless spec.about is set.
std::string aboutText(const PluginSpec& spec);

}  // namespace cni::skel
