// bench/pods/main.cc — `bench-pods`: the side-by-side benchmark driver bench/run.sh calls.
//
//   bench-pods pods --scenario a|b|c --pods N --parallel P [--floor FILE]
//   bench-pods version --runs N
//   bench-pods disk
//   bench-pods host-local --counts 10,10000 --ops N
// Every mode takes --ours DIR (our plugins) and --ref DIR (the reference plugins) and prints CSV
// rows (bench/pods/stats.h); --header prints the header line first.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "bench/pods/execs.h"
#include "bench/pods/pods.h"
#include "bench/pods/util.h"

int main(int argc, char** argv) {
  using namespace cni::bench;
  CLI::App app{"cnikit vs reference plugins, side by side (see bench/run.sh)"};
  std::string ours = "build/cni-bin", ref = "/usr/lib/cni",
              work = "/tmp/cnikit-bench-" + std::to_string(::getpid());
  bool header = false;
  app.add_option("--ours", ours, "our plugin dir")->capture_default_str();
  app.add_option("--ref", ref, "reference plugin dir")->capture_default_str();
  app.add_option("--work", work, "scratch dir (removed afterwards)");
  app.add_flag("--header", header, "print the CSV header first");
  app.require_subcommand(1);

  PodBenchConfig pods;
  std::string scenario = "a";
  auto* p = app.add_subcommand("pods", "pod ADD/DEL through libcnikit");
  p->add_option("--scenario", scenario)->check(CLI::IsMember({"a", "b", "c"}));
  p->add_option("--pods", pods.pods)->check(CLI::PositiveNumber);
  p->add_option("--parallel", pods.parallel)->check(CLI::PositiveNumber);
  p->add_option("--floor", pods.floor_file, "bench-floor samples for the same kind/parallelism");

  int runs = 200;
  auto* v = app.add_subcommand("version", "VERSION exec floor and peak RSS per plugin");
  v->add_option("--runs", runs)->check(CLI::PositiveNumber);

  auto* d = app.add_subcommand("disk", "bytes on disk of each plugin set");

  std::vector<int> counts = {10, 10000};
  int ops = 100;
  auto* h = app.add_subcommand("host-local", "host-local ADD/DEL with reservations on disk");
  h->add_option("--counts", counts)->delimiter(',');
  h->add_option("--ops", ops)->check(CLI::PositiveNumber);

  CLI11_PARSE(app, argc, argv);
  installStopHandler();
  if (header) std::printf("%s\n", kCsvHeader);
  std::error_code ec;
  std::filesystem::create_directories(work, ec);
  ours = std::filesystem::absolute(ours);
  bool ok = false;
  if (*p) {
    pods.scenario = scenario[0];
    pods.ours_dir = ours;
    pods.ref_dir = ref;
    pods.work_dir = work;
    ok = runPodBench(pods);
  } else if (*v) {
    ok = runVersionBench(ours, ref, runs);
  } else if (*d) {
    ok = runDiskBench(ours, ref);
  } else if (*h) {
    ok = runHostLocalBench(ours, ref, work, counts, ops);
  }
  std::filesystem::remove_all(work, ec);
  return ok ? 0 : 1;
}
