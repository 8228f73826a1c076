// tests/netns/plugin_runner.cc — see plugin_runner.h.
#include "tests/netns/plugin_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/common/unique_fd.h"

namespace cni::plugintest {

Outcome runProcess(const std::string& path, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, std::string_view stdin_data) {
  Outcome o;
  // A plugin that exits without reading stdin must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    o.err = std::string("pipe2: ") + std::strerror(errno);
    return o;
  }
  UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);

  std::vector<std::string> argv_s = {path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    o.err = "posix_spawn " + path + ": " + std::strerror(rc);
    return o;
  }
  in_r.reset();
  out_w.reset();
  err_w.reset();

  // Feed stdin and drain both outputs together, so no pipe can fill up and deadlock.
  size_t written = 0;
  if (stdin_data.empty()) in_w.reset();
  while (out_r || err_r) {
    pollfd fds[3];
    int n = 0;
    if (in_w) fds[n++] = {in_w.get(), POLLOUT, 0};
    if (out_r) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r) fds[n++] = {err_r.get(), POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (in_w && fds[i].fd == in_w.get()) {
        ssize_t w = ::write(in_w.get(), stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == stdin_data.size()) in_w.reset();
        continue;
      }
      UniqueFd& src = (out_r && fds[i].fd == out_r.get()) ? out_r : err_r;
      std::string& dst = (&src == &out_r) ? o.out : o.err;
      char buf[4096];
      ssize_t r = ::read(src.get(), buf, sizeof buf);
      if (r > 0) {
        dst.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        src.reset();
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

Outcome runInProcess(const skel::PluginSpec& spec, const std::map<std::string, std::string>& env,
                     std::string_view stdin_data) {
  skel::Io io;
  io.getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  io.stdin_data = std::string(stdin_data);
  Outcome o;
  o.exit_code = skel::pluginMain(spec, io);
  o.out = std::move(io.out);
  o.err = std::move(io.err);
  return o;
}

std::map<std::string, std::string> cniEnv(std::string_view command, std::string_view netns,
                                          std::string_view container_id, std::string_view ifname,
                                          std::string_view path) {
  std::map<std::string, std::string> env;
  auto put = [&](const char* k, std::string_view v) {
    if (!v.empty()) env[k] = std::string(v);
  };
  put("CNI_COMMAND", command);
  put("CNI_CONTAINERID", container_id);
  put("CNI_NETNS", netns);
  put("CNI_IFNAME", ifname);
  put("CNI_PATH", path);
  return env;
}

}  // namespace cni::plugintest
