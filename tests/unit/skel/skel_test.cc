// tests/unit/skel/skel_test.cc — the plugin protocol (skel::pluginMain) in-process, no root.
//
// Expected texts are Go's: copied from the output of the reference plugins where the installed
// ones (cni v1.1 skel) agree with cni v1.3, and from cni v1.3's skel.go for GC/STATUS, the
// own-netns check and validation order, which the installed binaries predate.
#include "src/skel/skel.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <map>
#include <stdexcept>
#include <string>

#include "src/spec/version.h"

namespace cni::skel {
namespace {

// What the fake plugin saw; function pointers cannot capture, so the recorder is global.
struct Recorder {
  int add = 0, del = 0, check = 0, gc = 0, status = 0;
  CmdArgs last;
  std::optional<Error> fail_with;  // make every verb fail with this
  bool throw_ = false;
  std::string result = "{\"cniVersion\":\"1.1.0\"}";
};
Recorder g_rec;

Status verb(int& counter, const CmdArgs& a) {
  ++counter;
  g_rec.last = a;
  if (g_rec.throw_) throw std::runtime_error("plugin exploded");
  if (g_rec.fail_with) return fail(*g_rec.fail_with);
  return {};
}
Expected<std::string> fakeAdd(const CmdArgs& a) {
  CNI_TRY(verb(g_rec.add, a));
  return g_rec.result;
}
Status fakeDel(const CmdArgs& a) { return verb(g_rec.del, a); }
Status fakeCheck(const CmdArgs& a) { return verb(g_rec.check, a); }
Status fakeGc(const CmdArgs& a) { return verb(g_rec.gc, a); }
Status fakeStatus(const CmdArgs& a) { return verb(g_rec.status, a); }

constexpr PluginSpec kFull = {.name = "fake",
                              .versions = spec::kAllVersions,
                              .add = fakeAdd,
                              .del = fakeDel,
                              .check = fakeCheck,
                              .gc = fakeGc,
                              .status = fakeStatus};
constexpr PluginSpec kNoOptional = {.name = "bare", .versions = spec::kAllVersions, .add = fakeAdd};
constexpr std::array<std::string_view, 3> kOld = {"0.1.0", "0.2.0", "0.4.0"};
constexpr PluginSpec kOldPlugin = {
    .name = "old", .versions = kOld, .add = fakeAdd, .check = fakeCheck, .gc = fakeGc};
constexpr std::array<std::string_view, 1> kOnly100 = {"1.0.0"};
constexpr PluginSpec kOnly100Plugin = {.name = "only100", .versions = kOnly100, .add = fakeAdd};

struct Outcome {
  int rc;
  std::string out, err;
  int stdin_reads;
};

using Env = std::map<std::string, std::string>;

Outcome run(const PluginSpec& spec, const Env& env, std::string stdin_data = "",
            std::optional<Expected<std::string>> stdin_result = std::nullopt) {
  Io io;
  io.getenv = [&env](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  int reads = 0;
  io.read_stdin = [&]() -> Expected<std::string> {
    ++reads;
    if (stdin_result) return *stdin_result;
    return stdin_data;
  };
  int rc = pluginMain(spec, io);
  return Outcome{rc, io.out, io.err, reads};
}

Env fullEnv(std::string cmd) {
  return {{"CNI_COMMAND", cmd},
          {"CNI_CONTAINERID", "ctr-1"},
          {"CNI_NETNS", "/var/run/netns/x"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"}};
}

std::string conf(std::string_view version) {
  return "{\"cniVersion\":\"" + std::string(version) + "\",\"name\":\"net1\",\"type\":\"fake\"}";
}

std::string errJson(int code, std::string_view msg, std::string_view details = "") {
  std::string s =
      "{\n    \"code\": " + std::to_string(code) + ",\n    \"msg\": \"" + std::string(msg) + "\"";
  if (!details.empty()) s += ",\n    \"details\": \"" + std::string(details) + "\"";
  return s + "\n}";
}

class SkelTest : public ::testing::Test {
 protected:
  void SetUp() override { g_rec = Recorder{}; }
};

// ---- environment -------------------------------------------------------------------------

TEST_F(SkelTest, NoCommandPrintsAboutOnStderrAndSucceeds) {
  for (const Env& env : {Env{}, Env{{"CNI_COMMAND", ""}}, Env{{"CNI_PATH", "/x"}}}) {
    Outcome r = run(kFull, env);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, aboutText(kFull) +
                         "\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, "
                         "1.0.0, 1.1.0\n");
    EXPECT_EQ(r.stdin_reads, 0) << "stdin may be a terminal: never read it for the about text";
  }
  EXPECT_EQ(aboutText(kFull).rfind("CNI fake plugin v", 0), 0u) << aboutText(kFull);
  PluginSpec custom = kOldPlugin;
  custom.about = "my about";
  EXPECT_EQ(run(custom, {}).err,
            "my about\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.4.0\n");
}

TEST_F(SkelTest, MissingVariablesAreListedInGosOrderPerCommand) {
  const std::pair<const char*, const char*> cases[] = {
      {"ADD", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH"},
      {"CHECK", "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH"},
      {"DEL", "CNI_CONTAINERID,CNI_IFNAME,CNI_PATH"},  // CNI_NETNS is optional for DEL
      {"GC", "CNI_PATH"},
      {"STATUS", "CNI_PATH"},
  };
  for (const auto& [cmd, missing] : cases) {
    Outcome r = run(kFull, {{"CNI_COMMAND", cmd}}, conf("1.1.0"));
    EXPECT_EQ(r.rc, 1) << cmd;
    EXPECT_EQ(r.out, errJson(4, "required env variables [" + std::string(missing) + "] missing"))
        << cmd;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.stdin_reads, 0) << cmd;
  }
  Env partial = fullEnv("ADD");
  partial.erase("CNI_NETNS");
  partial.erase("CNI_PATH");
  EXPECT_EQ(run(kFull, partial, conf("1.1.0")).out,
            errJson(4, "required env variables [CNI_NETNS,CNI_PATH] missing"));
  // Empty counts as missing (Go's Getenv cannot tell them apart).
  Env empty = fullEnv("DEL");
  empty["CNI_IFNAME"] = "";
  EXPECT_EQ(run(kFull, empty, conf("1.1.0")).out,
            errJson(4, "required env variables [CNI_IFNAME] missing"));
}

TEST_F(SkelTest, GcAndStatusNeedOnlyCommandAndPath) {
  for (const char* cmd : {"GC", "STATUS"}) {
    Outcome r = run(kFull, {{"CNI_COMMAND", cmd}, {"CNI_PATH", "/opt/cni/bin"}}, conf("1.1.0"));
    EXPECT_EQ(r.rc, 0) << cmd << r.out;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(g_rec.gc, 1);
  EXPECT_EQ(g_rec.status, 1);
  // The container ID is not required for GC, so not validated either.
  Outcome r = run(kFull, {{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/p"}, {"CNI_CONTAINERID", "bad id"}},
                  conf("1.1.0"));
  EXPECT_EQ(r.rc, 0) << r.out;
}

TEST_F(SkelTest, ContainerIdAndIfnameAreValidatedForAddCheckDel) {
  const std::tuple<const char*, std::string, std::string, std::string> cases[] = {
      {"CNI_CONTAINERID", "bad id", "invalid characters in containerID", "bad id"},
      {"CNI_CONTAINERID", "-lead", "invalid characters in containerID", "-lead"},
      {"CNI_IFNAME", "abcdefghijklmnopq", "interface name is too long",
       "interface name should be less than 16 characters"},
      {"CNI_IFNAME", ".", "interface name is . or ..", ""},
      {"CNI_IFNAME", "..", "interface name is . or ..", ""},
      {"CNI_IFNAME", "a/b", "interface name contains / or : or whitespace characters", ""},
      {"CNI_IFNAME", "a:b", "interface name contains / or : or whitespace characters", ""},
      {"CNI_IFNAME", "a b", "interface name contains / or : or whitespace characters", ""},
  };
  for (const char* cmd : {"ADD", "CHECK", "DEL"}) {
    for (const auto& [var, value, msg, details] : cases) {
      Env env = fullEnv(cmd);
      env[var] = value;
      Outcome r = run(kFull, env, conf("1.1.0"));
      EXPECT_EQ(r.rc, 1);
      EXPECT_EQ(r.out, errJson(4, msg, details)) << cmd << " " << var << "=" << value;
      EXPECT_EQ(r.stdin_reads, 0);
    }
  }
  EXPECT_EQ(g_rec.add + g_rec.check + g_rec.del, 0);
  // 15 bytes is the limit, and it is a byte limit.
  Env ok = fullEnv("ADD");
  ok["CNI_IFNAME"] = "abcdefghijklmno";
  EXPECT_EQ(run(kFull, ok, conf("1.1.0")).rc, 0);
}

// cni v1.3: a present variable is validated as soon as it is read, so a bad container ID wins
// over a later missing variable (the installed v1.1 skel reported the missing one).
TEST_F(SkelTest, ValidationHappensWhileReadingTheEnvironment) {
  Env env = fullEnv("ADD");
  env["CNI_CONTAINERID"] = "bad id";
  env.erase("CNI_IFNAME");
  EXPECT_EQ(run(kFull, env, conf("1.1.0")).out,
            errJson(4, "invalid characters in containerID", "bad id"));
  // ... but a missing variable before it still comes first only if it is also reported: the
  // container ID is read second, after CNI_COMMAND.
  Env env2 = fullEnv("ADD");
  env2["CNI_IFNAME"] = "a/b";
  env2.erase("CNI_NETNS");
  EXPECT_EQ(run(kFull, env2, conf("1.1.0")).out,
            errJson(4, "interface name contains / or : or whitespace characters"));
}

TEST_F(SkelTest, UnknownCommand) {
  Outcome r = run(kFull, fullEnv("add"), conf("1.1.0"));
  EXPECT_EQ(r.out, errJson(4, "unknown CNI_COMMAND: add"));
  // The config is still validated first (for every verb but VERSION).
  EXPECT_EQ(run(kFull, fullEnv("FOO"), "").out,
            errJson(6, "error unmarshall network config: unexpected end of JSON input"));
}

TEST_F(SkelTest, VersionIgnoresStdinAndOtherVariables) {
  Outcome r = run(kFull, {{"CNI_COMMAND", "VERSION"}}, "not json at all");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\","
            "\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n");
  EXPECT_EQ(r.stdin_reads, 0);
  EXPECT_EQ(run(kOldPlugin, {{"CNI_COMMAND", "VERSION"}}).out,
            "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.4.0\"]}\n");
}

TEST_F(SkelTest, StdinIsReadOnceAndReadErrorsAreCode5) {
  Outcome ok = run(kFull, fullEnv("ADD"), conf("1.1.0"));
  EXPECT_EQ(ok.stdin_reads, 1);
  EXPECT_EQ(g_rec.last.stdin_data, conf("1.1.0"));
  Outcome bad = run(kFull, fullEnv("ADD"), "",
                    Expected<std::string>(std::unexpected(
                        Error(ErrorCode::kIoFailure, "read /dev/stdin: bad file descriptor"))));
  EXPECT_EQ(bad.out, errJson(5, "error reading from stdin: read /dev/stdin: bad file descriptor"));
}

// ---- config validation ---------------------------------------------------------------------

TEST_F(SkelTest, ConfigMustHaveAValidName) {
  const std::pair<std::string, std::string> cases[] = {
      {"", errJson(6, "error unmarshall network config: unexpected end of JSON input")},
      {"null", errJson(7, "missing network name")},
      {"{}", errJson(7, "missing network name")},
      {"{\"name\":\"\"}", errJson(7, "missing network name")},
      {"{\"name\":null}", errJson(7, "missing network name")},
      {"{\"name\":\"a b\"}", errJson(7, "invalid characters found in network name", "a b")},
      {"{\"name\":\"_x\"}", errJson(7, "invalid characters found in network name", "_x")},
      {"{\"name\":5}",
       errJson(6,
               "error unmarshall network config: json: cannot unmarshal number into Go struct "
               "field .name of type string")},
      {"[]", errJson(6,
                     "error unmarshall network config: json: cannot unmarshal array into Go value "
                     "of type struct { Name string \\\"json:\\\\\\\"name\\\\\\\"\\\" }")},
      {"\"x\"",
       errJson(6,
               "error unmarshall network config: json: cannot unmarshal string into Go value "
               "of type struct { Name string \\\"json:\\\\\\\"name\\\\\\\"\\\" }")},
      {"{\"name\":\"n\"} x",
       errJson(6,
               "error unmarshall network config: invalid character 'x' after top-level "
               "value")},
  };
  for (const auto& [stdin_data, expected] : cases) {
    for (const char* cmd : {"ADD", "DEL", "CHECK", "GC", "STATUS"}) {
      Outcome r = run(kFull, fullEnv(cmd), stdin_data);
      EXPECT_EQ(r.rc, 1);
      EXPECT_EQ(r.out, expected) << cmd << " " << stdin_data;
    }
  }
  // Go matches struct fields case-insensitively.
  EXPECT_EQ(run(kFull, fullEnv("ADD"), "{\"NAME\":\"n\",\"cniVersion\":\"1.0.0\"}").rc, 0);
}

// ---- versions ------------------------------------------------------------------------------

TEST_F(SkelTest, ConfigVersionMustBeSupportedExactly) {
  Outcome r = run(kFull, fullEnv("ADD"), conf("9.9.9"));
  EXPECT_EQ(r.out,
            errJson(1, "incompatible CNI versions",
                    "config is \\\"9.9.9\\\", plugin supports [\\\"0.1.0\\\" \\\"0.2.0\\\" "
                    "\\\"0.3.0\\\" \\\"0.3.1\\\" \\\"0.4.0\\\" \\\"1.0.0\\\" \\\"1.1.0\\\"]"));
  // Exact string match: "1.0" is not "1.0.0".
  EXPECT_EQ(run(kFull, fullEnv("DEL"), conf("1.0")).rc, 1);
  // A missing cniVersion means 0.1.0.
  Outcome missing = run(kOnly100Plugin, fullEnv("ADD"), "{\"name\":\"n\"}");
  EXPECT_EQ(missing.out, errJson(1, "incompatible CNI versions",
                                 "config is \\\"0.1.0\\\", plugin supports [\\\"1.0.0\\\"]"));
  EXPECT_EQ(run(kFull, fullEnv("ADD"), "{\"name\":\"n\"}").rc, 0);
  EXPECT_EQ(g_rec.add, 1);
  Outcome typed = run(kFull, fullEnv("ADD"), "{\"name\":\"n\",\"cniVersion\":1}");
  EXPECT_EQ(typed.out, errJson(6,
                               "decoding version from network config: json: cannot unmarshal "
                               "number into Go struct field .cniVersion of type string"));
}

TEST_F(SkelTest, CheckIsGatedAt040) {
  EXPECT_EQ(run(kFull, fullEnv("CHECK"), conf("0.3.1")).out,
            errJson(1, "config version does not allow CHECK"));
  EXPECT_EQ(run(kFull, fullEnv("CHECK"), "{\"name\":\"n\"}").out,
            errJson(1, "config version does not allow CHECK"));
  EXPECT_EQ(g_rec.check, 0);
  EXPECT_EQ(run(kFull, fullEnv("CHECK"), conf("0.4.0")).rc, 0);
  EXPECT_EQ(run(kFull, fullEnv("CHECK"), conf("1.1.0")).rc, 0);
  EXPECT_EQ(g_rec.check, 2);
  // No supported version >= the config's.
  EXPECT_EQ(run(kOldPlugin, fullEnv("CHECK"), conf("1.0.0")).out,
            errJson(1, "plugin version does not allow CHECK"));
  EXPECT_EQ(run(kOldPlugin, fullEnv("CHECK"), conf("0.4.1")).out,
            errJson(1, "plugin version does not allow CHECK"));
  // Some supported version is newer, but the exact version is not supported.
  EXPECT_EQ(run(kOnly100Plugin, fullEnv("CHECK"), conf("0.4.0")).out,
            errJson(1, "incompatible CNI versions",
                    "config is \\\"0.4.0\\\", plugin supports [\\\"1.0.0\\\"]"));
  // Unparseable versions are decoding failures (Go's ParseVersion text).
  Outcome bad = run(kFull, fullEnv("CHECK"), conf("a.b"));
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.out.rfind("{\n    \"code\": 6,\n    \"msg\": \"failed to convert major version "
                          "part \\\"a\\\"",
                          0),
            0u)
      << bad.out;
}

TEST_F(SkelTest, GcAndStatusAreGatedAt110) {
  for (const char* cmd : {"GC", "STATUS"}) {
    EXPECT_EQ(run(kFull, fullEnv(cmd), conf("1.0.0")).out,
              errJson(1, "config version does not allow " + std::string(cmd)))
        << cmd;
    EXPECT_EQ(run(kOldPlugin, fullEnv(cmd), conf("1.1.0")).out,
              errJson(1, "plugin version does not allow " + std::string(cmd)))
        << cmd;
  }
  EXPECT_EQ(g_rec.gc + g_rec.status, 0);
}

TEST_F(SkelTest, NullVerbsSucceedSilentlyAfterTheChecks) {
  for (const char* cmd : {"DEL", "CHECK", "GC", "STATUS"}) {
    Outcome r = run(kNoOptional, fullEnv(cmd), conf("1.1.0"));
    EXPECT_EQ(r.rc, 0) << cmd << r.out;
    EXPECT_EQ(r.out, "") << cmd;
  }
  // The version checks still apply to a null verb.
  EXPECT_EQ(run(kNoOptional, fullEnv("STATUS"), conf("1.0.0")).rc, 1);
  EXPECT_EQ(run(kNoOptional, fullEnv("DEL"), conf("9.9.9")).rc, 1);
}

// ---- calling the plugin ---------------------------------------------------------------------

TEST_F(SkelTest, AddPrintsTheResultTextVerbatimAndGetsAllArguments) {
  Env env = fullEnv("ADD");
  env["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=p";
  env["CNI_NETNS_OVERRIDE"] = "TRUE";
  g_rec.result = "{\n    \"cniVersion\": \"1.1.0\"\n}";
  Outcome r = run(kFull, env, conf("1.1.0"));
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, g_rec.result);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(g_rec.last.container_id, "ctr-1");
  EXPECT_EQ(g_rec.last.netns, "/var/run/netns/x");
  EXPECT_EQ(g_rec.last.ifname, "eth0");
  EXPECT_EQ(g_rec.last.args, "IgnoreUnknown=1;K8S_POD_NAME=p");
  EXPECT_EQ(g_rec.last.path, "/opt/cni/bin");
  EXPECT_TRUE(g_rec.last.netns_override);
  EXPECT_EQ(g_rec.last.stdin_data, conf("1.1.0"));
}

TEST_F(SkelTest, PluginErrorsKeepTheirCodeAndDetails) {
  g_rec.fail_with = Error(ErrorCode::kTryAgainLater, "busy", "try later");
  for (const char* cmd : {"ADD", "DEL", "CHECK", "GC", "STATUS"}) {
    Outcome r = run(kFull, fullEnv(cmd), conf("1.1.0"));
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, errJson(11, "busy", "try later")) << cmd;
  }
  g_rec.fail_with = Error(ErrorCode::kPluginNotAvailable, "no backend");
  EXPECT_EQ(run(kFull, fullEnv("STATUS"), conf("1.1.0")).out, errJson(50, "no backend"));
  // Untyped failures are code 999 (Error's default), like Go's ErrInternal wrapping.
  g_rec.fail_with = Error();
  g_rec.fail_with->msg = "something broke";
  EXPECT_EQ(run(kFull, fullEnv("ADD"), conf("1.1.0")).out, errJson(999, "something broke"));
}

TEST_F(SkelTest, ExceptionsEscapingAPluginAreCode999) {
  g_rec.throw_ = true;
  Outcome r = run(kFull, fullEnv("ADD"), conf("1.1.0"));
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, errJson(999, "plugin exploded"));
}

// ---- the own-netns check (cni v1.3) -----------------------------------------------------------

TEST_F(SkelTest, AddAndDelRefuseThePluginsOwnNetns) {
  // gtest runs tests on the main thread, whose namespace /proc/self/ns/net is.
  for (const char* cmd : {"ADD", "DEL"}) {
    Env env = fullEnv(cmd);
    env["CNI_NETNS"] = "/proc/self/ns/net";
    Outcome r = run(kFull, env, conf("1.1.0"));
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, errJson(8, "plugin's netns and netns from CNI_NETNS should not be the same"))
        << cmd;
    env["CNI_NETNS"] = "/proc/" + std::to_string(::getpid()) + "/ns/net";
    EXPECT_EQ(run(kFull, env, conf("1.1.0")).rc, 1) << "any path to the same namespace";
  }
  EXPECT_EQ(g_rec.add + g_rec.del, 0) << "refused before the plugin runs";
  // Checked after the version reconcile, like Go.
  Env env = fullEnv("ADD");
  env["CNI_NETNS"] = "/proc/self/ns/net";
  EXPECT_EQ(run(kFull, env, conf("9.9.9")).out.find("\"code\": 1,") != std::string::npos, true);
  // CHECK is not subject to it (Go checks ADD and DEL only).
  Env check = fullEnv("CHECK");
  check["CNI_NETNS"] = "/proc/self/ns/net";
  EXPECT_EQ(run(kFull, check, conf("1.1.0")).rc, 0);
}

TEST_F(SkelTest, NetnsOverrideAcceptsOneAndTrueInAnyCase) {
  for (const char* value : {"1", "true", "TRUE", "True"}) {
    Env env = fullEnv("ADD");
    env["CNI_NETNS"] = "/proc/self/ns/net";
    env["CNI_NETNS_OVERRIDE"] = value;
    EXPECT_EQ(run(kFull, env, conf("1.1.0")).rc, 0) << value;
    EXPECT_TRUE(g_rec.last.netns_override);
  }
  for (const char* value : {"yes", "0", "false", " true"}) {
    Env env = fullEnv("DEL");
    env["CNI_NETNS"] = "/proc/self/ns/net";
    env["CNI_NETNS_OVERRIDE"] = value;
    EXPECT_EQ(run(kFull, env, conf("1.1.0")).rc, 1) << value;
  }
}

TEST_F(SkelTest, NetnsThatCannotBeOpenedIsNotOurs) {
  for (const char* ns : {"/nonexistent/netns", "/etc/hostname"}) {
    Env env = fullEnv("DEL");
    env["CNI_NETNS"] = ns;
    EXPECT_EQ(run(kFull, env, conf("1.1.0")).rc, 0) << ns;
  }
  Env env = fullEnv("DEL");
  env.erase("CNI_NETNS");
  EXPECT_EQ(run(kFull, env, conf("1.1.0")).rc, 0);
  EXPECT_EQ(g_rec.last.netns, "");
  EXPECT_EQ(g_rec.del, 3);
}

}  // namespace
}  // namespace cni::skel
