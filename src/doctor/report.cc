// src/doctor/report.cc — findings, sources and repairs, and their JSON form (see report.h).
#include "src/doctor/report.h"

#include <syslog.h>

#include <algorithm>
#include <tuple>

namespace cni::doctor {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "info";
}

Finding finding(std::string check, Severity sev, std::string subject, std::string message,
                std::string fix, std::vector<Evidence> evidence) {
  Finding f;
  f.check = std::move(check);
  f.severity = sev;
  f.subject = std::move(subject);
  f.message = std::move(message);
  f.fix = std::move(fix);
  f.evidence = std::move(evidence);
  return f;
}

void Report::add(Finding f) {
  std::lock_guard lock(*mu_);
  findings_.push_back(std::move(f));
}

void Report::addSource(Source s) {
  std::lock_guard lock(*mu_);
  sources_.push_back(std::move(s));
}

void Report::timed(std::string name, const std::function<std::string()>& fn) {
  auto start = std::chrono::steady_clock::now();
  std::string detail = fn();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  addSource({.name = std::move(name), .ran = true, .detail = std::move(detail), .ms = ms});
}

std::vector<Finding> Report::findings() const {
  std::vector<Finding> out;
  {
    std::lock_guard lock(*mu_);
    out = findings_;
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tuple(-static_cast<int>(a.severity), a.check, a.subject) <
           std::tuple(-static_cast<int>(b.severity), b.check, b.subject);
  });
  return out;
}

std::vector<Source> Report::sources() const {
  std::lock_guard lock(*mu_);
  auto out = sources_;
  std::stable_sort(out.begin(), out.end(),
                   [](const Source& a, const Source& b) { return a.name < b.name; });
  return out;
}

std::vector<RepairOutcome> Report::repairs() const {
  std::lock_guard lock(*mu_);
  return repairs_;
}

size_t Report::count(Severity s) const {
  std::lock_guard lock(*mu_);
  return static_cast<size_t>(std::count_if(findings_.begin(), findings_.end(),
                                           [s](const Finding& f) { return f.severity == s; }));
}

int Report::exitCode() const {
  if (count(Severity::kError) > 0) return 2;
  if (count(Severity::kWarning) > 0) return 1;
  return 0;
}

std::string Report::verdict() const {
  switch (exitCode()) {
    case 0:
      return "healthy";
    case 1:
      return "warnings";
    default:
      return "errors";
  }
}

void Report::runRepairs(bool apply) {
  std::vector<RepairOutcome> out;
  bool logged_open = false;
  for (const Finding& f : findings()) {
    if (!f.repair) continue;
    RepairOutcome r{.check = f.check, .action = f.repair->action, .target = f.repair->target};
    if (!apply) {
      r.status = "planned";
    } else {
      // Every change the doctor makes to a node is in the system log too, for whoever asks
      // later what touched the node.
      if (!logged_open) {
        ::openlog("cnikit-doctor", LOG_PID, LOG_DAEMON);
        logged_open = true;
      }
      Status s = f.repair->apply ? f.repair->apply() : Status();
      r.status = s ? "done" : "failed";
      if (!s) r.message = s.error().toString();
      ::syslog(s ? LOG_NOTICE : LOG_WARNING, "%s %s: %s%s%s", r.action.c_str(), r.target.c_str(),
               r.status.c_str(), r.message.empty() ? "" : ": ", r.message.c_str());
    }
    out.push_back(std::move(r));
  }
  if (logged_open) ::closelog();
  std::lock_guard lock(*mu_);
  repairs_ = std::move(out);
}

Json Report::toJson(const Json& node, double total_ms) const {
  Json j = Json::object();
  j["schemaVersion"] = kSchemaVersion;
  j["node"] = node;
  j["verdict"] = verdict();
  j["exitCode"] = exitCode();
  j["summary"] = {{"errors", count(Severity::kError)},
                  {"warnings", count(Severity::kWarning)},
                  {"infos", count(Severity::kInfo)}};
  Json fs = Json::array();
  for (const Finding& f : findings()) {
    Json ev = Json::array();
    for (const Evidence& e : f.evidence) {
      ev.push_back({{"path", e.path}, {"line", e.line}, {"column", e.column}, {"value", e.value}});
    }
    Json rep = nullptr;
    if (f.repair) rep = {{"action", f.repair->action}, {"target", f.repair->target}};
    fs.push_back({{"check", f.check},
                  {"severity", severityName(f.severity)},
                  {"subject", f.subject},
                  {"message", f.message},
                  {"evidence", std::move(ev)},
                  {"fix", f.fix},
                  {"repair", std::move(rep)}});
  }
  j["findings"] = std::move(fs);
  Json ss = Json::array();
  for (const Source& s : sources()) {
    ss.push_back({{"name", s.name},
                  {"status", s.ran ? "ran" : "skipped"},
                  {"detail", s.detail},
                  {"durationMs", s.ms}});
  }
  j["sources"] = std::move(ss);
  Json rs = Json::array();
  for (const RepairOutcome& r : repairs()) {
    rs.push_back({{"check", r.check},
                  {"action", r.action},
                  {"target", r.target},
                  {"status", r.status},
                  {"message", r.message}});
  }
  j["repairs"] = std::move(rs);
  j["durationMs"] = total_ms;
  return j;
}

}  // namespace cni::doctor
