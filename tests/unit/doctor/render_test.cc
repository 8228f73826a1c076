// tests/unit/doctor/render_test.cc — the two report forms: the human text (grouped by severity,
// colour only when asked, evidence capped, a one-line verdict) and the JSON, validated against
// docs/doctor.schema.json on a node broken in many ways at once.
#include <gtest/gtest.h>

#include "src/doctor/doctor.h"
#include "tests/testutil/run.h"
#include "tests/unit/doctor/broken_node.h"

namespace cni::doctortest {
namespace {

using doctor::Severity;

// A node with findings of every severity and a repair: a JSON error before the real config
// (error), a missing plugin of another network (warning), an ignored file (info), 12 leaked
// leases (warning with 12 evidence lines and a repair).
struct ManyWays {
  ManyWays() {
    n.installOurPlugins();
    n.conf("05-broken.conflist", "{\n  \"name\": \n}\n");
    n.conf("10-podnet.conflist", bridgeConflist(), -7200);
    n.conf("20-other.conflist",
           R"({"cniVersion":"1.0.0","name":"other","plugins":[{"type":"nosuchplugin"}]})", -7200);
    n.conf("README", "docs");
    n.cacheEntry("podnet", "live", "eth0", "/proc/self/ns/net", bridgeConflist());
    for (int i = 10; i < 22; ++i) n.lease("podnet", "10.22.0." + std::to_string(i), "gone");
    o = n.options();
    ctx = doctor::gather(o);
  }
  BrokenNode n;
  doctor::Options o;
  doctor::Context ctx;
};

TEST(DoctorRender, TextGroupsBySeverityAndEndsWithTheVerdict) {
  ManyWays w;
  auto r = doctor::diagnose(w.ctx);
  ASSERT_EQ(r.exitCode(), 2) << describe(r);
  const std::string text = doctor::renderText(r, w.ctx, /*colour=*/false, /*fix=*/false);
  auto errors = text.find("\nERRORS ("), warnings = text.find("\nWARNINGS ("),
       info = text.find("\nINFO (");
  ASSERT_NE(errors, std::string::npos) << text;
  ASSERT_NE(warnings, std::string::npos) << text;
  ASSERT_NE(info, std::string::npos) << text;
  EXPECT_LT(errors, warnings);
  EXPECT_LT(warnings, info);
  EXPECT_NE(text.find("evidence: " + w.n.confDir() + "/05-broken.conflist:3:1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("... and 2 more (all of them in --json)"), std::string::npos) << text;
  EXPECT_NE(text.find("repair: `cnikit doctor --fix` would release-lease"), std::string::npos);
  EXPECT_EQ(text.find("\033["), std::string::npos) << "no colour unless asked";
  // The verdict is the last line.
  auto last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_TRUE(last.starts_with("verdict: UNHEALTHY - ")) << last;

  const std::string coloured = doctor::renderText(r, w.ctx, /*colour=*/true, /*fix=*/false);
  EXPECT_NE(coloured.find("\033[31m"), std::string::npos);
}

TEST(DoctorRender, DryRunAndAppliedRepairsAreListed) {
  ManyWays w;
  auto r = doctor::diagnose(w.ctx);
  r.runRepairs(false);
  std::string text = doctor::renderText(r, w.ctx, false, /*fix=*/true);
  EXPECT_NE(text.find("repairs (dry run; `cnikit doctor --fix --yes` makes them):\n  planned: "
                      "release-lease " +
                      w.n.dataDir() + "/podnet: 10.22.0.10, 10.22.0.11"),
            std::string::npos)
      << text;
  r.runRepairs(true);
  text = doctor::renderText(r, w.ctx, false, true);
  EXPECT_NE(text.find("repairs made:\n  done: release-lease"), std::string::npos) << text;
}

TEST(DoctorRender, JsonValidatesAgainstTheDocumentedSchema) {
  ManyWays w;
  auto r = doctor::diagnose(w.ctx);
  r.runRepairs(false);
  Json j = r.toJson(doctor::nodeJson(w.ctx), 12.5);
  EXPECT_EQ(j["schemaVersion"], 1);
  EXPECT_EQ(j["verdict"], "errors");
  EXPECT_EQ(j["exitCode"], 2);
  EXPECT_EQ(j["node"]["activeNetwork"], "podnet");
  EXPECT_EQ(j["summary"]["errors"].get<size_t>(), r.count(Severity::kError));
  // Errors first.
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_EQ(j["findings"][0]["severity"], "error");
  EXPECT_EQ(j["findings"].back()["severity"], "info");

  testutil::TempDir t;
  auto validate = [&](const Json& doc) {
    auto file = t.write("report.json", doc.dump());
    return testutil::run(
        "/usr/bin/python3 -c 'import json,sys,jsonschema; "
        "jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' " +
        testutil::shellQuote(std::string(CNIKIT_SOURCE_DIR) + "/docs/doctor.schema.json") + " " +
        testutil::shellQuote(file.string()));
  };
  auto v = validate(j);
  EXPECT_EQ(v.status, 0) << v.err;

  // And the schema is not a rubber stamp: a made-up severity fails it.
  j["findings"][0]["severity"] = "fatal";
  auto v2 = validate(j);
  EXPECT_NE(v2.status, 0);
}

}  // namespace
}  // namespace cni::doctortest
