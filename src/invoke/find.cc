// src/invoke/find.cc — plugin lookup on CNI_PATH, with Go's FindInPath semantics and error texts.
#include "src/invoke/find.h"

#include <sys/stat.h>

#include "src/spec/go_text.h"

namespace cni::invoke {
namespace {

// Go's path.Clean for '/'-separated paths: collapse "//", drop ".", resolve ".." lexically
// (".." at the root stays at the root, leading ".." of relative paths are kept).
std::string goClean(std::string_view p) {
  if (p.empty()) return ".";
  const bool rooted = p.front() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view elem = p.substr(i, j - i);
    i = j + 1;
    if (elem.empty() || elem == ".") continue;
    if (elem == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(elem);
      }
      continue;
    }
    parts.push_back(elem);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

}  // namespace

std::string goJoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return name.empty() ? std::string() : goClean(name);
  std::string joined(dir);
  joined += '/';
  joined += name;
  return goClean(joined);
}

Expected<std::string> findInPath(std::string_view plugin, const std::vector<std::string>& paths) {
  if (plugin.empty()) return fail(ErrorCode::kInternal, "no plugin name provided");
  if (plugin.find('/') != std::string_view::npos) {
    return fail(ErrorCode::kInternal, "invalid plugin name: " + std::string(plugin));
  }
  if (paths.empty()) return fail(ErrorCode::kInternal, "no paths provided");
  for (const std::string& dir : paths) {
    std::string full = goJoinPath(dir, plugin);
    struct stat st;
    if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return full;
  }
  return fail(ErrorCode::kInternal, "failed to find plugin " + spec::goQuote(plugin) + " in path " +
                                        spec::goPlainList(paths));
}

std::vector<std::string> splitPath(std::string_view cni_path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= cni_path.size()) {
    size_t j = cni_path.find(':', i);
    if (j == std::string_view::npos) j = cni_path.size();
    if (j > i) out.emplace_back(cni_path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string joinPath(const std::vector<std::string>& paths) {
  std::string out;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i) out += ':';
    out += paths[i];
  }
  return out;
}

}  // namespace cni::invoke
