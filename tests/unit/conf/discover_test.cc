// tests/unit/conf/discover_test.cc — runtime-style default-network discovery: ordering across
// extensions, lenient (kubelet/CRI-O) vs strict (libcni/containerd), and the per-file account.
#include "src/conf/discover.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/testutil/temp_dir.h"

namespace cni::conf {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;
using State = FileVerdict::State;

const std::string kData = std::string(CNIKIT_SOURCE_DIR) + "/tests/data/conf";

std::string list(std::string_view name, std::string_view type = "bridge") {
  return R"({"cniVersion":"1.0.0","name":")" + std::string(name) + R"(","plugins":[{"type":")" +
         std::string(type) + R"("}]})";
}
std::string single(std::string_view name, std::string_view type = "bridge") {
  return R"({"cniVersion":"0.4.0","name":")" + std::string(name) + R"(","type":")" +
         std::string(type) + R"("})";
}

const FileVerdict& verdict(const Discovery& d, std::string_view file) {
  for (const auto& f : d.files) {
    if (fs::path(f.path).filename() == file) return f;
  }
  static FileVerdict none;
  ADD_FAILURE() << "no verdict for " << file;
  return none;
}

std::vector<std::string> order(const Discovery& d) {
  std::vector<std::string> out;
  for (const auto& f : d.files) out.push_back(fs::path(f.path).filename().string());
  return out;
}

TEST(Discover, ByteWiseOrderAcrossAllExtensions) {
  TempDir t;
  t.write("10-a.conflist", list("from-conflist"));
  t.write("9-b.conf", single("from-9"));
  t.write("10-a.conf", single("from-conf"));
  auto d = discover(t.path().string(), Policy::kLenient);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  // "10-a.conf" < "10-a.conflist" (prefix) < "9-b.conf" ('1' < '9'): not numeric, not by type.
  EXPECT_EQ(order(*d), (std::vector<std::string>{"10-a.conf", "10-a.conflist", "9-b.conf"}));
  EXPECT_EQ(d->active->name, "from-conf");
  EXPECT_EQ(d->active->source, t.path().string() + "/10-a.conf");
  EXPECT_EQ(verdict(*d, "10-a.conf").state, State::kActive);
  EXPECT_EQ(verdict(*d, "10-a.conflist").state, State::kValid);
  EXPECT_EQ(verdict(*d, "10-a.conflist").reason, "shadowed by " + t.path().string() + "/10-a.conf");
  EXPECT_EQ(verdict(*d, "9-b.conf").state, State::kValid);
}

TEST(Discover, UppercaseSortsBeforeLowercase) {
  TempDir t;
  t.write("a.conflist", list("lower"));
  t.write("B.conflist", list("upper"));
  t.write("_.json", single("underscore"));  // '_' (0x5f) sits between 'B' and 'a'
  auto d = discover(t.path().string(), Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(order(*d), (std::vector<std::string>{"B.conflist", "_.json", "a.conflist"}));
  EXPECT_EQ(d->active->name, "upper");
}

TEST(Discover, LenientSkipsBrokenFilesAndExplainsEach) {
  TempDir t;
  t.write("00-empty.conflist", "");
  t.write("01-blank.conf", "  \n");
  t.write("02-syntax.conflist", R"({"name":)");
  t.write("03-list-named-conf.conf", list("misnamed"));
  t.write("04-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"np"})");
  t.write("05-badflag.conflist", R"({"name":"x","disableCheck":"yes","plugins":[{"type":"a"}]})");
  t.write("10-good.conflist", list("good"));
  t.write("20-later.conf", single("later"));
  t.write("30-dup.conflist", list("good", "other"));
  t.write("40-broken-after.conflist", "{");
  auto d = discover(t.path().string(), Policy::kLenient);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->name, "good");
  EXPECT_FALSE(d->error.has_value());

  EXPECT_EQ(verdict(*d, "00-empty.conflist").state, State::kInvalid);
  EXPECT_EQ(verdict(*d, "00-empty.conflist").reason, "file is empty");
  EXPECT_EQ(verdict(*d, "01-blank.conf").reason, "file is empty (whitespace only)");
  EXPECT_EQ(verdict(*d, "02-syntax.conflist").state, State::kInvalid);
  EXPECT_TRUE(
      verdict(*d, "02-syntax.conflist").reason.starts_with("error parsing configuration list: "));
  EXPECT_EQ(verdict(*d, "03-list-named-conf.conf").reason,
            "no 'type'; perhaps this is a .conflist?");
  EXPECT_EQ(verdict(*d, "03-list-named-conf.conf").network_name, "misnamed");
  const FileVerdict& np = verdict(*d, "04-noplugins.conflist");
  EXPECT_EQ(np.state, State::kInvalid);
  EXPECT_TRUE(np.reason.starts_with("no plugins")) << np.reason;
  EXPECT_EQ(np.network_name, "np");
  EXPECT_EQ(verdict(*d, "05-badflag.conflist").reason,
            "error parsing configuration list: invalid value \"yes\" for disableCheck");
  EXPECT_EQ(verdict(*d, "10-good.conflist").state, State::kActive);
  EXPECT_EQ(verdict(*d, "20-later.conf").state, State::kValid);
  EXPECT_EQ(verdict(*d, "20-later.conf").reason,
            "shadowed by " + t.path().string() + "/10-good.conflist");
  EXPECT_EQ(verdict(*d, "30-dup.conflist").state, State::kValid);
  EXPECT_EQ(verdict(*d, "30-dup.conflist").reason,
            "duplicate network name of " + t.path().string() + "/10-good.conflist");
  EXPECT_EQ(verdict(*d, "40-broken-after.conflist").state, State::kInvalid);
  // Usable files carry their parsed network (a .conf upconverted); the others do not.
  ASSERT_TRUE(verdict(*d, "10-good.conflist").list.has_value());
  EXPECT_EQ(verdict(*d, "10-good.conflist").list->name, "good");
  ASSERT_TRUE(verdict(*d, "20-later.conf").list.has_value());
  EXPECT_EQ(verdict(*d, "20-later.conf").list->plugins.size(), 1u);
  EXPECT_FALSE(verdict(*d, "02-syntax.conflist").list.has_value());
  EXPECT_FALSE(verdict(*d, "04-noplugins.conflist").list.has_value());
}

TEST(Discover, StrictFailsOnTheFirstInvalidFileBeforeTheActiveOne) {
  TempDir t;
  t.write("05-broken.conflist", R"({"name":"b","plugins":[]})");
  t.write("10-good.conflist", list("good"));
  t.write("20-also-broken.conf", "{");
  const std::string dir = t.path().string();
  auto d = discover(dir, Policy::kStrict);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(d.error().msg, "failed to load CNI config list file " + dir +
                               "/05-broken.conflist: error parsing configuration list: no "
                               "plugins in list");
  // The account is still there, for every file.
  Discovery s = scan(dir, Policy::kStrict);
  EXPECT_FALSE(s.active.has_value());
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->msg, d.error().msg);
  ASSERT_EQ(s.files.size(), 3u);
  EXPECT_EQ(verdict(s, "05-broken.conflist").state, State::kInvalid);
  EXPECT_EQ(verdict(s, "10-good.conflist").state, State::kValid);
  EXPECT_EQ(verdict(s, "10-good.conflist").reason,
            "not reached: strict discovery failed at " + dir + "/05-broken.conflist");
  EXPECT_EQ(verdict(s, "20-also-broken.conf").state, State::kInvalid);

  // The same directory is fine for a lenient runtime.
  auto l = discover(dir, Policy::kLenient);
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  EXPECT_EQ(l->active->name, "good");
}

TEST(Discover, StrictIgnoresBrokenFilesAfterTheActiveOne) {
  // containerd (max_conf_num=1) and libcni stop at the first usable network.
  TempDir t;
  t.write("10-good.conflist", list("good"));
  t.write("20-broken.conflist", "not json");
  auto d = discover(t.path().string(), Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->name, "good");
  EXPECT_EQ(verdict(*d, "20-broken.conflist").state, State::kInvalid);
}

TEST(Discover, StrictErrorTextsPerKind) {
  TempDir t;
  const std::string dir = t.path().string();
  t.write("10-x.conf", list("x"));
  auto d = discover(dir, Policy::kStrict);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().msg, "network type not found in " + dir + "/10-x.conf");
  fs::remove(t.path() / "10-x.conf");
  t.write("10-x.conflist", R"({"name":"x"})");
  d = discover(dir, Policy::kStrict);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().msg,
            "CNI config list in config file " + dir + "/10-x.conflist has no networks");
}

TEST(Discover, NonCandidatesAreIgnoredWithAReason) {
  TempDir t;
  t.write("README", "docs");
  t.write("10-net.conflist.bak", list("bak"));
  t.write("10-net.CONF", single("upper-ext"));
  fs::create_directory(t.path() / "x.conf");
  fs::create_directory(t.path() / "real-dir");
  fs::create_directory_symlink(t.path() / "real-dir", t.path() / "linkdir.conflist");
  ASSERT_EQ(::mkfifo((t.path() / "pipe.conf").c_str(), 0644), 0);
  t.write("50-ok.json", single("ok"));
  auto d = discover(t.path().string(), Policy::kStrict);  // none of these fails strict mode
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->name, "ok");
  EXPECT_EQ(verdict(*d, "README").state, State::kIgnored);
  EXPECT_EQ(verdict(*d, "README").reason, "no extension (not .conf, .conflist or .json)");
  EXPECT_EQ(verdict(*d, "10-net.conflist.bak").reason,
            "extension \".bak\" is not .conf, .conflist or .json");
  EXPECT_EQ(verdict(*d, "10-net.CONF").state, State::kIgnored);
  EXPECT_EQ(verdict(*d, "x.conf").state, State::kIgnored);
  EXPECT_EQ(verdict(*d, "x.conf").reason, "directory");
  EXPECT_EQ(verdict(*d, "linkdir.conflist").reason, "symlink to a directory");
  EXPECT_EQ(verdict(*d, "pipe.conf").state, State::kIgnored);
  EXPECT_EQ(verdict(*d, "pipe.conf").reason, "not a regular file (fifo)");
  EXPECT_EQ(d->files.size(), 8u);
}

TEST(Discover, UnreadableCandidatesAreInvalid) {
  TempDir t;
  fs::create_symlink(t.path() / "gone.conflist", t.path() / "00-dangling.conflist");
  fs::create_symlink(t.path() / "01-loop.conf", t.path() / "01-loop.conf");
  t.write("10-target.conflist", list("target"));
  fs::create_symlink("10-target.conflist", t.path() / "05-link.conflist");
  auto d = discover(t.path().string(), Policy::kLenient);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  const FileVerdict& dangling = verdict(*d, "00-dangling.conflist");
  EXPECT_EQ(dangling.state, State::kInvalid);
  EXPECT_EQ(dangling.reason, "dangling symlink to " + (t.path() / "gone.conflist").string());
  EXPECT_EQ(verdict(*d, "01-loop.conf").state, State::kInvalid);
  EXPECT_EQ(verdict(*d, "01-loop.conf").reason, "symlink loop");
  // A symlink to a good file is a good file (and comes first here).
  EXPECT_EQ(verdict(*d, "05-link.conflist").state, State::kActive);
  EXPECT_EQ(verdict(*d, "10-target.conflist").reason,
            "duplicate network name of " + t.path().string() + "/05-link.conflist");

  auto strict = discover(t.path().string(), Policy::kStrict);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, ErrorCode::kIoFailure);
  EXPECT_NE(strict.error().msg.find("00-dangling.conflist"), std::string::npos);
}

TEST(Discover, PermissionDeniedWhenNotRoot) {
  if (testutil::isRoot()) GTEST_SKIP() << "root reads mode-000 files; covered by symlink cases";
  TempDir t;
  t.write("10-secret.conflist", list("secret"), 0000);
  auto d = scan(t.path().string(), Policy::kLenient);
  const FileVerdict& v = verdict(d, "10-secret.conflist");
  EXPECT_EQ(v.state, State::kInvalid);
  EXPECT_NE(v.reason.find("permission denied"), std::string::npos) << v.reason;
}

TEST(Discover, ByteOrderMarkIsInvalidAsInGo) {
  TempDir t;
  t.write("10-bom.conflist", "\xEF\xBB\xBF" + list("bom"));
  t.write("20-ok.conflist", list("ok"));
  auto d = discover(t.path().string(), Policy::kLenient);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->active->name, "ok");
  EXPECT_EQ(verdict(*d, "10-bom.conflist").state, State::kInvalid);
  EXPECT_NE(verdict(*d, "10-bom.conflist").reason.find("byte order mark"), std::string::npos);
}

TEST(Discover, SubfolderPluginsAreLoaded) {
  auto d = discover(kData + "/subfolder", Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  ASSERT_EQ(d->active->plugins.size(), 2u);
  EXPECT_EQ(d->active->plugins[0].type, "bridge");
  EXPECT_EQ(d->active->plugins[1].source, kData + "/subfolder/split/20-portmap.conf");
  EXPECT_EQ(verdict(*d, "split").state, State::kIgnored);
  EXPECT_EQ(verdict(*d, "split").reason, "directory: plugin folder of network \"split\"");
}

TEST(Discover, LoadOnlyInlinedPluginsBothWays) {
  TempDir t;
  t.write("10-net.conflist",
          R"({"name":"net","loadOnlyInlinedPlugins":true,"plugins":[{"type":"a"}]})");
  t.write("net/1.conf", R"({"type":"b"})");
  auto d = discover(t.path().string(), Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->plugins.size(), 1u);
  EXPECT_EQ(verdict(*d, "net").reason, "directory");  // not used by any network
  t.write("10-net.conflist",
          R"({"name":"net","loadOnlyInlinedPlugins":false,"plugins":[{"type":"a"}]})");
  d = discover(t.path().string(), Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->plugins.size(), 2u);
}

TEST(Discover, CniPathCheck) {
  TempDir t;
  const std::string bin = (t.path() / "bin").string();
  t.write("bin/bridge", "#!/bin/sh\n", 0755);
  t.write("bin/loopback", "#!/bin/sh\n", 0755);
  fs::create_directory(t.path() / "bin/portmap");  // a directory is not a plugin
  t.write("net/10-podman.conflist",
          R"({"name":"podman","plugins":[{"type":"bridge"},{"type":"portmap"}]})");
  t.write("net/20-lo.conf", single("lo", "loopback"));
  const std::string dir = (t.path() / "net").string();

  DiscoverOptions opts;
  opts.cni_path = std::vector<std::string>{"/nonexistent-cnikit-bin", bin};
  auto d = discover(dir, Policy::kLenient, opts);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->name, "lo");
  const FileVerdict& v = verdict(*d, "10-podman.conflist");
  EXPECT_EQ(v.state, State::kInvalid);
  EXPECT_EQ(v.reason,
            "plugin \"portmap\" not found in CNI_PATH (/nonexistent-cnikit-bin:" + bin + ")");
  EXPECT_EQ(v.network_name, "podman");

  auto strict = discover(dir, Policy::kStrict, opts);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().msg, dir +
                                    "/10-podman.conflist: failed to find plugin \"portmap\" in "
                                    "path [/nonexistent-cnikit-bin " +
                                    bin + "]");

  // Without the option, binaries are not looked at.
  d = discover(dir, Policy::kStrict);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->active->name, "podman");
}

TEST(Discover, MaxFileSize) {
  TempDir t;
  t.write("10-big.conflist", list("big") + std::string(100, ' '));
  t.write("20-small.conflist", list("small"));
  DiscoverOptions opts;
  opts.max_file_size = 80;
  auto d = discover(t.path().string(), Policy::kLenient, opts);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->active->name, "small");
  EXPECT_TRUE(verdict(*d, "10-big.conflist").reason.starts_with("file is "))
      << verdict(*d, "10-big.conflist").reason;
  auto s = discover(t.path().string(), Policy::kStrict, opts);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().msg,
            "CNI config in " + t.path().string() + "/10-big.conflist exceeded max size of 80");
}

TEST(Discover, NothingToFind) {
  auto d = discover("/nonexistent-cnikit-dir", Policy::kLenient);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().msg, "no networks found in /nonexistent-cnikit-dir");
  TempDir t;
  t.write("README.md", "x");
  d = discover(t.path().string(), Policy::kLenient);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().msg, "no networks found in " + t.path().string());
  t.write("10-bad.conflist", "{}");
  d = discover(t.path().string(), Policy::kLenient);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().msg, "no valid networks found in " + t.path().string());
  auto f = t.write("file", "x").string();
  Discovery s = scan(f, Policy::kLenient);
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, ErrorCode::kIoFailure);
  EXPECT_EQ(s.error->msg, "failed to read config dir: open " + f + ": not a directory");
}

TEST(Discover, WarningsForNamesAndVersions) {
  TempDir t;
  t.write("10-a.conflist", R"({"cniVersion":"0.5.0","name":"bad name","plugins":[{"type":"x"}]})");
  t.write("20-b.conflist", R"({"name":"b","plugins":[{"type":"x"}]})");
  t.write("30-c.conflist", list("c"));
  auto d = discover(t.path().string(), Policy::kLenient);
  ASSERT_TRUE(d.has_value());
  const auto& a = verdict(*d, "10-a.conflist");
  EXPECT_EQ(a.state, State::kActive);  // runtimes accept it; ADD will not
  ASSERT_EQ(a.warnings.size(), 2u);
  EXPECT_NE(a.warnings[0].find("\"bad name\""), std::string::npos);
  EXPECT_NE(a.warnings[1].find("\"0.5.0\""), std::string::npos);
  ASSERT_EQ(verdict(*d, "20-b.conflist").warnings.size(), 1u);
  EXPECT_NE(verdict(*d, "20-b.conflist").warnings[0].find("no cniVersion"), std::string::npos);
  EXPECT_TRUE(verdict(*d, "30-c.conflist").warnings.empty());
}

TEST(Discover, SamplesDirectoryPicksCiliumFirst) {
  auto d = discover(kData + "/samples", Policy::kStrict);
  ASSERT_TRUE(d.has_value()) << d.error().msg;
  EXPECT_EQ(d->active->name, "cilium");
  EXPECT_EQ(order(*d), (std::vector<std::string>{"05-cilium.conflist", "10-calico.conflist",
                                                 "10-containerd-net.conflist",
                                                 "10-flannel.conflist", "10-mynet.conf",
                                                 "87-podman-bridge.conflist", "99-loopback.conf"}));
  for (const auto& f : d->files) {
    if (f.state != State::kActive) {
      EXPECT_EQ(f.state, State::kValid) << f.path;
    }
  }
}

TEST(Discover, ToJsonAccount) {
  TempDir t;
  t.write("10-bad.conflist", "{");
  t.write("20-good.conflist", list("good"));
  t.write("notes.txt", "");
  Discovery d = scan(t.path().string(), Policy::kLenient);
  Json j = d.toJson();
  EXPECT_EQ(j["dir"], t.path().string());
  EXPECT_EQ(j["policy"], "lenient");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["active"]["name"], "good");
  EXPECT_EQ(j["active"]["cniVersion"], "1.0.0");
  EXPECT_EQ(j["active"]["plugins"], Json::array({"bridge"}));
  EXPECT_EQ(j["active"]["path"], t.path().string() + "/20-good.conflist");
  ASSERT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["files"][0]["state"], "invalid");
  EXPECT_EQ(j["files"][1]["state"], "active");
  EXPECT_EQ(j["files"][1]["network"], "good");
  EXPECT_EQ(j["files"][2]["state"], "ignored");
  EXPECT_TRUE(j["files"][2]["warnings"].is_array());

  Json s = scan(t.path().string(), Policy::kStrict).toJson();
  EXPECT_EQ(s["policy"], "strict");
  EXPECT_TRUE(s["active"].is_null());
  EXPECT_EQ(s["error"]["code"], 6);  // malformed JSON: decoding failure
  EXPECT_NE(s["error"]["msg"].get<std::string>().find("10-bad.conflist"), std::string::npos);
}

}  // namespace
}  // namespace cni::conf
