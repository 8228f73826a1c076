// src/doctor/report.h — what `cnikit doctor` finds: findings with a severity, the evidence and a
// concrete fix; which sources it read or skipped; the repairs it can make (--fix).
//
// The JSON form (Report::toJson) is a stable, documented interface: docs/doctor.md and
// docs/doctor.schema.json. Add fields, never rename or remove them; bump kSchemaVersion when a
// change would break a consumer.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::doctor {

inline constexpr int kSchemaVersion = 1;

enum class Severity { kInfo, kWarning, kError };
std::string_view severityName(Severity s);  // "info", "warning", "error"

// Where a finding was seen: a file (with a 1-based line:column when it is about a position in
// it), a kernel object, a log line... and the value seen there.
struct Evidence {
  std::string path;
  int line = 0, column = 0;  // 0 = not about a position
  std::string value;
};

// A safe repair the doctor can make itself (--fix). `apply` re-verifies what it is about to
// change right before changing it (the node keeps running while the doctor looks).
struct Repair {
  std::string action;  // "release-lease", "remove-cache-file", "delete-rule"
  std::string target;  // what it changes: a path, a rule
  std::function<Status()> apply;
};

struct Finding {
  std::string check;  // stable identifier, e.g. "conf.parse-error" (docs/doctor.md lists all)
  Severity severity = Severity::kWarning;
  std::string subject;  // what it is about: a file, network, plugin, link, lease
  std::string message;  // what is wrong, one sentence
  std::vector<Evidence> evidence;
  std::string fix;  // what the operator should do
  std::optional<Repair> repair;
};

// A source of facts: the config dir, the plugin dir, the kernel, journald, the API server...
struct Source {
  std::string name;
  bool ran = true;
  std::string detail;  // what was read, or why it was skipped
  double ms = 0;
};

struct RepairOutcome {
  std::string check, action, target;
  std::string status;  // "planned" (dry run), "done", "failed"
  std::string message;
};

// Collects findings from checks running on several threads.
class Report {
 public:
  void add(Finding f);
  void addSource(Source s);
  // Runs fn and records it as source `name` with its duration and the detail fn returns ("" for
  // none).
  void timed(std::string name, const std::function<std::string()>& fn);

  // --fix: dry run records every repair as "planned"; apply runs them in order and logs each.
  void runRepairs(bool apply);

  // Findings sorted by severity (errors first), check, subject: stable output for diffing.
  std::vector<Finding> findings() const;
  std::vector<Source> sources() const;
  std::vector<RepairOutcome> repairs() const;
  size_t count(Severity s) const;
  // 0 healthy (no warning or error), 1 warnings, 2 errors.
  int exitCode() const;
  std::string verdict() const;  // "healthy", "warnings", "errors"

  // The documented JSON form. `node` is the object describing what was inspected.
  Json toJson(const Json& node, double total_ms) const;

 private:
  // Behind a pointer so that a Report can be returned by value.
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
  std::vector<Finding> findings_;
  std::vector<Source> sources_;
  std::vector<RepairOutcome> repairs_;
};

// Builds a Finding in one expression: finding("conf.empty", Severity::kError, dir, msg, fix).
Finding finding(std::string check, Severity sev, std::string subject, std::string message,
                std::string fix, std::vector<Evidence> evidence = {});

}  // namespace cni::doctor
