// tests/unit/conf/load_test.cc — libcni-style loading from disk: ConfFiles, subfolder plugins,
// NetworkConfFromFile and LoadNetworkConf (what cnitool uses), on real directory trees.
#include "src/conf/load.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/testutil/temp_dir.h"

namespace cni::conf {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;

const std::string kData = std::string(CNIKIT_SOURCE_DIR) + "/tests/data/conf";

std::string list(std::string_view name, std::string_view type = "bridge") {
  return R"({"cniVersion":"1.0.0","name":")" + std::string(name) + R"(","plugins":[{"type":")" +
         std::string(type) + R"("}]})";
}

TEST(Paths, CleanJoinDirExtFollowGo) {
  EXPECT_EQ(cleanPath(""), ".");
  EXPECT_EQ(cleanPath("/etc/cni/net.d/"), "/etc/cni/net.d");
  EXPECT_EQ(cleanPath("a//b/./c/.."), "a/b");
  EXPECT_EQ(cleanPath("/../x"), "/x");
  EXPECT_EQ(cleanPath("../../x"), "../../x");
  EXPECT_EQ(cleanPath("a/../.."), "..");
  EXPECT_EQ(cleanPath("./"), ".");
  EXPECT_EQ(joinPath("/etc/cni/net.d/", "10-a.conf"), "/etc/cni/net.d/10-a.conf");
  EXPECT_EQ(joinPath("dir", ""), "dir");
  EXPECT_EQ(dirName("/etc/cni/net.d/10-a.conflist"), "/etc/cni/net.d");
  EXPECT_EQ(dirName("10-a.conflist"), ".");
  EXPECT_EQ(dirName("/x"), "/");
  EXPECT_EQ(fileExt("a.b.conflist"), ".conflist");
  EXPECT_EQ(fileExt(".conf"), ".conf");
  EXPECT_EQ(fileExt("noext"), "");
  EXPECT_EQ(fileExt("dir.d/noext"), "");
}

TEST(ConfFiles, NonRecursiveExactExtensionSortedRegularFilesOnly) {
  TempDir t;
  t.write("b.conf", "{}");
  t.write("a.conflist", "{}");
  t.write("A.conf", "{}");
  t.write("c.CONF", "{}");  // extension match is case-sensitive
  t.write("d.conf.bak", "{}");
  t.write("sub/e.conf", "{}");                                      // not recursive
  fs::create_directory(t.path() / "dir.conf");                      // directories are skipped
  fs::create_symlink(t.path() / "b.conf", t.path() / "link.conf");  // symlink to a file: kept
  fs::create_symlink(t.path() / "missing", t.path() / "dangling.conf");
  ASSERT_EQ(::mkfifo((t.path() / "fifo.conf").c_str(), 0644), 0);  // would block a reader
  const std::string dir = t.path().string();
  auto files = confFiles(dir, {".conf", ".json"});
  ASSERT_TRUE(files.has_value()) << files.error().msg;
  EXPECT_EQ(*files,
            (std::vector<std::string>{dir + "/A.conf", dir + "/b.conf", dir + "/link.conf"}));
  files = confFiles(dir + "/", {".conflist"});
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(*files, (std::vector<std::string>{dir + "/a.conflist"}));
}

TEST(ConfFiles, MissingDirIsEmptyNotAnError) {
  auto files = confFiles("/nonexistent-cnikit-dir/net.d", {".conf"});
  ASSERT_TRUE(files.has_value());
  EXPECT_TRUE(files->empty());
}

TEST(ConfFiles, AFileInsteadOfADirIsAnError) {
  TempDir t;
  auto f = t.write("notadir", "x").string();
  auto files = confFiles(f, {".conf"});
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kIoFailure);
  EXPECT_EQ(files.error().msg, "readdirent " + f + ": not a directory");
}

TEST(ReadConfFile, RefusesNonRegularFilesWithoutBlocking) {
  TempDir t;
  const std::string fifo = (t.path() / "x.conf").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto r = readConfFile(fifo);  // a blocking open would hang the test here
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg, "error reading " + fifo + ": not a regular file");
  const std::string dir = (t.path() / "d.conf").string();
  fs::create_directory(dir);
  r = readConfFile(dir);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg, "error reading " + dir + ": read " + dir + ": is a directory");
  r = readConfFile(dir + "/missing");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg, "error reading " + dir + "/missing: open " + dir +
                               "/missing: no such file or directory");
}

TEST(ConfListFromFile, AppendsSubfolderPluginsInOrder) {
  auto l = confListFromFile(kData + "/subfolder/50-split.conflist");
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->name, "split");
  EXPECT_EQ(l->cni_version, "1.1.0");  // cniVersions: 2.0.0 dropped, 1.1.0 highest
  EXPECT_TRUE(l->disable_gc);          // "True"
  ASSERT_EQ(l->plugins.size(), 2u);
  EXPECT_EQ(l->plugins[0].type, "bridge");
  EXPECT_EQ(l->plugins[0].source, kData + "/subfolder/split/10-bridge.conf");
  EXPECT_EQ(l->plugins[1].type, "portmap");
  EXPECT_TRUE(l->plugins[1].capabilities.at("portMappings"));
  // Subfolder plugin bytes are the file as written, not re-marshalled.
  EXPECT_EQ(l->plugins[1].bytes, testutil::readFile(kData + "/subfolder/split/20-portmap.conf"));
  EXPECT_EQ(l->source, kData + "/subfolder/50-split.conflist");
}

TEST(ConfListFromFile, InlinedPluginsComeFirstThenSubfolder) {
  TempDir t;
  t.write("net.conflist", R"({"cniVersion":"1.1.0","name":"net","plugins":[{"type":"bridge"}]})");
  t.write("net/20-tuning.conf", R"({"type":"tuning"})");
  t.write("net/10-portmap.conf", R"({"type":"portmap"})");
  t.write("net/30-ignored.json", R"({"type":"nope"})");  // only *.conf
  auto l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  ASSERT_EQ(l->plugins.size(), 3u);
  EXPECT_EQ(l->plugins[0].type, "bridge");
  EXPECT_EQ(l->plugins[1].type, "portmap");
  EXPECT_EQ(l->plugins[2].type, "tuning");
}

TEST(ConfListFromFile, LoadOnlyInlinedPluginsIgnoresTheSubfolder) {
  TempDir t;
  t.write("net.conflist",
          R"({"name":"net","loadOnlyInlinedPlugins":true,"plugins":[{"type":"bridge"}]})");
  t.write("net/10-portmap.conf", R"({"type":"portmap"})");
  t.write("net/20-broken.conf", R"({"notype":1})");  // not even read
  auto l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  ASSERT_EQ(l->plugins.size(), 1u);
  EXPECT_EQ(l->plugins[0].type, "bridge");

  // The same with the flag false (or absent): the broken subfolder plugin is an error.
  t.write("net.conflist",
          R"({"name":"net","loadOnlyInlinedPlugins":"false","plugins":[{"type":"bridge"}]})");
  l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "error parsing configuration: missing 'type'");
}

TEST(ConfListFromFile, NoPluginsAnywhereIsAnError) {
  TempDir t;
  t.write("net.conflist", R"({"name":"net"})");
  auto l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no plugin configs found");
  fs::create_directory(t.path() / "net");  // an empty folder changes nothing
  l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no plugin configs found");
  t.write("net/1.conf", R"({"type":"bridge"})");
  l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->plugins.size(), 1u);
}

TEST(ConfListFromFile, SubfolderThatIsAFileIsAnError) {
  TempDir t;
  t.write("net.conflist", R"({"name":"net","plugins":[{"type":"bridge"}]})");
  auto f = t.write("net", "not a dir").string();
  auto l = confListFromFile((t.path() / "net.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "failed to read plugin config files in " + f + ": readdirent " + f +
                               ": not a directory");
}

TEST(ConfListFromFile, NamesThatAreNotIdentifiersNeverSelectAFolder) {
  TempDir t;
  // Go would join "" onto the directory and load <dir>/*.conf as this network's plugins.
  t.write("a.conflist", R"({"name":""})");
  t.write("b.conf", R"({"type":"bridge","name":"b"})");
  auto l = confListFromFile((t.path() / "a.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no plugin configs found");
  // ...or escape it.
  t.write("inner/x.conflist", R"({"name":".."})");
  l = confListFromFile((t.path() / "inner/x.conflist").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no plugin configs found");
}

TEST(LoadConfList, ConflistsWinOverConfFilesAndFirstMatchWins) {
  TempDir t;
  t.write("10-a.conf", R"({"cniVersion":"0.4.0","name":"net","type":"from-conf"})");
  t.write("20-b.conflist", list("other"));
  t.write("30-c.conflist", list("net", "from-30"));
  t.write("40-d.conflist", list("net", "from-40"));
  const std::string dir = t.path().string();
  auto l = loadConfList(dir, "net");
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->plugins[0].type, "from-30");
  EXPECT_EQ(l->source, dir + "/30-c.conflist");
  l = loadConfList(dir, "other");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->plugins[0].type, "bridge");
}

TEST(LoadConfList, FallsBackToUpconvertedConfAndJson) {
  TempDir t;
  t.write("10-x.conflist", list("x"));
  t.write("20-lo.json", R"({"cniVersion":"0.3.1","name":"lo","type":"loopback"})");
  t.write("30-mynet.conf", R"({"cniVersion":"0.4.0","name":"mynet","type":"bridge","mtu":1400})");
  const std::string dir = t.path().string();
  auto l = loadConfList(dir, "mynet");
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->source, dir + "/30-mynet.conf");
  EXPECT_EQ(l->bytes,
            R"({"cniVersion":"0.4.0","name":"mynet","plugins":[{"cniVersion":"0.4.0","mtu":1400,)"
            R"("name":"mynet","type":"bridge"}]})");
  l = loadConfList(dir, "lo");
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->plugins[0].type, "loopback");
}

TEST(LoadConfList, AnyBrokenConflistAbortsTheSearch) {
  TempDir t;
  t.write("10-broken.conflist", R"({"name":"broken","plugins":[]})");
  t.write("20-good.conflist", list("good"));
  auto l = loadConfList(t.path().string(), "good");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "error parsing configuration list: no plugins in list");
  // A list with no plugins at all aborts it too (Go loads each file fully before the name test).
  t.write("10-broken.conflist", R"({"name":"broken"})");
  l = loadConfList(t.path().string(), "good");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no plugin configs found");
}

TEST(LoadConfList, BrokenConfAbortsOnlyTheFallback) {
  TempDir t;
  t.write("10-list-in-a-conf.conf", list("x"));  // no "type"
  t.write("20-good.conflist", list("good"));
  auto l = loadConfList(t.path().string(), "good");
  ASSERT_TRUE(l.has_value()) << l.error().msg;  // conflists are searched first
  l = loadConfList(t.path().string(), "x");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "error parsing configuration: missing 'type'");
}

TEST(LoadConfList, NotFoundErrors) {
  TempDir t;
  const std::string dir = t.path().string();
  auto l = loadConfList(dir, "net");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no net configurations found in " + dir);
  EXPECT_TRUE(isNotFound(l.error()));
  l = loadConfList("/nonexistent-cnikit-dir", "net");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no net configurations found in /nonexistent-cnikit-dir");

  t.write("10-a.conflist", list("a"));  // lists exist, no .conf: "with name"
  l = loadConfList(dir, "net");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no net configuration with name \"net\" in " + dir);
  EXPECT_TRUE(isNotFound(l.error()));

  t.write("20-b.conf", R"({"name":"b","type":"bridge"})");
  l = loadConfList(dir, "net");
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().msg, "no net configuration with name \"net\" in " + dir);
  EXPECT_FALSE(isNotFound(Error(ErrorCode::kInvalidNetworkConfig, "no plugin configs found")));
}

TEST(LoadConfListFile, AnyExtension) {
  auto l = loadConfListFile(kData + "/samples/10-mynet.conf");
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->name, "mynet");
  EXPECT_EQ(l->source, kData + "/samples/10-mynet.conf");
  EXPECT_EQ(l->plugins.size(), 1u);

  TempDir t;
  t.write("net.txt", list("sniffed-list"));
  t.write("one.cfg", R"({"name":"sniffed-conf","type":"bridge","cniVersion":"1.0.0"})");
  l = loadConfListFile((t.path() / "net.txt").string());
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->name, "sniffed-list");
  l = loadConfListFile((t.path() / "one.cfg").string());
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->name, "sniffed-conf");
  EXPECT_TRUE(l->bytes.starts_with(R"({"cniVersion":"1.0.0","name":"sniffed-conf","plugins")"))
      << l->bytes;
  t.write("bad.txt", "{");
  l = loadConfListFile((t.path() / "bad.txt").string());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().code, ErrorCode::kDecodingFailure);
}

TEST(Samples, RealWorldConfigsParse) {
  struct Sample {
    const char* file;
    const char* name;
    const char* version;
    std::vector<std::string> types;
  };
  const Sample samples[] = {
      {"87-podman-bridge.conflist", "podman", "0.4.0", {"bridge", "portmap", "firewall", "tuning"}},
      {"10-containerd-net.conflist", "containerd-net", "1.0.0", {"bridge", "portmap"}},
      {"10-flannel.conflist", "cbr0", "0.3.1", {"flannel", "portmap"}},
      {"10-calico.conflist", "k8s-pod-network", "0.3.1", {"calico", "portmap", "bandwidth"}},
      {"05-cilium.conflist", "cilium", "0.3.1", {"cilium-cni"}},
      {"10-mynet.conf", "mynet", "0.2.0", {"bridge"}},
      {"99-loopback.conf", "lo", "0.3.1", {"loopback"}},
  };
  for (const auto& s : samples) {
    SCOPED_TRACE(s.file);
    auto l = loadConfListFile(kData + "/samples/" + s.file);
    ASSERT_TRUE(l.has_value()) << l.error().msg;
    EXPECT_EQ(l->name, s.name);
    EXPECT_EQ(l->cni_version, s.version);
    std::vector<std::string> types;
    for (const auto& p : l->plugins) types.push_back(p.type);
    EXPECT_EQ(types, s.types);
  }
  auto podman = loadConfListFile(kData + "/samples/87-podman-bridge.conflist");
  ASSERT_TRUE(podman.has_value());
  EXPECT_EQ(podman->bytes, testutil::readFile(kData + "/samples/87-podman-bridge.conflist"));
  EXPECT_EQ(podman->plugins[0].raw["ipam"]["ranges"][0][0]["gateway"], "10.88.0.1");
  EXPECT_TRUE(podman->plugins[1].capabilities.at("portMappings"));
  auto calico = loadConfListFile(kData + "/samples/10-calico.conflist");
  ASSERT_TRUE(calico.has_value());
  EXPECT_NE(calico->plugins[0].bytes.find(R"("mtu":0,"nodename":"node-1","policy":{"type":"k8s"})"),
            std::string::npos)
      << calico->plugins[0].bytes;
}

}  // namespace
}  // namespace cni::conf
