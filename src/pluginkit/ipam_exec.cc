// src/pluginkit/ipam_exec.cc — IPAM delegation (Go invoke.DelegateAdd/Del/Check/Status/GC).
//
// One delegation = find `type` on the caller's CNI_PATH, build the delegate's environment, run
// it, map the outcome. "Run it" is either a real exec (RawExec, Go's exact error mapping) or,
// when the binary found is our own multi-call executable, skel::pluginMain in this process with
// the same environment and stdin. Both paths funnel their outcome through the same decoding
// (stdout -> result, failure -> invoke::pluginFailure), so a caller cannot tell them apart.
#include "src/pluginkit/ipam_exec.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "src/invoke/args.h"
#include "src/invoke/find.h"
#include "src/invoke/go_format.h"
#include "src/invoke/raw_exec.h"
#include "src/spec/json.h"

namespace cni::pluginkit {
namespace {

std::atomic<PluginFinder> g_finder{nullptr};
std::string g_test_self;  // setSelfExecutableForTesting

constexpr std::string_view kOverrideVar = "CNI_NETNS_OVERRIDE";

// The delegate's environment: ours, CNI_COMMAND = the verb, and the attachment variables from
// `args` (an exec'd plugin's CmdArgs equal its environment, so this only matters in-process).
std::vector<std::string> delegateEnv(std::string_view verb, const skel::CmdArgs& args) {
  invoke::Args a;
  a.command = std::string(verb);
  a.container_id = args.container_id;
  a.netns = args.netns;
  a.ifname = args.ifname;
  a.plugin_args = args.args;
  a.path = args.path;
  std::vector<std::string> env = invoke::buildEnv(a, environ);
  // CNI_NETNS_OVERRIDE follows CmdArgs too, so the delegate's own-netns check agrees with ours.
  const std::string prefix = std::string(kOverrideVar) + "=";
  std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
  if (args.netns_override) env.push_back(prefix + "1");
  return env;
}

bool sameFile(const struct stat& a, const char* path) {
  struct stat b;
  return ::stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Whether `plugin_path` is the running executable (or the file a test declared to be).
bool isSelf(const std::string& plugin_path) {
  struct stat st;
  if (::stat(plugin_path.c_str(), &st) != 0) return false;
  if (sameFile(st, "/proc/self/exe")) return true;
  return !g_test_self.empty() && sameFile(st, g_test_self.c_str());
}

void writeStderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // informational only, as in RawExec
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// skel::pluginMain on `spec` with `env` and `stdin_data`, reported like RawExec::execPlugin.
Expected<std::string> runInProcess(const skel::PluginSpec& spec,
                                   const std::vector<std::string>& env,
                                   std::string_view stdin_data) {
  skel::Io io;
  io.getenv = [&env](const char* name) -> const char* {
    const std::string_view key(name);
    // Last entry wins, as in the exec'd environment (buildEnv already de-duplicated it).
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
      if (it->size() > key.size() && it->compare(0, key.size(), key) == 0 &&
          (*it)[key.size()] == '=') {
        return it->c_str() + key.size() + 1;
      }
    }
    return nullptr;
  };
  io.stdin_data = std::string(stdin_data);
  // Delegations run inside the caller's ADD/DEL (or CHECK/GC/STATUS, which have no such check),
  // whose pluginMain already checked CNI_NETNS against our namespace with these values.
  io.netns_checked = true;
  const int rc = skel::pluginMain(spec, io);
  if (rc != 0) {
    // What the process would have reported: `exit status N` with its stdout and stderr.
    return std::unexpected(
        invoke::pluginFailure(invoke::goWaitStatus(W_EXITCODE(rc, 0)), io.out, io.err));
  }
  if (!io.err.empty()) writeStderr(io.err);
  return std::move(io.out);
}

Expected<std::string> delegate(std::string_view type, std::string_view verb,
                               const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(std::string path, invoke::findInPath(type, invoke::splitPath(args.path)));
  std::vector<std::string> env = delegateEnv(verb, args);
  if (PluginFinder finder = g_finder.load(std::memory_order_acquire); finder && isSelf(path)) {
    if (const skel::PluginSpec* spec = finder(type)) {
      return runInProcess(*spec, env, args.stdin_data);
    }
  }
  invoke::RawExec exec;
  return exec.execPlugin(path, args.stdin_data, env);
}

// Go fixupResultVersion + create.Create: a result without cniVersion is in the config's version.
Expected<spec::Result> decodeResult(const std::string& out, std::string_view netconf) {
  CNI_ASSIGN_OR_RETURN(std::string conf_version, spec::decodeResultVersion(netconf));
  CNI_ASSIGN_OR_RETURN(Json raw, spec::parseJson(out, "plugin result"));
  if (raw.is_null()) raw = Json::object();
  if (!raw.is_object()) {
    return fail(ErrorCode::kDecodingFailure, "failed to unmarshal raw result: not an object");
  }
  if (auto it = raw.find("cniVersion");
      it != raw.end() && it->is_string() && !it->get<std::string>().empty()) {
    return spec::parseResultAs(out, it->get<std::string>());
  }
  raw["cniVersion"] = conf_version;
  return spec::parseResultAs(spec::goMarshal(raw), conf_version);
}

Status noResult(std::string_view type, std::string_view verb, const skel::CmdArgs& args) {
  CNI_TRY(delegate(type, verb, args));
  return {};
}

}  // namespace

void setInProcessFinder(PluginFinder finder) { g_finder.store(finder, std::memory_order_release); }

void setSelfExecutableForTesting(std::string_view path) { g_test_self = std::string(path); }

Expected<spec::Result> ipamAdd(std::string_view type, const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(std::string out, delegate(type, "ADD", args));
  CNI_ASSIGN_OR_RETURN(spec::Result r, decodeResult(out, args.stdin_data));
  return spec::convertResult(r, spec::kCurrentVersion);
}

Status ipamDel(std::string_view type, const skel::CmdArgs& args) {
  return noResult(type, "DEL", args);
}

Status ipamCheck(std::string_view type, const skel::CmdArgs& args) {
  return noResult(type, "CHECK", args);
}

Status ipamStatus(std::string_view type, const skel::CmdArgs& args) {
  return noResult(type, "STATUS", args);
}

Status ipamGc(std::string_view type, const skel::CmdArgs& args) {
  return noResult(type, "GC", args);
}

}  // namespace cni::pluginkit
