// src/dhcp/daemon.cc — see daemon.h.
#include "src/dhcp/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "src/common/errno_text.h"
#include "src/common/file_text.h"
#include "src/dhcp/lease.h"
#include "src/dhcp/rpc.h"
#include "src/netns/netns.h"
#include "src/spec/result.h"

namespace cni::dhcp {
namespace {

std::string str(const Json& j, std::string_view key) {
  const Json* v = spec::findKey(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// The reference's prepareOptions: `provide` values (or CNI_ARGS values named by fromArg) and the
// parameter request list (`request` options, plus subnet-mask and routers unless any entry says
// skipDefault).
Status prepareOptions(const Json& ipam, std::string_view cni_args, ClientConfig& cfg) {
  std::map<std::string, std::string, std::less<>> args;
  size_t start = 0;
  while (start <= cni_args.size()) {
    size_t end = cni_args.find(';', start);
    std::string_view pair =
        cni_args.substr(start, end == std::string_view::npos ? end : end - start);
    if (size_t eq = pair.find('='); eq != std::string_view::npos) {
      args[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (const Json* provide = spec::findKey(ipam, "provide"); provide && provide->is_array()) {
    for (const Json& p : *provide) {
      if (!p.is_object()) continue;
      const std::string name = str(p, "option");
      auto code = parseOptionName(name);
      if (!code) {
        return fail(ErrorCode::kInternal,
                    "Can not parse option \"" + name + "\": " + code.error().msg);
      }
      std::optional<std::string> value;
      if (std::string v = str(p, "value"); !v.empty()) {
        if (v.size() > 255) {
          return fail(ErrorCode::kInternal,
                      "value too long for option \"" + name + "\": \"" + v + "\"");
        }
        value = v;
      }
      if (auto it = args.find(str(p, "fromArg")); it != args.end()) {
        if (it->second.size() > 255) {
          return fail(ErrorCode::kInternal, "value too long for option \"" + name +
                                                "\" from CNI_ARGS \"" + it->first + "\"");
        }
        value = it->second;
      }
      if (!value) continue;
      std::erase_if(cfg.provide, [&](const Option& o) { return o.code == *code; });
      cfg.provide.push_back(Option{*code, std::vector<uint8_t>(value->begin(), value->end())});
    }
  }
  bool skip_default = false;
  auto add_request = [&](uint8_t code) {
    if (std::ranges::find(cfg.request_list, code) == cfg.request_list.end()) {
      cfg.request_list.push_back(code);
    }
  };
  if (const Json* request = spec::findKey(ipam, "request"); request && request->is_array()) {
    for (const Json& r : *request) {
      if (!r.is_object()) continue;
      if (const Json* s = spec::findKey(r, "skipDefault"); s && s->is_boolean() && s->get<bool>()) {
        skip_default = true;
      }
      const std::string name = str(r, "option");
      auto code = parseOptionName(name);
      if (!code) {
        return fail(ErrorCode::kInternal,
                    "Can not parse option \"" + name + "\": " + code.error().msg);
      }
      add_request(*code);
    }
  }
  if (!skip_default) {
    add_request(opt::kSubnetMask);
    add_request(opt::kRouter);
  }
  return {};
}

// `priority` (ipam.priority, newer references) becomes the metric of every route.
std::string resultJson(const LeaseInfo& info, int priority) {
  spec::Result r;
  r.cni_version = "1.0.0";
  spec::IpConfig ip;
  ip.address = ipv4Str(info.address) + "/" + std::to_string(info.prefix_len);
  if (info.gateway) ip.gateway = ipv4Str(*info.gateway);
  r.ips.push_back(ip);
  for (const LeaseRoute& lr : info.routes) {
    spec::Route route;
    route.dst = ipv4Str(lr.dst) + "/" + std::to_string(lr.prefix_len);
    if (lr.gw) route.gw = ipv4Str(*lr.gw);
    route.priority = priority;
    r.routes.push_back(route);
  }
  return spec::encodeResult(r, false);
}

class Daemon {
 public:
  explicit Daemon(DaemonOptions opts) : opts_(std::move(opts)) {}

  Json handle(const Json& req) {
    const std::string method = str(req, "method");
    auto reply = dispatch(method, req);
    if (!reply) {
      std::fprintf(stderr, "%s: %s\n", method.c_str(), reply.error().msg.c_str());
      return errorReply(reply.error());
    }
    return *reply;
  }

 private:
  Expected<Json> dispatch(const std::string& method, const Json& req) {
    if (method == "STATUS") return Json::object();
    const std::string stdin_data = str(req, "stdin");
    auto conf = spec::parseJson(stdin_data, "netconf");
    if (!conf || !conf->is_object()) {
      return fail(
          ErrorCode::kInternal,
          "error parsing netconf: " + (conf ? std::string("not an object") : conf.error().msg));
    }
    const std::string client_id =
        clientIdFor(str(req, "containerID"), str(*conf, "name"), str(req, "ifname"));
    if (method == "ADD") return allocate(req, *conf, client_id);
    if (method == "DEL") {
      std::unique_ptr<Lease> lease;
      {
        std::lock_guard lock(mu_);
        if (auto it = leases_.find(client_id); it != leases_.end()) {
          lease = std::move(it->second);
          leases_.erase(it);
          nets_.erase(client_id);
        }
      }
      if (lease) lease->stop();  // DHCPRELEASE, outside the map lock
      return Json::object();
    }
    if (method == "GC") return gc(*conf);
    if (method == "CHECK") {
      std::lock_guard lock(mu_);
      if (!leases_.contains(client_id)) {
        return fail(ErrorCode::kInternal, "no DHCP lease held for " + client_id);
      }
      return Json::object();
    }
    return fail(ErrorCode::kInternal, "unknown method \"" + method + "\"");
  }

  // GC (spec 1.1): release this network's leases whose attachment is not in
  // cni.dev/valid-attachments.
  Expected<Json> gc(const Json& conf) {
    const std::string net = str(conf, "name");
    std::set<std::string> keep;
    if (const Json* va = spec::findKey(conf, "cni.dev/valid-attachments"); va && va->is_array()) {
      for (const Json& a : *va) {
        if (a.is_object()) keep.insert(clientIdFor(str(a, "containerID"), net, str(a, "ifname")));
      }
    }
    std::vector<std::unique_ptr<Lease>> stale;
    {
      std::lock_guard lock(mu_);
      for (auto it = leases_.begin(); it != leases_.end();) {
        if (nets_[it->first] == net && !keep.contains(it->first)) {
          stale.push_back(std::move(it->second));
          nets_.erase(it->first);
          it = leases_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& l : stale) {
      std::fprintf(stderr, "%s: GC: not a valid attachment\n", l->clientId().c_str());
      l->stop();
    }
    return Json::object();
  }

  Expected<Json> allocate(const Json& req, const Json& conf, const std::string& client_id) {
    const Json* ipam = spec::findKey(conf, "ipam");
    int priority = 0;
    if (ipam && ipam->is_object()) {
      if (const Json* p = spec::findKey(*ipam, "priority"); p && p->is_number_integer()) {
        priority = p->get<int>();
      }
    }
    {
      std::lock_guard lock(mu_);
      if (auto it = leases_.find(client_id); it != leases_.end()) {
        return Json{{"result",
                     spec::parseJson(resultJson(it->second->info(), priority), "result").value()}};
      }
    }
    ClientConfig cfg;
    cfg.ifname = str(req, "ifname");
    cfg.client_id = client_id;
    cfg.timeout = opts_.timeout;
    cfg.resend_max = opts_.resend_max;
    CNI_TRY(
        prepareOptions(ipam && ipam->is_object() ? *ipam : Json::object(), str(req, "args"), cfg));
    CNI_ASSIGN_OR_RETURN(netns::NetNs ns,
                         netns::NetNs::open(opts_.host_prefix + str(req, "netns")));
    CNI_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Lease::acquire(std::move(ns), cfg));
    const LeaseInfo info = lease->info();
    {
      std::lock_guard lock(mu_);
      auto [it, inserted] = leases_.try_emplace(client_id, std::move(lease));
      if (inserted) nets_[client_id] = str(conf, "name");
      // A concurrent ADD for the same attachment won: report its lease and drop ours without a
      // DHCPRELEASE (same client ID: the server holds one binding, the winner's).
      if (!inserted) {
        std::fprintf(stderr, "%s: duplicate ADD, keeping the first lease\n", client_id.c_str());
        lease->stop(/*release=*/false);
        return Json{{"result",
                     spec::parseJson(resultJson(it->second->info(), priority), "result").value()}};
      }
    }
    return Json{{"result", spec::parseJson(resultJson(info, priority), "result").value()}};
  }

  DaemonOptions opts_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Lease>> leases_;  // by client ID
  std::map<std::string, std::string> nets_;               // client ID -> network name (GC)
};

void serveConnection(Daemon& daemon, UniqueFd conn) {
  auto req = readMessage(conn.get());
  Json reply = req ? daemon.handle(*req) : errorReply(req.error());
  (void)writeAll(conn.get(), reply.dump());
}

// Systemd socket activation: LISTEN_PID == us and LISTEN_FDS == 1 -> fd 3.
Expected<std::optional<UniqueFd>> activatedListener() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::atoi(pid) != ::getpid()) return std::nullopt;
  int n = std::atoi(fds);
  if (n == 0) return std::nullopt;
  if (n > 1) {
    return fail(ErrorCode::kInternal,
                "Too many (" + std::to_string(n) + ") FDs passed through socket activation");
  }
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  return std::optional<UniqueFd>(UniqueFd(3));
}

}  // namespace

Expected<std::chrono::milliseconds> parseGoDuration(std::string_view text) {
  const std::string orig(text);
  auto bad = [&] { return fail(ErrorCode::kInternal, "time: invalid duration \"" + orig + "\""); };
  bool neg = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return bad();
  double total_ns = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == 0) return bad();
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + i, v);
    if (ec != std::errc() || p != text.data() + i) return bad();
    text.remove_prefix(i);
    size_t u = 0;
    while (u < text.size() && !((text[u] >= '0' && text[u] <= '9') || text[u] == '.')) ++u;
    std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    double mult = 0;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return unit.empty()
                 ? fail(ErrorCode::kInternal, "time: missing unit in duration \"" + orig + "\"")
                 : fail(ErrorCode::kInternal, "time: unknown unit \"" + std::string(unit) +
                                                  "\" in duration \"" + orig + "\"");
    total_ns += v * mult;
  }
  auto ms = std::chrono::milliseconds(static_cast<int64_t>(total_ns / 1e6));
  return neg ? -ms : ms;
}

Expected<DaemonOptions> parseDaemonFlags(std::span<const std::string_view> args) {
  DaemonOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') break;  // Go's flag stops at the first non-flag
    a.remove_prefix(a[1] == '-' ? 2 : 1);
    std::optional<std::string_view> value;
    if (size_t eq = a.find('='); eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (a == "broadcast") {
      if (!value || *value == "true" || *value == "1" || *value == "t") {
        o.broadcast = true;
      } else if (*value == "false" || *value == "0" || *value == "f") {
        o.broadcast = false;
      } else {
        return fail(ErrorCode::kInternal,
                    "invalid boolean value \"" + std::string(*value) + "\" for -broadcast");
      }
      continue;
    }
    if (a != "socketpath" && a != "pidfile" && a != "hostprefix" && a != "timeout" &&
        a != "resendmax") {
      return fail(ErrorCode::kInternal, "flag provided but not defined: -" + std::string(a));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return fail(ErrorCode::kInternal, "flag needs an argument: -" + std::string(a));
      }
      value = args[++i];
    }
    if (a == "socketpath") o.socket_path = *value;
    if (a == "pidfile") o.pidfile = *value;
    if (a == "hostprefix") o.host_prefix = *value;
    if (a == "timeout" || a == "resendmax") {
      auto d = parseGoDuration(*value);
      if (!d) {
        return fail(ErrorCode::kInternal, "invalid value \"" + std::string(*value) +
                                              "\" for flag -" + std::string(a) + ": parse error");
      }
      (a == "timeout" ? o.timeout : o.resend_max) = *d;
    }
  }
  if (o.socket_path.empty()) o.socket_path = std::string(kDefaultSocketPath);
  return o;
}

int runDaemon(const DaemonOptions& opts) {
  // Signals become readable on a signalfd in the accept loop; blocked before any thread exists
  // so every lease thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  sigdelset(&set, SIGPIPE);
  UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sigfd) {
    std::fprintf(stderr, "signalfd: %s\n", goErrnoText(errno).c_str());
    return 1;
  }
  if (!opts.pidfile.empty()) {
    if (opts.pidfile[0] != '/') {
      std::fprintf(stderr, "Error writing pidfile \"%s\": path not absolute\n",
                   opts.pidfile.c_str());
      return 1;
    }
    if (!writeFileText(opts.pidfile, std::to_string(::getpid()))) {
      std::fprintf(stderr, "Error writing pidfile \"%s\"\n", opts.pidfile.c_str());
      return 1;
    }
  }
  const std::string socket_path = opts.host_prefix + opts.socket_path;
  auto activated = activatedListener();
  if (!activated) {
    std::fprintf(stderr, "Error getting listener: %s\n", activated.error().msg.c_str());
    return 1;
  }
  UniqueFd listener;
  if (*activated) {
    listener = std::move(**activated);
  } else {
    auto l = listenUnix(socket_path);
    if (!l) {
      std::fprintf(stderr, "Error getting listener: %s\n", l.error().msg.c_str());
      return 1;
    }
    listener = std::move(*l);
  }
  std::fprintf(stderr, "dhcp daemon listening on %s\n", socket_path.c_str());
  // Leaked on purpose: connection threads are detached and the process ends with _exit, so
  // the daemon must outlive every one of them.
  auto* daemon = new Daemon(opts);
  for (;;) {
    pollfd pfds[2] = {{listener.get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    if (::poll(pfds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pfds[1].revents & POLLIN) break;
    if (pfds[0].revents & POLLIN) {
      int c = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::thread([daemon, conn = UniqueFd(c)]() mutable {
        serveConnection(*daemon, std::move(conn));
      }).detach();
    }
  }
  if (!*activated) ::unlink(socket_path.c_str());
  if (!opts.pidfile.empty()) ::unlink(opts.pidfile.c_str());
  std::fflush(stderr);
  // Leases are deliberately not released (see daemon.h); _exit skips their destructors.
  ::_exit(0);
}

int daemonMain(std::span<const std::string_view> args) {
  auto opts = parseDaemonFlags(args);
  if (!opts) {
    std::fprintf(stderr,
                 "%s\nUsage of daemon: [-socketpath P] [-pidfile F] [-hostprefix H] "
                 "[-broadcast] [-timeout D] [-resendmax D]\n",
                 opts.error().msg.c_str());
    return 2;
  }
  return runDaemon(*opts);
}

}  // namespace cni::dhcp
