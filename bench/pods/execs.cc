// bench/pods/execs.cc — see execs.h.
#include "bench/pods/execs.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bench/pods/shim_exec.h"
#include "bench/pods/stats.h"
#include "bench/pods/util.h"
#include "src/invoke/args.h"
#include "src/invoke/raw_exec.h"

namespace cni::bench {
namespace {

namespace fs = std::filesystem;

struct ExecResult {
  bool ok = false;
  double ms = 0;
  long rss_kib = 0;
  long anon_kib = -1;
};

double mib(long kib) { return kib < 0 ? NAN : kib / 1024.0; }

// One plugin process through libcnikit's RawExec (wall time), or with `rss` through
// bench-exec-shim (peak RSS; shim_exec.h says why).
ExecResult execOnce(const std::string& path, const std::string& stdin_data,
                    const invoke::Args& args, bool rss = false) {
  ExecResult r;
  if (rss) {
    ShimExec shim(shimPath(), [&](const std::string&, const std::string&, long kib, long anon) {
      r.rss_kib = kib;
      r.anon_kib = anon;
    });
    auto out = shim.execPlugin(path, stdin_data, invoke::buildEnv(args, nullptr));
    r.ok = out.has_value();
    if (!out) std::fprintf(stderr, "%s: %s\n", path.c_str(), out.error().toString().c_str());
    return r;
  }
  invoke::RawExecOptions o;
  o.on_exit = [&](const invoke::ExecStats& s) {
    r.ms = std::chrono::duration<double, std::milli>(s.wall).count();
    r.rss_kib = s.max_rss_kib;
  };
  o.stderr_sink = [](std::string_view) {};
  invoke::RawExec ex(std::move(o));
  auto out = ex.execPlugin(path, stdin_data, invoke::buildEnv(args, nullptr));
  r.ok = out.has_value();
  if (!out) std::fprintf(stderr, "%s: %s\n", path.c_str(), out.error().toString().c_str());
  return r;
}

std::vector<std::string> commonPlugins(const std::string& a, const std::string& b) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(b, ec)) {
    std::string n = e.path().filename();
    if (::access((a + "/" + n).c_str(), X_OK) == 0 && ::access(e.path().c_str(), X_OK) == 0) {
      names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

bool runVersionBench(const std::string& ours_dir, const std::string& ref_dir, int runs) {
  std::vector<std::string> names = commonPlugins(ours_dir, ref_dir);
  if (names.empty()) {
    std::fprintf(stderr, "no plugin is in both %s and %s\n", ours_dir.c_str(), ref_dir.c_str());
    return false;
  }
  std::map<std::string, Samples> ours, ref;
  std::map<std::string, ExecResult> ours_rss, ref_rss;
  invoke::Args args;
  args.command = "VERSION";
  const std::string in = R"({"cniVersion":"1.0.0"})";
  // The machine's exec floor, in the same rounds: a static C program that exits at once.
  Samples nop;
  const std::string nop_path = fs::path(shimPath()).parent_path() / "bench-exec-nop";
  for (int r = 0; r < runs && !stopRequested(); ++r) {
    ExecResult e = execOnce(nop_path, in, args);
    if (!e.ok) return false;
    nop.add(e.ms);
    for (const std::string& n : names) {
      // Alternate which goes first so neither always runs on a just-warmed cache.
      for (int k = 0; k < 2; ++k) {
        bool mine = (k == 0) == (r % 2 == 0);
        ExecResult e = execOnce((mine ? ours_dir : ref_dir) + "/" + n, in, args);
        if (!e.ok) return false;
        (mine ? ours : ref)[n].add(e.ms);
      }
    }
  }
  for (const std::string& n : names) {
    ExecResult o = execOnce(ours_dir + "/" + n, in, args, true);
    ExecResult r = execOnce(ref_dir + "/" + n, in, args, true);
    if (!o.ok || !r.ok) return false;
    ours_rss[n] = o;
    ref_rss[n] = r;
  }
  printRow({"exec", "static C program exiting at once (this machine's exec floor)", "median", "ms",
            nop.median(), NAN, NAN, false});
  Samples all_ours, all_ref;
  for (const std::string& n : names) {
    printRow({"exec", "VERSION (exec floor), median of " + std::to_string(runs), n, "ms",
              ours[n].median(), ref[n].median()});
    printRow({"rss", "VERSION", n + " peak RSS", "MiB", mib(ours_rss[n].rss_kib),
              mib(ref_rss[n].rss_kib)});
    printRow({"rss", "VERSION", n + " private (anon) RSS at exit", "MiB", mib(ours_rss[n].anon_kib),
              mib(ref_rss[n].anon_kib)});
    all_ours.ms.insert(all_ours.ms.end(), ours[n].ms.begin(), ours[n].ms.end());
    all_ref.ms.insert(all_ref.ms.end(), ref[n].ms.begin(), ref[n].ms.end());
  }
  printRow({"exec", "VERSION (exec floor), every plugin", "median", "ms", all_ours.median(),
            all_ref.median()});
  printRow({"exec", "VERSION (exec floor), every plugin", "p99", "ms", all_ours.pct(0.99),
            all_ref.pct(0.99)});
  return true;
}

bool runDiskBench(const std::string& ours_dir, const std::string& ref_dir) {
  auto bytes = [](const std::string& dir, int& count) {
    std::set<std::pair<dev_t, ino_t>> seen;
    double total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      struct stat st {};
      if (::stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      ++count;
      if (seen.insert({st.st_dev, st.st_ino}).second) total += static_cast<double>(st.st_size);
    }
    return total;
  };
  int n_ours = 0, n_ref = 0;
  double o = bytes(ours_dir, n_ours), r = bytes(ref_dir, n_ref);
  if (n_ours == 0 || n_ref == 0) return false;
  printRow(
      {"disk",
       "whole plugin set (" + std::to_string(n_ours) + " plugins vs " + std::to_string(n_ref) + ")",
       "bytes on disk", "MB", o / 1e6, r / 1e6});
  return true;
}

bool runHostLocalBench(const std::string& ours_dir, const std::string& ref_dir,
                       const std::string& work_dir, const std::vector<int>& counts, int ops) {
  struct Cost {
    Samples add, del;
    long rss = 0, anon = -1;
  };
  std::map<int, Cost> ours, ref;
  for (int count : counts) {
    std::string conf[2];
    for (int s = 0; s < 2; ++s) {
      // Prefill the store as host-local itself would have left it: one file per address
      // (`<id>\r\n<ifname>`), and the cursor at the last one. 10.200.0.0/16 holds 65 534.
      std::string dir = work_dir + "/hl-" + std::to_string(count) + (s ? "-ref" : "-ours");
      std::string net_dir = dir + "/bhl";
      fs::remove_all(dir);
      fs::create_directories(net_dir);
      std::string last;
      for (int k = 0; k < count; ++k) {
        int host = k + 2;  // .0.1 is the gateway
        last = "10.200." + std::to_string(host / 256) + "." + std::to_string(host % 256);
        std::ofstream(net_dir + "/" + last) << "prefill-" << k << "\r\neth0";
      }
      std::ofstream(net_dir + "/last_reserved_ip.0") << last;
      conf[s] = R"({"cniVersion":"1.0.0","name":"bhl","type":"x","ipam":{"type":"host-local",)"
                R"("dataDir":")" +
                dir + R"(","ranges":[[{"subnet":"10.200.0.0/16"}]]}})";
    }
    for (const char* cmd : {"ADD", "DEL"}) {
      for (int i = 0; i < ops && !stopRequested(); ++i) {
        for (int k = 0; k < 2; ++k) {
          int s = (k + i) % 2;  // alternate who goes first
          invoke::Args a;
          a.command = cmd;
          a.container_id = "t" + std::to_string(i);
          a.netns = "/nonexistent";
          a.ifname = "eth0";
          a.path = s ? ref_dir : ours_dir;
          ExecResult e = execOnce((s ? ref_dir : ours_dir) + "/host-local", conf[s], a);
          if (!e.ok) return false;
          Cost& c = (s ? ref : ours)[count];
          (cmd[0] == 'A' ? c.add : c.del).add(e.ms);
          if (i == 0) {  // once per command: the same op again through the shim, for RSS
            a.container_id = "rss";
            ExecResult m = execOnce((s ? ref_dir : ours_dir) + "/host-local", conf[s], a, true);
            if (!m.ok) return false;
            c.rss = std::max(c.rss, m.rss_kib);
            c.anon = std::max(c.anon, m.anon_kib);
          }
        }
      }
    }
    std::string label = std::to_string(count) + " reservations on disk";
    printRow({"host-local", label, "ADD median", "ms", ours[count].add.median(),
              ref[count].add.median()});
    printRow({"host-local", label, "DEL median", "ms", ours[count].del.median(),
              ref[count].del.median()});
    printRow({"rss", "host-local, " + label, "host-local ADD/DEL peak RSS", "MiB",
              mib(ours[count].rss), mib(ref[count].rss)});
    printRow({"rss", "host-local, " + label, "host-local ADD/DEL private (anon) RSS at exit", "MiB",
              mib(ours[count].anon), mib(ref[count].anon)});
  }
  if (counts.size() >= 2) {
    int lo = counts.front(), hi = counts.back();
    std::string label = "cost at " + std::to_string(hi) + " / at " + std::to_string(lo);
    printRow({"host-local", label, "ADD", "x", ours[hi].add.median() / ours[lo].add.median(),
              ref[hi].add.median() / ref[lo].add.median(), NAN, false});
    printRow({"host-local", label, "DEL", "x", ours[hi].del.median() / ours[lo].del.median(),
              ref[hi].del.median() / ref[lo].del.median(), NAN, false});
  }
  return true;
}

}  // namespace cni::bench
