// src/conf/discover.h — default-network discovery in a configuration directory, the way container
// runtimes do it (not libcni, which looks networks up by name: see load.h), with an account of
// every file so a human or a doctor tool can see exactly why a network was (not) picked.
//
// Runtime convention (kubelet dockershim, CRI-O ocicni, containerd go-cni): candidates are
// *.conf, *.conflist and *.json directly in the directory, taken together in byte-wise order
// ("10-a.conflist" < "9-b.conf"; "B.conf" < "a.conf"); a .conflist is a list (plus its
// <dir>/<name>/*.conf plugins), the others single-plugin files upconverted; the first usable file
// is the default network.
//   kLenient (kubelet, CRI-O): an invalid file is skipped with a warning; a .conf without "type" is
//     skipped ("perhaps this is a .conflist?"); a list with no plugins is skipped.
//   kStrict (libcni, containerd): an invalid file met before the default network is chosen is an
//     error naming the file. Files after it are never read by those runtimes (containerd's default
//     max_conf_num is 1), so a broken file there does not fail discovery; it is still reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/conf/conf.h"
#include "src/spec/json.h"

namespace cni::conf {

enum class Policy {
  kStrict,   // libcni, containerd: a bad file is an error
  kLenient,  // kubelet, CRI-O: skip invalid, first valid wins
};

struct FileVerdict {
  enum class State {
    kActive,   // the default network
    kValid,    // usable, but shadowed by the active one (or not reached after a strict failure)
    kInvalid,  // a candidate that cannot be used: unreadable, empty, parse error, no plugins, ...
    kIgnored,  // not a candidate: wrong extension, directory, FIFO/socket/device
  };
  std::string path;
  State state = State::kIgnored;
  std::string network_name;  // when the file parsed far enough to have one
  // Exactly why: the parse error text, "no plugins", "shadowed by <file>", "duplicate network name
  // of <file>", "dangling symlink to <target>", "plugin \"foo\" not found in CNI_PATH", ...
  std::string reason;
  // Usable but suspicious (the runtime would accept the file, a later step would fail), e.g.
  // a network name that ADD will reject, or a cniVersion no plugin knows.
  std::vector<std::string> warnings;
  // The parsed network, for usable (active and valid) files: what the runtime would load, so a
  // caller that wants every usable network need not read the files again.
  std::optional<NetworkConfigList> list;
};

std::string_view stateName(FileVerdict::State s);  // "active", "valid", "invalid", "ignored"

struct DiscoverOptions {
  // If set, every plugin "type" must be a regular file in one of these directories (FindInPath,
  // as kubelet's ValidateNetworkList and containerd's plugin check do); otherwise the file is
  // invalid with reason `plugin "foo" not found in CNI_PATH (<dirs>)`.
  std::optional<std::vector<std::string>> cni_path;
  // Files larger than this are invalid (containerd refuses configs over 2 MiB). 0 = no limit.
  std::uint64_t max_file_size = 0;
};

struct Discovery {
  std::string dir;
  Policy policy = Policy::kLenient;
  std::vector<FileVerdict> files;  // every directory entry, in byte-wise order of name
  std::optional<NetworkConfigList> active;
  // Set exactly when `active` is not: why there is no default network (strict failure naming the
  // file, "no networks found in <dir>", "no valid networks found in <dir>", unreadable dir).
  std::optional<Error> error;

  // Machine-readable account:
  // {"dir","policy","active":{"path","name","cniVersion","plugins":[types]}|null,
  //  "error":{"code","msg"}|null, "files":[{"path","state","network","reason","warnings"}]}.
  Json toJson() const;
};

// The full account; never fails (failures are in Discovery::error).
Discovery scan(const std::string& dir, Policy policy, const DiscoverOptions& opts = {});

// The default network: scan() when it found one, otherwise its error.
Expected<Discovery> discover(const std::string& dir, Policy policy,
                             const DiscoverOptions& opts = {});

}  // namespace cni::conf
