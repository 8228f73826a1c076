// tests/e2e/host_snapshot.cc — see host_snapshot.h.
#include "tests/e2e/host_snapshot.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "src/common/sha512.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e {
namespace {

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

void listInto(const std::filesystem::path& p, const std::string& rel,
              std::vector<std::string>& out) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    out.push_back(rel + " vanished");
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    out.push_back(rel + " -> " + std::filesystem::read_symlink(p, ec).string());
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    out.push_back(rel + " dir " + octal(st.st_mode));
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
      names.push_back(e.path().filename().string());
    }
    if (ec) out.push_back(rel + " unreadable: " + ec.message());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) listInto(p / n, rel + "/" + n, out);
    return;
  }
  std::string line = rel + (S_ISREG(st.st_mode) ? " file " : " special ") + octal(st.st_mode) +
                     " " + std::to_string(st.st_size);
  if (S_ISREG(st.st_mode)) line += " " + sha512Hex(testutil::readFile(p)).substr(0, 16);
  out.push_back(line);
}

void diffLines(const std::string& section, const std::vector<std::string>& a,
               const std::vector<std::string>& b, std::string& out) {
  std::multiset<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::string d;
  for (const auto& l : sa) {
    if (sb.count(l) < sa.count(l) && d.find("- " + l + "\n") == std::string::npos) {
      d += "  - " + l + "\n";
    }
  }
  for (const auto& l : sb) {
    if (sa.count(l) < sb.count(l) && d.find("+ " + l + "\n") == std::string::npos) {
      d += "  + " + l + "\n";
    }
  }
  if (!d.empty()) out += section + ":\n" + d;
}

}  // namespace

std::vector<std::string> listTree(const std::filesystem::path& root, const std::string& label) {
  std::vector<std::string> out;
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) {
    out.push_back(label + " absent");
    return out;
  }
  listInto(root, label, out);
  return out;
}

Expected<HostSnapshot> snapshotHost(const std::vector<std::string>& netns_names,
                                    const std::map<std::string, std::filesystem::path>& dirs,
                                    Normaliser& norm) {
  HostSnapshot h;
  for (const auto& name : netns_names) {
    CNI_ASSIGN_OR_RETURN(h.netns[name], snapshotNetns(name, norm));
  }
  for (const auto& [label, dir] : dirs) h.trees[label] = listTree(dir, label);
  return h;
}

std::string diffHost(const HostSnapshot& before, const HostSnapshot& after) {
  std::string out;
  for (const auto& [name, s] : before.netns) {
    auto it = after.netns.find(name);
    if (it == after.netns.end()) {
      out += "netns " + name + ": missing after\n";
      continue;
    }
    std::string d = diffSnapshots(s, it->second, "before", "after");
    if (!d.empty()) out += "netns " + name + ":\n" + d;
  }
  for (const auto& [label, lines] : before.trees) {
    auto it = after.trees.find(label);
    diffLines("files " + label, lines,
              it == after.trees.end() ? std::vector<std::string>{} : it->second, out);
  }
  return out;
}

}  // namespace cni::e2e
