// tests/e2e/podman_world.cc — the podman world: namespaces, private podman configuration,
// a busybox rootfs, state queries and cleanup (see podman_world.h).
#include "tests/e2e/podman_world.h"

#include <arpa/inet.h>
#include <elf.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "src/common/unique_fd.h"

namespace cni::e2e {
namespace fs = std::filesystem;
using testutil::CmdResult;
using testutil::readFile;
using testutil::run;
using testutil::shellQuote;

namespace {

// The container's rootfs is a bare busybox: it must not need a dynamic loader.
constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kBusyboxApplets[] = {"sh", "httpd", "true", "ip", "cat", "sleep", "wget"};

bool onPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    if (!d.empty() && ::access((fs::path(d) / tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// True for an ELF executable without a PT_INTERP program header (statically linked).
bool isStaticElf(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return false;
  }
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return true;
}

// The link names of `ip -o link show` output ("3: name@peer: <...>").
std::vector<std::string> linkNames(const std::string& out) {
  std::vector<std::string> names;
  std::stringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    auto name = line.substr(colon + 2);
    name = name.substr(0, name.find_first_of("@:"));
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// One GET / over a fresh connection, from whichever netns the calling thread is in.
Expected<std::string> httpGetOnce(const std::string& ip, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(Error::fromErrno(ErrorCode::kIoFailure, "socket", errno));
  // Linux applies SO_SNDTIMEO to connect() too: no attempt can hang.
  timeval tv{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    return fail(Error::fromErrno(ErrorCode::kIoFailure, "connect " + ip, errno));
  }
  const std::string req = "GET / HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
  if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return fail(Error::fromErrno(ErrorCode::kIoFailure, "send", errno));
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) return fail(Error::fromErrno(ErrorCode::kIoFailure, "recv", errno));
    resp.append(buf, static_cast<size_t>(n));
  }
  return resp;
}

std::string readLink(const std::string& path) {
  std::error_code ec;
  auto target = fs::read_symlink(path, ec);
  return ec ? "" : target.string();
}

}  // namespace

double elapsedMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

const std::vector<std::string>& PodmanTest::conflistPlugins() {
  static const std::vector<std::string> kPlugins = {"bridge", "portmap", "firewall", "tuning",
                                                    "host-local"};
  return kPlugins;
}

std::string PodmanTest::ourPluginDir() const { return std::string(CNIKIT_BINARY_DIR) + "/cni-bin"; }

void PodmanTest::SetUp() {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces, podman)";
  std::string missing;
  for (const char* tool : {"podman", "runc", "conmon", "nsenter", "nft", "iptables-nft", "ip"}) {
    // Debian installs conmon in /usr/bin; podman also looks in /usr/libexec/podman.
    if (!onPath(tool) && !fs::exists(std::string("/usr/libexec/podman/") + tool)) {
      missing += std::string(" ") + tool;
    }
  }
  if (!isStaticElf(kBusybox)) missing += " busybox-static";
  if (!missing.empty()) {
    GTEST_SKIP() << "missing:" << missing << " (apt-get install -y podman runc busybox-static)";
  }

  // Podman must exec our binaries and nothing else: the only plugin dir is ours, each plugin of
  // the conflist is there, and every entry in it is a hard link of our multi-call binary.
  const fs::path dir = ourPluginDir();
  for (const auto& p : conflistPlugins()) {
    if (p == "firewall" && !fs::exists(dir / p)) {
      FAIL() << "our firewall plugin is missing: " << (dir / p).string()
             << " (podman's bridge conflist chains firewall; build it, do not skip)";
    }
    ASSERT_TRUE(fs::exists(dir / p)) << "our " << p << " plugin is missing: " << (dir / p);
  }
  struct stat multi {};
  const std::string multi_path = std::string(CNIKIT_BINARY_DIR) + "/lib/cni-plugins";
  ASSERT_EQ(::stat(multi_path.c_str(), &multi), 0) << multi_path;
  for (const auto& e : fs::directory_iterator(dir)) {
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0) << e.path();
    EXPECT_TRUE(st.st_dev == multi.st_dev && st.st_ino == multi.st_ino)
        << e.path() << " is not a link of our multi-call binary " << multi_path;
  }

  const int pid = ::getpid();
  tag_ = std::to_string(pid);
  net_ = "cnikit-pm" + tag_;
  // Outside podman's default 10.88.0.0/16 (and the E2eTest range 10.200-249), unique per run.
  subnet_prefix_ = "10." + std::to_string(150 + pid % 50) + "." + std::to_string(pid / 50 % 250);
  body_ = "cnikit podman e2e " + tag_ + "\n";
  // A previous run with the same pid that died without TearDown: its state is ours.
  cleanupLeftovers();

  node_.emplace("pmnode");
  ASSERT_TRUE(node_->ok()) << node_->error().toString();
  client_.emplace("pmcli");
  ASSERT_TRUE(client_->ok()) << client_->error().toString();
  node_if_ = "pmn" + std::to_string(pid % 1000000);
  const std::string client_if = "pmc" + std::to_string(pid % 1000000);
  // Both ends are created directly in their namespaces: no link ever exists on the host.
  auto r = run("ip link add " + node_if_ + " netns " + node_->name() + " type veth peer name " +
               client_if + " netns " + client_->name() + " && ip -n " + node_->name() +
               " link set lo up && ip -n " + node_->name() + " addr add " + kNodeAddr + "/30 dev " +
               node_if_ + " && ip -n " + node_->name() + " link set " + node_if_ + " up && ip -n " +
               client_->name() + " link set lo up && ip -n " + client_->name() + " addr add " +
               kClientAddr + "/30 dev " + client_if + " && ip -n " + client_->name() +
               " link set " + client_if + " up");
  ASSERT_EQ(r.status, 0) << r.err;

  ASSERT_NO_FATAL_FAILURE(writeConfig());
  ASSERT_NO_FATAL_FAILURE(makeRootfs());
  podman_usable_ = true;
  auto info = podman("info --format '{{.Host.NetworkBackend}} {{.Host.OCIRuntime.Name}}'");
  ASSERT_EQ(info.status, 0) << info.err;
  ASSERT_EQ(info.out, "cni runc\n") << "podman does not use the configured backend/runtime";
}

void PodmanTest::writeConfig() {
  const std::string d = dir_.path().string();
  // network: CNI backend, our plugins only, a private config dir.
  // engine: runc (see the header), cgroupfs and file events (no systemd here), libpod's tmp dir
  //   and file locks in our dir (the default shm lock segment /dev/shm/libpod_lock is shared
  //   with the machine's podman).
  // containers: without explicit ulimits every run fails here (no CAP_SYS_RESOURCE: "error
  //   setting rlimit type 7: operation not permitted").
  dir_.write("containers.conf",
             "[network]\n"
             "network_backend = \"cni\"\n"
             "cni_plugin_dirs = [\"" +
                 ourPluginDir() +
                 "\"]\n"
                 "network_config_dir = \"" +
                 d +
                 "/net.d\"\n"
                 "[engine]\n"
                 "runtime = \"runc\"\n"
                 "cgroup_manager = \"cgroupfs\"\n"
                 "events_logger = \"file\"\n"
                 "events_logfile_path = \"" +
                 d +
                 "/events.log\"\n"
                 "tmp_dir = \"" +
                 d +
                 "/tmp\"\n"
                 "lock_type = \"file\"\n"
                 "[containers]\n"
                 "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n");
  // vfs: nothing to set up, and --rootfs containers use no layers anyway.
  dir_.write("storage.conf",
             "[storage]\n"
             "driver = \"vfs\"\n"
             "runroot = \"" +
                 d +
                 "/runroot\"\n"
                 "graphroot = \"" +
                 d + "/root\"\n");
  fs::create_directories(dir_.path() / "net.d");
  fs::create_directories(dir_.path() / "tmp");
}

void PodmanTest::makeRootfs() {
  const fs::path root = rootfs();
  for (const char* d : {"bin", "proc", "sys", "dev", "etc", "tmp", "www"}) {
    fs::create_directories(root / d);
  }
  std::error_code ec;
  fs::copy_file(kBusybox, root / "bin/busybox", fs::copy_options::overwrite_existing, ec);
  ASSERT_FALSE(ec) << "copy " << kBusybox << ": " << ec.message();
  fs::permissions(root / "bin/busybox", fs::perms(0755));
  // Relative links: the rootfs is the container's /.
  for (const char* applet : kBusyboxApplets) fs::create_symlink("busybox", root / "bin" / applet);
  dir_.write("rootfs/www/index.html", body_);
}

void PodmanTest::TearDown() {
  if (podman_usable_) {
    // The store is private: -a touches only this test's containers.
    (void)podman("rm -a -f -t 0");
    (void)podman("network rm -f " + net_);
  }
  cleanupLeftovers();
  client_.reset();
  node_.reset();
}

void PodmanTest::cleanupLeftovers() {
  // Only what podman failed to clean up: processes of our containers (recognised by our temp
  // dir in conmon's command line, by our rootfs as the container's root), their netns mounts.
  for (const auto& c : tracked_) {
    if (c.conmon_pid > 0 &&
        readFile("/proc/" + std::to_string(c.conmon_pid) + "/cmdline").find(dir_.path().string()) !=
            std::string::npos) {
      ::kill(c.conmon_pid, SIGKILL);
    }
    if (c.pid > 0 && readLink("/proc/" + std::to_string(c.pid) + "/root") == rootfs()) {
      ::kill(c.pid, SIGKILL);
    }
    if (c.sandbox.starts_with("/run/netns/netns-") && fs::exists(c.sandbox)) {
      ::umount2(c.sandbox.c_str(), MNT_DETACH);
      ::unlink(c.sandbox.c_str());
    }
  }
  tracked_.clear();
  // Mounts podman left under our dir (a container's shm), deepest first, so the dir can go.
  std::vector<std::string> mounts;
  std::stringstream info(readFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(info, line);) {
    std::stringstream fields(line);
    std::string id, parent, devs, root, point;
    fields >> id >> parent >> devs >> root >> point;
    if (point.starts_with(dir_.path().string() + "/")) mounts.push_back(point);
  }
  std::sort(mounts.begin(), mounts.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
  // libcni's cache and host-local's leases for this (uniquely named) network.
  if (!net_.empty()) {
    std::error_code ec;
    fs::remove_all(leaseDir(), ec);
    for (const auto& f : cacheEntries()) fs::remove("/var/lib/cni/results/" + f, ec);
  }
}

CmdResult PodmanTest::podman(const std::string& args) const {
  return run("nsenter --net=" + node_->path() + " podman " + args,
             {{"CONTAINERS_CONF", (dir_.path() / "containers.conf").string()},
              {"CONTAINERS_STORAGE_CONF", (dir_.path() / "storage.conf").string()}});
}

CmdResult PodmanTest::inNode(const std::string& cmd) const { return inNetns(node_->path(), cmd); }

CmdResult PodmanTest::inNetns(const std::string& netns_path, const std::string& cmd) {
  return run("nsenter --net=" + netns_path + " sh -c " + shellQuote(cmd));
}

void PodmanTest::createNetwork(Json* conflist) {
  auto r = podman("network create --subnet " + subnet() + " " + net_);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out, net_ + "\n");
  const fs::path file = dir_.path() / "net.d" / (net_ + ".conflist");
  ASSERT_TRUE(fs::exists(file)) << "podman did not write " << file;
  auto parsed = spec::parseJson(readFile(file), "conflist");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  *conflist = std::move(*parsed);
  ASSERT_TRUE((*conflist)["plugins"].is_array());
  ASSERT_TRUE((*conflist)["plugins"][0]["bridge"].is_string()) << conflist->dump();
  bridge_ = (*conflist)["plugins"][0]["bridge"].get<std::string>();
}

Expected<PodmanContainer> PodmanTest::inspect(const std::string& name) const {
  auto r = podman("inspect " + name);
  if (r.status != 0) return fail(ErrorCode::kUnknown, "podman inspect " + name, r.err);
  try {
    const Json all = Json::parse(r.out);
    const Json& j = all.at(0);
    const Json& net = j.at("NetworkSettings").at("Networks").at(net_);
    PodmanContainer c;
    c.id = j.at("Id").get<std::string>();
    c.pid = j.at("State").at("Pid").get<int>();
    c.conmon_pid = j.at("State").at("ConmonPid").get<int>();
    c.sandbox = j.at("NetworkSettings").at("SandboxKey").get<std::string>();
    c.ip = net.at("IPAddress").get<std::string>();
    c.prefix_len = net.at("IPPrefixLen").get<int>();
    c.gateway = net.at("Gateway").get<std::string>();
    c.mac = net.at("MacAddress").get<std::string>();
    return c;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kDecodingFailure, "podman inspect " + name + ": " + e.what(), r.out);
  }
}

void PodmanTest::track(const PodmanContainer& c) { tracked_.push_back(c); }

Expected<std::string> PodmanTest::fetchFromClient(uint16_t port,
                                                  std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto got = client_->run([&] { return httpGetOnce(kNodeAddr, port); });
    if (got || std::chrono::steady_clock::now() >= deadline) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> PodmanTest::nodeLinks(const std::string& filter) const {
  return linkNames(inNode("ip -o link show " + filter).out);
}

std::string PodmanTest::nodeRules() const {
  auto r = inNode(
      "nft list ruleset; iptables-nft -S; iptables-nft -t nat -S; ip6tables-nft -S; "
      "ip6tables-nft -t nat -S");
  return r.out + r.err;
}

std::vector<std::string> PodmanTest::linesAboutPods(const std::string& text,
                                                    const std::string& container_id) const {
  std::vector<std::string> hits;
  const std::string prefix = subnet_prefix_ + ".";
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool hit = !container_id.empty() && line.find(container_id) != std::string::npos;
    for (size_t at = line.find(prefix); !hit && at != std::string::npos;
         at = line.find(prefix, at + 1)) {
      if (at > 0 &&
          (std::isdigit(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '.')) {
        continue;  // the tail of a longer address (110.150.3.x)
      }
      size_t end = at + prefix.size();
      while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
      const std::string host = line.substr(at + prefix.size(), end - at - prefix.size());
      hit = !host.empty() && host != "0";  // the subnet's own address names no pod
    }
    if (hit) hits.push_back(line);
  }
  return hits;
}

std::vector<std::string> PodmanTest::leases() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(leaseDir(), ec)) {
    const std::string n = e.path().filename().string();
    if (n != "lock" && n != ".cnikit-index" && !n.starts_with("last_reserved_ip.")) {
      out.push_back(n);
    }
  }
  return out;
}

std::vector<std::string> PodmanTest::leaseIndexEntries() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(leaseDir() / ".cnikit-index", ec)) {
    const std::string n = e.path().filename().string();
    if (n != "stamp") out.push_back(n);
  }
  return out;
}

std::vector<std::string> PodmanTest::cacheEntries() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/var/lib/cni/results", ec)) {
    const std::string n = e.path().filename().string();
    if (n.starts_with(net_ + "-")) out.push_back(n);
  }
  return out;
}

}  // namespace cni::e2e
