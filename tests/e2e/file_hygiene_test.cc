// tests/e2e/file_hygiene_test.cc — issue #7 item 6: state files and directories have the
// reference's modes, nothing is world-writable, names derived from input are validated before
// they touch a path, and no state file planted as a symlink is ever written through.
//
// Modes: the same ADD (a chain that writes every kind of state we keep on disk: host-local's
// leases, last_reserved_ip.N, lock and our .cnikit-index; portmap and bandwidth, which keep no
// files; tuning's backup; the result cache `results/`) runs through the `cnikit` CLI with umask 0,
// so every mode comes from the code and not from the umask, once with our plugins and once with
// the Go reference plugins (CNI_PATH=/usr/lib/cni) in a second world. The state directories do
// not exist beforehand: whoever creates them picks their mode. The cache is written by the
// runtime, and there is no Go runtime on the machine, so its expected modes are Go libcni's
// (os.MkdirAll(dir, 0700), os.WriteFile(file, 0600): cni-reference-behaviour §4.3).
// firewall is left out of the chain: its lock is the fixed host path /run/cni/firewall.lock
// (created 0600 in a 0755 /run/cni, firewall_iptables.cc), which a test must not write.
//
// Where we differ from the reference, on purpose (kDeliberate / kOursOnly below):
//   tuning dataDir    0700, the reference 0600 — Go's os.MkdirAll(dir, 0600) makes a directory
//                     nobody can enter without CAP_DAC_OVERRIDE; 0700 gives group/other no more.
//   .cnikit-index/    0755 dir, `stamp` 0644, one symlink per attachment: host-local's lookup
//                     index (docs/compatibility.md), readable like the leases beside it (0644,
//                     the reference's), writable by root only. Symlink modes mean nothing.
//
// Paths built from input (the audit of every open/mkdir/creat/rename/unlink/symlink in src/ and
// plugins/; dhcp's daemon paths are its own command line, not plugin input):
//   host-local  <dataDir>/<network>/{<ip>,lock,last_reserved_ip.N,.cnikit-index/<sha512>}: the
//               network name is checked by skel for every verb (bad_input_test rows "net: ...");
//               lease names are parsed IPs; index names are hashes.
//   tuning      <dataDir>/<cid>_<ifname>.json(.tmp): skel checks both for ADD/CHECK/DEL; GC only
//               lists the directory; sysctl paths are cleaned and must stay in /proc/sys/net.
//   libcni      <cache>/results/<net>-<cid>-<ifname>: Go checks the names on ADD only; DEL and
//               CHECK built the path from unchecked names (a `../` container ID reached a file
//               outside and DEL unlinks a cache entry it cannot parse). Fixed: the cache checks
//               the three names before building the path; row "cid: DEL through a planted dir"
//               in bad_input_test.cc.
//   sbr         locked CNI_NETNS with O_CREAT *before* checking it was a namespace: an ADD with a
//               bogus CNI_NETNS created that file. Fixed (namespace first); row "sbr: CNI_NETNS
//               a new file" in bad_input_test.cc.
//   firewall    fixed lock path. cnikit CLI: paths come from its own flags.
// Planted symlinks (fixed where they were followed): last_reserved_ip.N was opened without
// O_NOFOLLOW (the target was overwritten, as Go's os.WriteFile does), host-local's lock was
// created through a dangling symlink, tuning's backup temp file was truncated through one.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "src/netns/netns.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/reliability_util.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e {
namespace {

namespace fs = std::filesystem;
using testutil::run;
using testutil::shellQuote;

// A host namespace, a pod namespace and a state dir (only the temp root exists at the start).
class HygieneWorld {
 public:
  explicit HygieneWorld(const std::string& side) {
    const std::string tag = std::to_string(::getpid()) + "-" + side;
    host_ = "ckfh-h-" + tag;
    pod_ = "ckfh-p-" + tag;
  }
  ~HygieneWorld() {
    (void)netns::NetNs::removeNamed(pod_);
    (void)netns::NetNs::removeNamed(host_);
  }
  std::string create() {
    auto h = netns::NetNs::createNamed(host_);
    if (!h) return h.error().toString();
    auto p = netns::NetNs::createNamed(pod_);
    if (!p) return p.error().toString();
    return "";
  }
  const fs::path& root() const { return state_.path(); }
  std::string podPath() const { return netns::NetNs::namedPath(pod_); }

  // The bridge + host-local, portmap, bandwidth, tuning list of this world.
  void writeConflist() const {
    const std::string d = root().string();
    state_.write(
        "net.d/10-fh.conflist",
        R"({"cniVersion":"1.0.0","name":"fhnet","plugins":[)"
        R"({"type":"bridge","bridge":"ckfh0","isGateway":true,"ipam":{"type":"host-local",)"
        R"("ranges":[[{"subnet":"10.97.0.0/24"}]],"dataDir":")" +
            d +
            R"(/data"}},)"
            R"({"type":"portmap","capabilities":{"portMappings":true}},)"
            R"({"type":"bandwidth","ingressRate":1000000,"ingressBurst":100000},)"
            R"({"type":"tuning","mtu":1400,"dataDir":")" +
            d + R"(/tuning"}]})");
  }

  // `cnikit <verb> fhnet <pod>` inside the host namespace with umask 0.
  testutil::CmdResult cli(const std::string& verb, const std::string& cni_path) const {
    const std::string env =
        "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NETCONFPATH=" +
        shellQuote((root() / "net.d").string()) + " CNI_PATH=" + shellQuote(cni_path) +
        " CAP_ARGS=" +
        shellQuote(R"({"portMappings":[{"hostPort":38081,"containerPort":80,"protocol":"tcp"}]})");
    const std::string cmd = env + " " + cnikitBin() + " --container-id ckfh-pod1 --cache-dir " +
                            shellQuote((root() / "cache").string()) + " " + verb + " fhnet " +
                            podPath();
    return run("ip netns exec " + host_ + " sh -c " + shellQuote("umask 000; exec " + cmd));
  }

  // A plugin of ours run directly inside the host namespace.
  testutil::CmdResult plugin(const std::string& name, const std::string& command,
                             const std::string& config) const {
    return run("ip netns exec " + host_ + " env -i CNI_COMMAND=" + command +
                   " CNI_CONTAINERID=ckfh-pod1 CNI_IFNAME=eth0 CNI_NETNS=" + podPath() +
                   " CNI_PATH=" + ourPluginDir() + " " + ourPluginDir() + "/" + name,
               {}, config);
  }

 private:
  std::string host_, pod_;
  testutil::TempDir state_;
};

// path (relative to root) -> "dir 0755" / "file 0600" / "symlink" (lstat, sorted).
std::map<std::string, std::string> modes(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    char m[8];
    std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    const std::string rel = fs::relative(it->path(), root).string();
    if (rel.starts_with("net.d")) continue;  // written by the test
    out[rel] = S_ISLNK(st.st_mode)   ? std::string("symlink")
               : S_ISDIR(st.st_mode) ? "dir " + std::string(m)
                                     : "file " + std::string(m);
  }
  return out;
}

bool worldWritable(const std::string& mode) {
  if (mode == "symlink") return false;
  return (std::stoi(mode.substr(mode.size() - 4), nullptr, 8) & 02) != 0;
}

class FileHygieneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    if (!fs::exists(ourPluginDir() + "/bridge") || !fs::exists(cnikitBin())) {
      GTEST_SKIP() << "build the cni-bin and cnikit-cli targets first";
    }
    if (!fs::exists(kReferenceDir + "/bridge")) GTEST_SKIP() << "reference plugins missing";
  }
};

TEST_F(FileHygieneTest, StateModesMatchTheReferenceAndNothingIsWorldWritable) {
  HygieneWorld ours("ours"), ref("ref");
  ASSERT_EQ(ours.create(), "");
  ASSERT_EQ(ref.create(), "");
  ours.writeConflist();
  ref.writeConflist();
  auto a = ours.cli("add", ourPluginDir());
  ASSERT_EQ(a.status, 0) << a.out << a.err;
  auto b = ref.cli("add", kReferenceDir);
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  auto mine = modes(ours.root()), theirs = modes(ref.root());
  EXPECT_EQ(ours.cli("del", ourPluginDir()).status, 0);
  EXPECT_EQ(ref.cli("del", kReferenceDir).status, 0);

  // The reference side's cache was written by our runtime: Go libcni's modes instead.
  for (auto& [path, mode] : theirs) {
    if (path == "cache" || path.starts_with("cache/")) {
      mode = mode.starts_with("dir") ? "dir 0700" : mode.starts_with("file") ? "file 0600" : mode;
    }
  }
  // Deliberate differences (see the top of the file): path -> {ours, reference}.
  const std::map<std::string, std::pair<std::string, std::string>> kDeliberate = {
      {"tuning", {"dir 0700", "dir 0600"}}};
  auto oursOnly = [](const std::string& path, const std::string& mode) {
    const std::string idx = "data/fhnet/.cnikit-index";
    if (path == idx) return mode == "dir 0755";
    if (path == idx + "/stamp") return mode == "file 0644";
    return path.starts_with(idx + "/") && mode == "symlink";
  };

  int equal = 0, deliberate = 0, extra = 0, world_writable = 0;
  std::string table;
  for (const auto& [path, mode] : mine) {
    table += "  " + path + ": ours " + mode + ", reference " +
             (theirs.contains(path) ? theirs[path] : std::string("-")) + "\n";
    if (worldWritable(mode)) {
      ++world_writable;
      ADD_FAILURE() << path << " is world-writable: " << mode;
    }
    if (!theirs.contains(path)) {
      ++extra;
      EXPECT_TRUE(oursOnly(path, mode))
          << "we create " << path << " (" << mode << "), the reference does not: justify it";
      continue;
    }
    if (mode == theirs[path]) {
      ++equal;
    } else if (kDeliberate.contains(path) &&
               kDeliberate.at(path) == std::make_pair(mode, theirs[path])) {
      ++deliberate;
    } else {
      ADD_FAILURE() << path << ": ours " << mode << ", the reference " << theirs[path];
    }
  }
  for (const auto& [path, mode] : theirs) {
    EXPECT_TRUE(mine.contains(path))
        << "the reference creates " << path << " (" << mode << "), we do not";
  }
  std::printf("state paths after one ADD:\n%s", table.c_str());
  EXPECT_GE(equal, 8) << "the chain wrote less state than expected";
  reliability::summary(
      "file-hygiene: " + std::to_string(mine.size()) +
      " state paths (umask 0): " + std::to_string(equal) + " with the reference's mode, " +
      std::to_string(deliberate) + " deliberate difference(s), " + std::to_string(extra) +
      " ours only (host-local index), " + std::to_string(world_writable) + " world-writable");
}

TEST_F(FileHygieneTest, PlantedSymlinksAreNeverWrittenThrough) {
  HygieneWorld w("planted");
  ASSERT_EQ(w.create(), "");
  w.writeConflist();
  const fs::path r = w.root();
  fs::create_directories(r / "outside");
  for (const char* c : {"a", "b", "c", "d"}) std::ofstream(r / "outside" / c) << "canary\n";
  fs::create_directories(r / "data/fhnet/.cnikit-index");
  fs::create_directories(r / "tuning");
  fs::create_directories(r / "cache/results");

  // 1. A lock file planted as a dangling symlink: refused, nothing created at its target.
  fs::create_symlink(r / "outside/newlock", r / "data/fhnet/lock");
  auto lock = w.plugin("host-local", "ADD",
                       R"({"cniVersion":"1.0.0","name":"fhnet","ipam":{"type":"host-local",)"
                       R"("ranges":[[{"subnet":"10.97.0.0/24"}]],"dataDir":")" +
                           (r / "data").string() + R"("}})");
  EXPECT_EQ(lock.status, 1) << lock.out;
  EXPECT_NE(lock.out.find("too many levels of symbolic links"), std::string::npos) << lock.out;
  const bool lock_ok = lock.status == 1 && !fs::exists(fs::symlink_status(r / "outside/newlock"));
  EXPECT_TRUE(lock_ok) << "the lock was created through the planted symlink";
  fs::remove(r / "data/fhnet/lock");

  // 2. Every other state file we write, planted as a symlink to a canary: ADD succeeds, every
  // canary is intact, every planted name is a regular file of ours (or gone).
  const std::vector<std::pair<std::string, std::string>> planted = {
      {"data/fhnet/last_reserved_ip.0", "outside/a"},
      {"data/fhnet/.cnikit-index/stamp", "outside/b"},
      {"tuning/ckfh-pod1_eth0.json.tmp", "outside/c"},
      {"cache/results/fhnet-ckfh-pod1-eth0", "outside/d"},
  };
  for (const auto& [link, target] : planted) fs::create_symlink(r / target, r / link);
  auto add = w.cli("add", ourPluginDir());
  EXPECT_EQ(add.status, 0) << add.out << add.err;
  int intact = 0;
  for (const auto& [link, target] : planted) {
    const std::string content = testutil::readFile(r / target);
    if (content == "canary\n") {
      ++intact;
    } else {
      ADD_FAILURE() << link << " was written through to " << target << ": " << content;
    }
    EXPECT_FALSE(fs::is_symlink(r / link)) << link << " is still the planted symlink";
  }
  EXPECT_EQ(w.cli("del", ourPluginDir()).status, 0);
  reliability::summary("file-hygiene: " + std::to_string(planted.size() + 1) +
                       " state files planted as symlinks, " +
                       std::to_string(intact + (lock_ok ? 1 : 0)) +
                       " never written through (the lock refused, the others replaced)");
}

}  // namespace
}  // namespace cni::e2e
