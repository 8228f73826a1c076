// tests/unit/doctor/broken_node.cc — see broken_node.h.
#include "tests/unit/doctor/broken_node.h"

#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "src/libcni/cache.h"
#include "tests/testutil/build_info.h"

namespace cni::doctortest {

namespace fs = std::filesystem;

std::string bridgeConflist(std::string_view name, std::string_view bridge,
                           std::string_view subnet) {
  return R"({
  "cniVersion": "1.0.0",
  "name": ")" +
         std::string(name) +
         R"(",
  "plugins": [
    {
      "type": "bridge",
      "bridge": ")" +
         std::string(bridge) +
         R"(",
      "isGateway": true,
      "ipMasq": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": ")" +
         std::string(subnet) +
         R"("}]]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
)";
}

std::string ourPluginBinary() { return std::string(CNIKIT_BINARY_DIR) + "/cni-bin/bridge"; }

BrokenNode::BrokenNode() {
  for (auto d : {"net.d", "bin", "cache", "networks"}) fs::create_directories(dir_.path() / d);
}

namespace {
void backdate(const std::string& path, int offset_s) {
  if (offset_s == 0) return;
  struct utimbuf t {};
  t.actime = t.modtime = std::time(nullptr) + offset_s;
  ::utime(path.c_str(), &t);
}
}  // namespace

std::string BrokenNode::conf(std::string_view name, std::string_view content,
                             int mtime_offset_s) const {
  auto p = dir_.write("net.d/" + std::string(name), content).string();
  backdate(p, mtime_offset_s);
  return p;
}

void BrokenNode::installOurPlugins(const std::vector<std::string>& names) const {
  for (const auto& n : names) {
    fs::copy_file(ourPluginBinary(), fs::path(binDir()) / n, fs::copy_options::overwrite_existing);
  }
}

std::string BrokenNode::script(std::string_view name, std::string_view body, int mode) const {
  return binFile(name, "#!/bin/sh\n" + std::string(body) + "\n", mode);
}

std::string BrokenNode::binFile(std::string_view name, std::string_view content, int mode) const {
  auto p = dir_.write("bin/" + std::string(name), content, mode).string();
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
  return p;
}

std::string BrokenNode::cacheEntry(std::string_view network, std::string_view cid,
                                   std::string_view ifname, std::string_view netns,
                                   std::string_view config_text, std::string_view result_json,
                                   std::string_view capability_args_json) const {
  libcni::CacheEntry e;
  e.container_id = cid;
  e.ifname = ifname;
  e.network_name = network;
  e.netns = netns;
  e.config = config_text;
  e.result = Json::parse(result_json);
  if (!capability_args_json.empty()) e.capability_args = Json::parse(capability_args_json);
  libcni::ResultCache cache(cacheDir());
  auto s = cache.write(e);
  EXPECT_TRUE(s) << (s ? "" : s.error().toString());
  return *cache.pathFor(network, cid, ifname);
}

std::string BrokenNode::cacheFile(std::string_view name, std::string_view content) const {
  auto p = dir_.write("cache/results/" + std::string(name), content, 0600).string();
  backdate(p, -3600);
  return p;
}

std::string BrokenNode::lease(std::string_view network, std::string_view ip, std::string_view cid,
                              std::string_view ifname, int age_s) const {
  auto p = dir_.write("networks/" + std::string(network) + "/" + std::string(ip),
                      std::string(cid) + "\r\n" + std::string(ifname))
               .string();
  backdate(p, -age_s);
  return p;
}

doctor::Options BrokenNode::options() const {
  doctor::Options o;
  o.conf_dir = confDir();
  o.bin_dirs = {binDir()};
  o.cache_dir = cacheDir();
  o.data_dir = dataDir();
  o.runtime_checks = false;
  o.kernel_checks = false;
  // Probes run the real plugin binary, which starts several times slower in the sanitizer tree.
  o.probe_timeout = std::chrono::milliseconds(testutil::kSanitizerBuild ? 10000 : 2000);
  return o;
}

doctor::Report BrokenNode::diagnose(const doctor::Options& o) {
  return doctor::diagnose(doctor::gather(o));
}

std::vector<doctor::Finding> findingsOf(const doctor::Report& r, std::string_view check) {
  std::vector<doctor::Finding> out;
  for (auto& f : r.findings()) {
    if (f.check == check) out.push_back(f);
  }
  return out;
}

std::string describe(const doctor::Report& r) {
  std::string s;
  for (const auto& f : r.findings()) {
    s += std::string(doctor::severityName(f.severity)) + " " + f.check + " " + f.subject + ": " +
         f.message + "\n";
  }
  return s.empty() ? "(no findings)\n" : s;
}

}  // namespace cni::doctortest
