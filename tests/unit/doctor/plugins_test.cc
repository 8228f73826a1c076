// tests/unit/doctor/plugins_test.cc — plugin-binary scenarios: each broken plugin dir gets
// exactly the finding (check id, severity, subject, evidence) and exit code it should, and the
// VERSION/STATUS probes run in parallel and are killed at the timeout.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "src/doctor/elf.h"
#include "tests/testutil/build_info.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/doctor/broken_node.h"

namespace cni::doctortest {
namespace {

namespace fs = std::filesystem;
using doctor::Severity;
using Clock = std::chrono::steady_clock;

// Copies `from` to the plugin dir as `name` and overwrites `bytes` at `offset`.
std::string patchedCopy(const BrokenNode& n, const std::string& from, const std::string& name,
                        uint64_t offset, const std::string& bytes) {
  const std::string to = n.binDir() + "/" + name;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  ::chmod(to.c_str(), 0755);
  std::fstream f(to, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return to;
}

// A plugin that answers VERSION with `version_reply` and STATUS as `status_body` says.
std::string answeringScript(const BrokenNode& n, const std::string& name,
                            const std::string& version_reply, const std::string& status_body) {
  return n.script(name, "case \"$CNI_COMMAND\" in\n  VERSION) echo '" + version_reply +
                            "' ;;\n  STATUS) " + status_body + " ;;\n  *) exit 1 ;;\nesac");
}

const doctor::Source* sourceNamed(const std::vector<doctor::Source>& s, std::string_view name) {
  for (const auto& x : s) {
    if (x.name == name) return &x;
  }
  return nullptr;
}

struct Node : BrokenNode {
  std::string conf_path;
  Node() {
    conf_path = conf("10-podnet.conflist", bridgeConflist());
    installOurPlugins();
  }
};

TEST(DoctorPlugins, HealthyNodeHasNoFindingAndProbesEveryPlugin) {
  Node n;
  auto r = BrokenNode::diagnose(n.options());
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_EQ(r.exitCode(), 0);
  auto sources = r.sources();
  auto* bin = sourceNamed(sources, "plugin binaries");
  ASSERT_NE(bin, nullptr);
  EXPECT_TRUE(bin->ran);
  EXPECT_NE(bin->detail.find("3 plugins named by 1 networks, 3 found"), std::string::npos)
      << bin->detail;
  auto* probes = sourceNamed(sources, "plugin probes");
  ASSERT_NE(probes, nullptr);
  EXPECT_TRUE(probes->ran);
  EXPECT_NE(probes->detail.find("3 binaries asked VERSION, 0 networks asked STATUS"),
            std::string::npos)
      << probes->detail;
}

TEST(DoctorPlugins, HealthyStatusOnA110Network) {
  BrokenNode n;
  n.conf("10-podnet.conflist",
         R"({"cniVersion":"1.1.0","name":"lo","plugins":[{"type":"loopback"}]})");
  n.installOurPlugins();
  auto r = BrokenNode::diagnose(n.options());
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  auto sources = r.sources();
  auto* probes = sourceNamed(sources, "plugin probes");
  ASSERT_NE(probes, nullptr);
  EXPECT_NE(probes->detail.find("1 networks asked STATUS"), std::string::npos) << probes->detail;
}

TEST(DoctorPlugins, MissingPluginOfTheActiveNetworkIsAnError) {
  BrokenNode n;
  n.installOurPlugins();
  // "dummy" is ours, not installed here nor in any distro directory of this machine.
  auto conf = n.conf("10-podnet.conflist",
                     R"({"cniVersion":"1.0.0","name":"podnet","plugins":[{"type":"dummy"}]})");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "dummy");
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, n.binDir() + "/dummy");
  EXPECT_EQ(f[0].evidence[0].value, "no such file");
  EXPECT_EQ(f[0].evidence[1].path, conf);
  EXPECT_EQ(f[0].evidence[1].value, "network \"podnet\" names type \"dummy\"");
  EXPECT_NE(f[0].fix.find("containernetworking-plugins"), std::string::npos);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, MissingIpamPluginOfAnotherNetworkIsAWarning) {
  Node n;
  auto other = n.conf(
      "20-other.conflist",
      R"({"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge","ipam":{"type":"whereabouts"}}]})",
      -7200);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, "whereabouts");
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[1].path, other);
  EXPECT_EQ(f[0].evidence[1].value, "network \"other\" names ipam type \"whereabouts\"");
  EXPECT_EQ(r.exitCode(), 1);
}

TEST(DoctorPlugins, DirectoryAndDanglingSymlinkAreNotRegularFiles) {
  Node n;
  fs::remove(n.binDir() + "/portmap");
  fs::create_directory(n.binDir() + "/portmap");
  fs::remove(n.binDir() + "/bridge");
  fs::create_symlink("/nonexistent/bridge", n.binDir() + "/bridge");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.not-regular-file");
  ASSERT_EQ(f.size(), 2u) << describe(r);
  EXPECT_EQ(f[0].subject, "bridge");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].evidence[0].value, "dangling symlink to /nonexistent/bridge");
  EXPECT_EQ(f[1].subject, "portmap");
  EXPECT_EQ(f[1].evidence[0].value, "a directory, not a file");
  EXPECT_TRUE(findingsOf(r, "plugins.missing").empty());
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, NotExecutable) {
  Node n;
  const std::string p = n.binDir() + "/portmap";
  ::chmod(p.c_str(), 0644);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.not-executable");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "mode 0644");
  EXPECT_EQ(f[0].fix, "chmod 755 " + p);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, PluginDirMountedNoexec) {
  if (!testutil::isRoot()) GTEST_SKIP() << "mounting a tmpfs needs root";
  Node n;
  const std::string dir = n.root() + "/noexec-bin";
  fs::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOEXEC | MS_NOSUID | MS_NODEV, "size=64m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{dir};
  for (auto name : {"bridge", "host-local", "portmap"}) {
    fs::copy_file(ourPluginBinary(), dir + "/" + name);
  }
  auto o = n.options();
  o.bin_dirs = {dir};
  auto r = BrokenNode::diagnose(o);
  auto f = findingsOf(r, "plugins.noexec-mount");
  ASSERT_EQ(f.size(), 3u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, dir + "/bridge");
  EXPECT_EQ(f[0].evidence[0].value, "mounted noexec");
  EXPECT_EQ(r.findings().size(), 3u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, WrongArchitecture) {
  Node n;
  const auto host = doctor::elf::hostArch();
  const uint16_t other =
      host.machine == doctor::elf::kEmAarch64 ? doctor::elf::kEmX86_64 : doctor::elf::kEmAarch64;
  std::string em(2, '\0');
  em[host.little_endian ? 0 : 1] = static_cast<char>(other & 0xff);
  em[host.little_endian ? 1 : 0] = static_cast<char>(other >> 8);
  auto p = patchedCopy(n, ourPluginBinary(), "portmap", 18, em);  // e_machine
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.wrong-arch");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "ELF 64-bit " + doctor::elf::machineName(other) + ", node is " +
                                        doctor::elf::machineName(host.machine));
  EXPECT_NE(f[0].fix.find(doctor::elf::goArchName(host)), std::string::npos);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);  // not probed: no cascade
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, TextFileAndEmptyFileAreNotPrograms) {
  Node n;
  auto p = n.binFile("portmap", "hello world\n");
  auto e = n.binFile("bridge", "");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.not-executable-format");
  ASSERT_EQ(f.size(), 2u) << describe(r);
  EXPECT_EQ(f[0].subject, e);
  EXPECT_EQ(f[0].evidence[0].value, "empty file");
  EXPECT_EQ(f[1].subject, p);
  EXPECT_EQ(f[1].severity, Severity::kError);
  EXPECT_EQ(f[1].evidence[0].value, "starts with \"hello world\\n\"");
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, TruncatedBinary) {
  Node n;
  const std::string p = n.binDir() + "/portmap";
  const auto size = fs::file_size(p);
  fs::resize_file(p, size / 2);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.corrupt-elf");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].subject, p);
  EXPECT_EQ(f[0].severity, Severity::kError);
  // (The sanitizer tree's plugin is linked dynamically: its first casualty is PT_DYNAMIC.)
  const std::string expected = testutil::kSanitizerBuild
                                   ? "truncated ELF"
                                   : "the file is " + std::to_string(size / 2) + " bytes";
  EXPECT_EQ(f[0].evidence[0].value.rfind(expected, 0), 0u) << f[0].evidence[0].value;
}

TEST(DoctorPlugins, ScriptWithMissingInterpreter) {
  Node n;
  auto p = n.binFile("portmap", "#!/nonexistent/sh -e\necho hi\n");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing-interpreter");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "#!/nonexistent/sh -e");
  EXPECT_EQ(f[0].evidence[0].line, 1);
  EXPECT_NE(f[0].message.find("/nonexistent/sh"), std::string::npos);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, DynamicBinaryWithMissingLoader) {
  Node n;
  auto info = doctor::elf::parseFile("/bin/ls");
  ASSERT_TRUE(info && info->interpreter);
  std::string bogus = "/no/such/loader";
  bogus.resize(info->interpreter->value.size(), 'x');
  auto p = patchedCopy(n, "/bin/ls", "portmap", info->interpreter->offset, bogus);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing-interpreter");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "PT_INTERP " + bogus);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, DynamicBinaryWithMissingLibrary) {
  Node n;
  auto info = doctor::elf::parseFile("/bin/ls");
  ASSERT_TRUE(info);
  ASSERT_FALSE(info->needed.empty());
  const auto& lib = info->needed[0];
  std::string bogus = "lib" + std::string(lib.value.size() - 3, 'q');
  auto p = patchedCopy(n, "/bin/ls", "portmap", lib.offset, bogus);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing-library");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value.rfind("DT_NEEDED " + bogus + " not found; searched [", 0), 0u)
      << f[0].evidence[0].value;
  EXPECT_NE(f[0].evidence[0].value.find("/usr/lib"), std::string::npos);
  EXPECT_NE(f[0].message.find(bogus), std::string::npos);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, VersionProbeFailing) {
  Node n;
  auto p = n.script(
      "portmap",
      R"(echo '{"cniVersion":"1.0.0","code":7,"msg":"boom","details":"broken config"}'; exit 1)");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.version-failed");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "CNI error code 7: boom; broken config");
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, HangingPluginIsKilledAtTheTimeout) {
  Node n;
  // The other two answer at once: the real binaries (sanitized in build-san, slow to start on a
  // loaded machine) would race the short timeout too.
  const std::string kAll = R"({"cniVersion":"1.1.0","supportedVersions":)"
                           R"(["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})";
  for (auto name : {"bridge", "host-local"}) n.script(name, "echo '" + kAll + "'");
  auto p = n.script("portmap", "sleep 30");
  auto o = n.options();
  o.probe_timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  auto r = BrokenNode::diagnose(o);
  auto took = Clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2));
  auto f = findingsOf(r, "plugins.version-timeout");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].value, "no answer within 300ms");
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, HangingPluginsAreProbedInParallel) {
  Node n;
  for (auto name : {"bridge", "host-local", "portmap"}) n.script(name, "sleep 30");
  auto o = n.options();
  o.probe_timeout = std::chrono::milliseconds(1000);
  auto start = Clock::now();
  auto r = BrokenNode::diagnose(o);
  auto took = Clock::now() - start;
  // About one timeout, not three (3 s); the margin absorbs a loaded, sanitized run.
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_EQ(findingsOf(r, "plugins.version-timeout").size(), 3u) << describe(r);
}

TEST(DoctorPlugins, PluginNotSupportingTheConfigVersion) {
  Node n;
  auto p = n.script("portmap", R"(echo '{"cniVersion":"0.3.1","supportedVersions":["0.3.1"]}')");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.unsupported-version");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, p);
  EXPECT_EQ(f[0].message,
            R"(incompatible CNI versions; config is "1.0.0", plugin supports ["0.3.1"])");
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].path, n.conf_path);
  EXPECT_EQ(f[0].evidence[0].value,
            R"(network "podnet": cniVersion "1.0.0", plugin supports ["0.3.1"])");
  EXPECT_NE(f[0].fix.find("change \"cniVersion\" in " + n.conf_path), std::string::npos);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, NetworkStatusNotAvailable) {
  BrokenNode n;
  auto conf = n.conf("10-statnet.conflist",
                     R"({"cniVersion":"1.1.0","name":"statnet","plugins":[{"type":"agent"}]})");
  answeringScript(
      n, "agent", R"({"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]})",
      R"(echo '{"cniVersion":"1.1.0","code":50,"msg":"not ready","details":"agent down"}'; exit 1)");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.status");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "statnet");
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].path, conf);
  EXPECT_EQ(f[0].evidence[0].value, "code 50: not ready; details: agent down");
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, LimitedConnectivityIsAWarning) {
  BrokenNode n;
  n.conf("10-statnet.conflist",
         R"({"cniVersion":"1.1.0","name":"statnet","plugins":[{"type":"agent"}]})");
  answeringScript(n, "agent", R"({"cniVersion":"1.1.0","supportedVersions":["1.1.0"]})",
                  R"(echo '{"cniVersion":"1.1.0","code":51,"msg":"degraded"}'; exit 1)");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.status");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].evidence[0].value, "code 51: degraded");
  EXPECT_EQ(r.exitCode(), 1);
}

TEST(DoctorPlugins, StatusIsNotAskedWhenVersionAlreadyFails) {
  BrokenNode n;
  n.conf("10-statnet.conflist",
         R"({"cniVersion":"1.1.0","name":"statnet","plugins":[{"type":"agent"}]})");
  // Supports only 1.0.0: the version finding is the root cause; STATUS would fail for it.
  answeringScript(n, "agent", R"({"cniVersion":"1.0.0","supportedVersions":["1.0.0"]})",
                  R"(echo '{"code":1,"msg":"incompatible"}'; exit 1)");
  auto r = BrokenNode::diagnose(n.options());
  EXPECT_EQ(findingsOf(r, "plugins.unsupported-version").size(), 1u) << describe(r);
  EXPECT_TRUE(findingsOf(r, "plugins.status").empty()) << describe(r);
  EXPECT_EQ(r.findings().size(), 1u) << describe(r);
}

TEST(DoctorPlugins, PluginInstalledOutsideThePluginPath) {
  // The reference plugins live in /usr/lib/cni on this machine (a distro package's place),
  // while the runtime looks in the node's bin dir only.
  if (!fs::exists("/usr/lib/cni/portmap")) GTEST_SKIP() << "no /usr/lib/cni/portmap here";
  Node n;
  fs::remove(n.binDir() + "/portmap");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "plugins.missing");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  ASSERT_EQ(f[0].evidence.size(), 3u);
  EXPECT_EQ(f[0].evidence[2].path, "/usr/lib/cni/portmap");
  EXPECT_EQ(f[0].evidence[2].value, "installed here, outside the plugin path");
  EXPECT_NE(f[0].fix.find("ln -s /usr/lib/cni/portmap " + n.binDir() + "/portmap"),
            std::string::npos)
      << f[0].fix;
}

TEST(DoctorPlugins, MissingBinDirIsAnError) {
  Node n;
  auto o = n.options();
  o.bin_dirs = {n.root() + "/nope"};
  auto r = BrokenNode::diagnose(o);
  auto d = findingsOf(r, "plugins.dir-missing");
  ASSERT_EQ(d.size(), 1u) << describe(r);
  EXPECT_EQ(d[0].severity, Severity::kError);
  EXPECT_EQ(d[0].subject, o.bin_dirs[0]);
  EXPECT_EQ(d[0].evidence[0].value, "does not exist");
  auto m = findingsOf(r, "plugins.missing");
  ASSERT_EQ(m.size(), 3u) << describe(r);
  EXPECT_EQ(m[0].evidence[0].value, "the directory does not exist");
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, ExtraMissingOrEmptyDirIsOnlyInfoWhenPluginsAreFound) {
  Node n;
  fs::create_directories(n.root() + "/empty");
  auto o = n.options();
  o.bin_dirs = {n.root() + "/nope", n.root() + "/empty", n.binDir()};
  auto r = BrokenNode::diagnose(o);
  auto d = findingsOf(r, "plugins.dir-missing");
  ASSERT_EQ(d.size(), 1u) << describe(r);
  EXPECT_EQ(d[0].severity, Severity::kInfo);
  auto e = findingsOf(r, "plugins.dir-empty");
  ASSERT_EQ(e.size(), 1u) << describe(r);
  EXPECT_EQ(e[0].severity, Severity::kInfo);
  EXPECT_EQ(e[0].subject, n.root() + "/empty");
  EXPECT_EQ(e[0].evidence[0].value, "is empty");
  EXPECT_EQ(r.exitCode(), 0);
}

TEST(DoctorPlugins, EmptyDirWhileAPluginIsMissingIsAWarning) {
  Node n;
  fs::remove(n.binDir() + "/portmap");
  fs::create_directories(n.root() + "/empty");
  n.binFile("README", "not a plugin", 0644);
  auto o = n.options();
  o.bin_dirs = {n.binDir(), n.root() + "/empty"};
  auto r = BrokenNode::diagnose(o);
  auto e = findingsOf(r, "plugins.dir-empty");
  ASSERT_EQ(e.size(), 1u) << describe(r);
  EXPECT_EQ(e[0].severity, Severity::kWarning);
  auto m = findingsOf(r, "plugins.missing");
  ASSERT_EQ(m.size(), 1u) << describe(r);
  ASSERT_GE(m[0].evidence.size(), 3u);  // both dirs searched, the config naming it
  EXPECT_EQ(m[0].evidence[0].path, n.binDir() + "/portmap");
  EXPECT_EQ(m[0].evidence[1].path, n.root() + "/empty/portmap");
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorPlugins, OfflineReadsButNeverRuns) {
  Node n;
  n.script("portmap", "sleep 30");
  fs::remove(n.binDir() + "/bridge");
  auto o = n.options();
  o.offline = true;
  o.probe_timeout = std::chrono::milliseconds(5000);
  auto start = Clock::now();
  auto r = BrokenNode::diagnose(o);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(findingsOf(r, "plugins.missing").size(), 1u) << describe(r);
  EXPECT_TRUE(findingsOf(r, "plugins.version-timeout").empty());
  auto sources = r.sources();
  auto* probes = sourceNamed(sources, "plugin probes");
  ASSERT_NE(probes, nullptr);
  EXPECT_FALSE(probes->ran);
  EXPECT_NE(probes->detail.find("offline"), std::string::npos);
}

}  // namespace
}  // namespace cni::doctortest
