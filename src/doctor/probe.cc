// src/doctor/probe.cc — parallel VERSION/STATUS probes (see probe.h).
#include "src/doctor/probe.h"

#include <atomic>
#include <memory>
#include <thread>

#include "src/invoke/raw_exec.h"
#include "src/libcni/api.h"

namespace cni::doctor {
namespace {

std::shared_ptr<invoke::RawExec> execWithTimeout(std::chrono::milliseconds timeout) {
  invoke::RawExecOptions o;
  o.timeout = timeout;
  // A diagnosis must not wait out a binary mid-install: one quick retry is enough to tell.
  o.text_busy_attempts = 2;
  o.text_busy_delay = std::min(timeout / 4, std::chrono::milliseconds(250));
  o.stderr_sink = [](std::string_view) {};
  return std::make_shared<invoke::RawExec>(std::move(o));
}

// RawExec says `netplugin "<path>" timed out after <d> and was killed`.
bool isTimeout(const Error& e) {
  return e.msg.starts_with("netplugin ") && e.msg.ends_with(" and was killed") &&
         e.msg.find(" timed out after ") != std::string::npos;
}

}  // namespace

void runParallel(std::vector<std::function<void()>> jobs, size_t max_threads) {
  std::atomic<size_t> next{0};
  const size_t n = std::min(std::max<size_t>(max_threads, 1), jobs.size());
  std::vector<std::jthread> workers;
  for (size_t k = 0; k < n; ++k) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < jobs.size(); i = next++) jobs[i]();
    });
  }
}

VersionProbe probeVersion(const std::string& path, std::chrono::milliseconds timeout) {
  VersionProbe p{.path = path};
  auto exec = execWithTimeout(timeout);
  p.info = invoke::getVersionInfo(*exec, path);
  p.timed_out = !p.info && isTimeout(p.info.error());
  return p;
}

StatusProbe probeStatus(const conf::NetworkConfigList& list,
                        const std::vector<std::string>& bin_dirs,
                        std::chrono::milliseconds timeout) {
  StatusProbe p{.list = &list};
  libcni::CniConfig cni(libcni::Options{.path = bin_dirs, .exec = execWithTimeout(timeout)});
  p.status = cni.getStatusNetworkList(list);
  p.timed_out = !p.status && isTimeout(p.status.error());
  return p;
}

}  // namespace cni::doctor
