// src/doctor/render.cc — the human report (see doctor.h): grouped by severity, each finding with
// its evidence and fix, then the sources read or skipped, the repairs, and a one-line verdict.
#include <cstdio>

#include "src/doctor/doctor.h"
#include "src/invoke/find.h"

namespace cni::doctor {
namespace {

struct Palette {
  const char *red = "", *yellow = "", *cyan = "", *bold = "", *dim = "", *reset = "";
};

Palette palette(bool colour) {
  if (!colour) return {};
  return {"\033[31m", "\033[33m", "\033[36m", "\033[1m", "\033[2m", "\033[0m"};
}

std::string plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

std::string evidenceText(const Evidence& e) {
  std::string s = e.path;
  if (e.line > 0) s += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  if (!e.value.empty()) s += (s.empty() ? "" : ": ") + e.value;
  return s;
}

}  // namespace

std::string renderText(const Report& r, const Context& c, bool colour, bool fix_requested) {
  const Palette p = palette(colour);
  std::string out;
  out += std::string(p.bold) + "cnikit doctor" + p.reset + ": config " + c.opts.conf_dir +
         ", plugins " + invoke::joinPath(c.opts.bin_dirs) + ", cache " + c.opts.cache_dir +
         (c.opts.offline ? " (offline)" : "") + "\n";
  if (const Network* n = c.activeNetwork()) {
    out += "active network: " + n->list.name + " (" + n->path + ", cniVersion " +
           n->list.cni_version + ")\n";
  } else {
    out += "active network: none\n";
  }

  const auto findings = r.findings();
  struct Group {
    Severity sev;
    const char* title;
    const char* colour;
  };
  for (const Group& g :
       {Group{Severity::kError, "ERRORS", p.red}, Group{Severity::kWarning, "WARNINGS", p.yellow},
        Group{Severity::kInfo, "INFO", p.cyan}}) {
    size_t n = r.count(g.sev);
    if (n == 0) continue;
    out += "\n" + std::string(g.colour) + p.bold + g.title + " (" + std::to_string(n) + ")" +
           p.reset + "\n";
    for (const Finding& f : findings) {
      if (f.severity != g.sev) continue;
      out += "  " + std::string(g.colour) + "[" + f.check + "]" + p.reset + " " + f.subject + "\n";
      out += "    " + f.message + "\n";
      // A node with 200 leaked leases gets 10 lines here; --json has every one.
      constexpr size_t kMaxEvidence = 10;
      for (size_t i = 0; i < f.evidence.size() && i < kMaxEvidence; ++i) {
        out += std::string("    ") + p.dim + "evidence: " + evidenceText(f.evidence[i]) + p.reset +
               "\n";
      }
      if (f.evidence.size() > kMaxEvidence) {
        out += "    ... and " + std::to_string(f.evidence.size() - kMaxEvidence) +
               " more (all of them in --json)\n";
      }
      if (!f.fix.empty()) out += "    fix: " + f.fix + "\n";
      if (f.repair && !fix_requested) {
        out += "    repair: `cnikit doctor --fix` would " + f.repair->action + " " +
               f.repair->target + "\n";
      }
    }
  }

  out += "\nsources:";
  std::string skipped;
  for (const Source& s : r.sources()) {
    if (s.ran) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.0f ms", s.ms);
      out += "\n  " + s.name + " (" + ms + ")" + (s.detail.empty() ? "" : ": " + s.detail);
    } else {
      skipped += "\n  skipped " + s.name + ": " + s.detail;
    }
  }
  out += skipped + "\n";

  const auto repairs = r.repairs();
  if (!repairs.empty()) {
    bool dry = repairs.front().status == "planned";
    out += dry ? "\nrepairs (dry run; `cnikit doctor --fix --yes` makes them):\n"
               : "\nrepairs made:\n";
    for (const RepairOutcome& o : repairs) {
      out += "  " + o.status + ": " + o.action + " " + o.target +
             (o.message.empty() ? "" : " (" + o.message + ")") + "\n";
    }
  } else if (fix_requested) {
    out += "\nrepairs: nothing to repair\n";
  }

  const size_t errors = r.count(Severity::kError), warnings = r.count(Severity::kWarning);
  out += "\n";
  if (errors > 0) {
    out += std::string(p.red) + p.bold + "verdict: UNHEALTHY" + p.reset + " - " +
           plural(errors, "error") + ", " + plural(warnings, "warning") +
           ": pods on this node can fail to get networking; fix the errors above\n";
  } else if (warnings > 0) {
    out += std::string(p.yellow) + p.bold + "verdict: DEGRADED" + p.reset + " - " +
           plural(warnings, "warning") + ": pod networking works now; see the warnings above\n";
  } else {
    out += std::string(p.bold) + "verdict: HEALTHY" + p.reset + " - no problem found\n";
  }
  return out;
}

}  // namespace cni::doctor
