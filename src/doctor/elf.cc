// src/doctor/elf.cc — the ELF reader and the loader's library search (see elf.h).
//
// Only the few structures the kernel and ld.so use to start a program are read: the ELF header,
// the program headers, PT_INTERP, PT_DYNAMIC and the dynamic string table it points to (found
// through the PT_LOAD mapping, as the loader does; section headers may be stripped). Every read
// goes through Source::read, which refuses anything outside the file.
#include "src/doctor/elf.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>

#include "src/common/unique_fd.h"

namespace cni::doctor::elf {
namespace {

// Caps on what a file may make us read: far above any real binary, far below harm.
constexpr uint64_t kMaxPhnum = 4096;
constexpr uint64_t kMaxPhentsize = 256;
constexpr uint64_t kMaxInterp = 4096;
constexpr uint64_t kMaxDynamicBytes = 1 << 20;
constexpr size_t kMaxString = 4096;
constexpr size_t kMaxNeeded = 1024;
constexpr size_t kMaxLibraries = 256;  // objects visited by missingLibraries
constexpr int kMaxIncludeDepth = 8;

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr uint64_t kDtNull = 0, kDtNeeded = 1, kDtStrtab = 5, kDtStrsz = 10, kDtSoname = 14,
                   kDtRpath = 15, kDtRunpath = 29;

// Random access to the bytes of an ELF image.
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // Exactly n bytes at off into out; false when any of them lies outside the file.
  virtual bool read(uint64_t off, size_t n, unsigned char* out) const = 0;

  bool contains(uint64_t off, uint64_t n) const { return off <= size() && n <= size() - off; }
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view b) : bytes_(b) {}
  uint64_t size() const override { return bytes_.size(); }
  bool read(uint64_t off, size_t n, unsigned char* out) const override {
    if (!contains(off, n)) return false;
    if (n == 0) return true;  // (memcpy from an empty view's null data() is undefined: UBSan)
    std::memcpy(out, bytes_.data() + off, n);
    return true;
  }

 private:
  std::string_view bytes_;
};

class FileSource : public Source {
 public:
  FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  uint64_t size() const override { return size_; }
  bool read(uint64_t off, size_t n, unsigned char* out) const override {
    if (!contains(off, n)) return false;
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(off + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;  // shrank under us, or an I/O error
      done += static_cast<size_t>(got);
    }
    return true;
  }

 private:
  int fd_;
  uint64_t size_;
};

uint64_t decode(const unsigned char* p, size_t n, bool le) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= static_cast<uint64_t>(le ? p[i] : p[n - 1 - i]) << (8 * i);
  }
  return v;
}

std::unexpected<Error> bad(std::string msg) {
  return fail(ErrorCode::kDecodingFailure, std::move(msg));
}

struct Load {
  uint64_t offset, vaddr, filesz;
};

// A NUL-terminated string at off, which must end before `end` (and within kMaxString).
Expected<StringAt> readString(const Source& s, uint64_t off, uint64_t end, std::string_view what) {
  end = std::min(end, s.size());
  if (off >= end) return bad(std::string(what) + " lies outside the file");
  StringAt out{.value = {}, .offset = off};
  unsigned char chunk[256];
  uint64_t at = off;
  while (at < end && out.value.size() <= kMaxString) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof chunk, end - at));
    if (!s.read(at, n, chunk)) return bad("cannot read " + std::string(what));
    const void* nul = std::memchr(chunk, 0, n);
    if (nul != nullptr) {
      out.value.append(reinterpret_cast<const char*>(chunk),
                       static_cast<const unsigned char*>(nul) - chunk);
      return out;
    }
    out.value.append(reinterpret_cast<const char*>(chunk), n);
    at += n;
  }
  return bad(std::string(what) + " is not NUL-terminated");
}

Expected<Info> parseSource(const Source& s) {
  Info info;
  info.file_size = s.size();
  unsigned char ident[16];
  if (!s.read(0, sizeof ident, ident)) {
    return bad("truncated ELF: " + std::to_string(s.size()) + " bytes, shorter than its header");
  }
  if (!isElf(std::string_view(reinterpret_cast<const char*>(ident), 4))) return bad("not an ELF");
  if (ident[4] != 1 && ident[4] != 2) return bad("unknown ELF class " + std::to_string(ident[4]));
  if (ident[5] != 1 && ident[5] != 2) {
    return bad("unknown ELF byte order " + std::to_string(ident[5]));
  }
  info.is64 = ident[4] == 2;
  info.little_endian = ident[5] == 1;
  const bool w = info.is64, le = info.little_endian;
  const size_t ehsize = w ? 64 : 52, word = w ? 8 : 4;

  unsigned char eh[64];
  if (!s.read(0, ehsize, eh)) {
    return bad("truncated ELF: " + std::to_string(s.size()) + " bytes, its header needs " +
               std::to_string(ehsize));
  }
  info.type = static_cast<uint16_t>(decode(eh + 16, 2, le));
  info.machine = static_cast<uint16_t>(decode(eh + 18, 2, le));
  const uint64_t phoff = decode(eh + (w ? 32 : 28), word, le);
  const uint64_t phentsize = decode(eh + (w ? 54 : 42), 2, le);
  const uint64_t phnum = decode(eh + (w ? 56 : 44), 2, le);
  const uint64_t phmin = w ? 56 : 32;
  if (phnum == 0) return info;  // nothing to start it with; the caller judges e_type
  if (phnum > kMaxPhnum) return bad("too many program headers (" + std::to_string(phnum) + ")");
  if (phentsize < phmin || phentsize > kMaxPhentsize) {
    return bad("bad program header size " + std::to_string(phentsize));
  }
  if (!s.contains(phoff, phnum * phentsize)) {
    return bad("truncated ELF: program headers at " + std::to_string(phoff) + " lie past the end");
  }

  std::vector<Load> loads;
  std::optional<Load> dynamic;
  std::vector<unsigned char> ph(phentsize);
  for (uint64_t k = 0; k < phnum; ++k) {
    if (!s.read(phoff + k * phentsize, phentsize, ph.data())) return bad("cannot read phdr");
    const unsigned char* p = ph.data();
    const uint32_t type = static_cast<uint32_t>(decode(p, 4, le));
    const uint64_t offset = decode(p + (w ? 8 : 4), word, le);
    const uint64_t vaddr = decode(p + (w ? 16 : 8), word, le);
    const uint64_t filesz = decode(p + (w ? 32 : 16), word, le);
    if (offset > UINT64_MAX - filesz) return bad("segment size overflows");
    if (type == kPtLoad) {
      loads.push_back({offset, vaddr, filesz});
      info.load_end = std::max(info.load_end, offset + filesz);
    } else if (type == kPtInterp) {
      if (filesz == 0 || filesz > kMaxInterp) return bad("bad PT_INTERP size");
      if (!s.contains(offset, filesz)) return bad("truncated ELF: PT_INTERP lies past the end");
      CNI_ASSIGN_OR_RETURN(info.interpreter, readString(s, offset, offset + filesz, "PT_INTERP"));
    } else if (type == kPtDynamic) {
      if (!s.contains(offset, filesz)) return bad("truncated ELF: PT_DYNAMIC lies past the end");
      dynamic = Load{offset, vaddr, std::min(filesz, kMaxDynamicBytes)};
    }
  }
  if (!dynamic) return info;
  info.has_dynamic = true;

  // The dynamic entries: (tag, value) pairs of the word size, up to DT_NULL.
  std::vector<unsigned char> dyn(static_cast<size_t>(dynamic->filesz));
  if (!s.read(dynamic->offset, dyn.size(), dyn.data())) return bad("cannot read PT_DYNAMIC");
  std::optional<uint64_t> strtab, strsz;
  std::vector<std::pair<uint64_t, uint64_t>> strings;  // (tag, string offset)
  for (size_t at = 0; at + 2 * word <= dyn.size(); at += 2 * word) {
    const uint64_t tag = decode(dyn.data() + at, word, le);
    const uint64_t val = decode(dyn.data() + at + word, word, le);
    if (tag == kDtNull) break;
    if (tag == kDtStrtab) strtab = val;
    if (tag == kDtStrsz) strsz = val;
    if (tag == kDtNeeded || tag == kDtRpath || tag == kDtRunpath || tag == kDtSoname) {
      if (strings.size() >= kMaxNeeded) return bad("too many dynamic entries");
      strings.emplace_back(tag, val);
    }
  }
  if (strings.empty()) return info;
  if (!strtab) return bad("dynamic section has strings but no DT_STRTAB");
  // DT_STRTAB is an address: map it to the file through the PT_LOAD segment holding it.
  std::optional<uint64_t> str_off;
  for (const auto& l : loads) {
    if (*strtab >= l.vaddr && *strtab - l.vaddr < l.filesz)
      str_off = l.offset + (*strtab - l.vaddr);
  }
  if (!str_off) return bad("DT_STRTAB address is not in a loaded segment");
  const uint64_t str_end = strsz && *strsz <= UINT64_MAX - *str_off ? *str_off + *strsz : s.size();
  for (const auto& [tag, val] : strings) {
    if (val > UINT64_MAX - *str_off) return bad("dynamic string offset overflows");
    CNI_ASSIGN_OR_RETURN(StringAt str, readString(s, *str_off + val, str_end, "dynamic string"));
    if (tag == kDtNeeded) info.needed.push_back(std::move(str));
    if (tag == kDtRpath) info.rpath = std::move(str);
    if (tag == kDtRunpath) info.runpath = std::move(str);
    if (tag == kDtSoname) info.soname = std::move(str);
  }
  return info;
}

std::vector<std::string> splitAny(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find_first_of(seps, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void confDirs(const std::string& path, int depth, std::vector<std::string>& out) {
  if (depth > kMaxIncludeDepth) return;
  std::ifstream in(path);
  std::string line;
  const std::string base = std::filesystem::path(path).parent_path().string();
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto words = splitAny(line, " \t\r");
    if (words.empty()) continue;
    if (words[0] == "include") {
      for (size_t k = 1; k < words.size(); ++k) {
        std::string pattern = words[k].starts_with('/') ? words[k] : base + "/" + words[k];
        glob_t g{};
        if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
          for (size_t m = 0; m < g.gl_pathc; ++m) confDirs(g.gl_pathv[m], depth + 1, out);
        }
        ::globfree(&g);
      }
      continue;
    }
    if (words[0] == "hwcap") continue;
    // ldconfig also accepts several directories on a line, separated by ':' or ','.
    for (const auto& w : words) {
      for (auto d : splitAny(w, ":,")) {
        if (auto eq = d.find('='); eq != std::string::npos) d.resize(eq);  // old "dir=TYPE"
        while (d.size() > 1 && d.back() == '/') d.pop_back();
        if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
      }
    }
  }
}

std::vector<std::string> triplets(const Info& i) {
  switch (i.machine) {
    case kEmX86_64:
      return {i.is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32"};
    case kEm386:
      return {"i386-linux-gnu"};
    case kEmAarch64:
      return {"aarch64-linux-gnu"};
    case kEmArm:
      return {"arm-linux-gnueabihf", "arm-linux-gnueabi"};
    case kEmPpc64:
      return {i.little_endian ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu"};
    case kEmS390:
      return {"s390x-linux-gnu"};
    case kEmRiscv:
      return {"riscv64-linux-gnu"};
    case kEmLoongarch:
      return {"loongarch64-linux-gnu"};
    default:
      return {};
  }
}

std::string dirOf(const std::string& path) {
  std::error_code ec;
  auto real = std::filesystem::weakly_canonical(path, ec);
  return (ec ? std::filesystem::path(path) : real).parent_path().string();
}

}  // namespace

bool isElf(std::string_view head) {
  return head.size() >= 4 && head.substr(0, 4) ==
                                 "\x7f"
                                 "ELF";
}

Expected<Info> parse(std::string_view bytes) { return parseSource(MemorySource(bytes)); }

Expected<Info> parseFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return failErrno(ErrorCode::kIoFailure, "open " + path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failErrno(ErrorCode::kIoFailure, "stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kIoFailure, path + " is not a regular file");
  return parseSource(FileSource(fd.get(), static_cast<uint64_t>(st.st_size)));
}

std::string machineName(uint16_t m) {
  switch (m) {
    case kEm386:
      return "i386";
    case kEmMips:
      return "mips";
    case kEmPpc:
      return "ppc";
    case kEmPpc64:
      return "ppc64";
    case kEmS390:
      return "s390x";
    case kEmArm:
      return "arm";
    case kEmX86_64:
      return "x86_64";
    case kEmAarch64:
      return "aarch64";
    case kEmRiscv:
      return "riscv";
    case kEmLoongarch:
      return "loongarch";
    default:
      return "machine " + std::to_string(m);
  }
}

std::string describe(bool is64, bool little_endian, uint16_t machine) {
  std::string out = std::string("ELF ") + (is64 ? "64" : "32") + "-bit ";
  // Most machines are little-endian only: name the byte order only when it is unusual.
  const bool be_usual = machine == kEmS390 || machine == kEmMips || machine == kEmPpc;
  if (!little_endian && !be_usual) out += "big-endian ";
  if (little_endian && be_usual) out += "little-endian ";
  return out + machineName(machine);
}

std::string describe(const Info& i) { return describe(i.is64, i.little_endian, i.machine); }

Arch hostArch() {
  Arch a;
  a.is64 = sizeof(void*) == 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  a.little_endian = false;
#endif
#if defined(__x86_64__)
  a.machine = kEmX86_64;
#elif defined(__i386__)
  a.machine = kEm386;
#elif defined(__aarch64__)
  a.machine = kEmAarch64;
#elif defined(__arm__)
  a.machine = kEmArm;
#elif defined(__powerpc64__)
  a.machine = kEmPpc64;
#elif defined(__s390x__)
  a.machine = kEmS390;
#elif defined(__riscv)
  a.machine = kEmRiscv;
#elif defined(__loongarch__)
  a.machine = kEmLoongarch;
#elif defined(__mips__)
  a.machine = kEmMips;
#endif
  return a;
}

ArchMatch matchArch(const Info& i, const Arch& host) {
  if (i.is64 == host.is64 && i.little_endian == host.little_endian && i.machine == host.machine) {
    return ArchMatch::kSame;
  }
  const bool compat = host.is64 && !i.is64 && i.little_endian == host.little_endian &&
                      ((host.machine == kEmX86_64 && i.machine == kEm386) ||
                       (host.machine == kEmAarch64 && i.machine == kEmArm));
  return compat ? ArchMatch::kCompat : ArchMatch::kForeign;
}

std::string goArchName(const Arch& a) {
  switch (a.machine) {
    case kEmX86_64:
      return "amd64";
    case kEm386:
      return "386";
    case kEmAarch64:
      return "arm64";
    case kEmArm:
      return "arm";
    case kEmPpc64:
      return a.little_endian ? "ppc64le" : "ppc64";
    case kEmS390:
      return "s390x";
    case kEmRiscv:
      return "riscv64";
    case kEmLoongarch:
      return "loong64";
    case kEmMips:
      return a.little_endian ? (a.is64 ? "mips64le" : "mipsle") : (a.is64 ? "mips64" : "mips");
    default:
      return machineName(a.machine);
  }
}

std::vector<std::string> ldSoConfDirs(const std::string& conf_path) {
  std::vector<std::string> out;
  confDirs(conf_path, 0, out);
  return out;
}

std::vector<std::string> defaultLibDirs(const Info& i) {
  std::vector<std::string> out;
  for (const auto& t : triplets(i)) {
    out.push_back("/lib/" + t);
    out.push_back("/usr/lib/" + t);
  }
  if (i.is64) {
    out.insert(out.end(), {"/lib64", "/usr/lib64"});
  } else {
    out.insert(out.end(), {"/lib32", "/usr/lib32"});
  }
  out.insert(out.end(), {"/lib", "/usr/lib"});
  return out;
}

std::string expandDst(std::string_view entry, std::string_view origin, const Info& i) {
  const std::pair<std::string_view, std::string> vars[] = {{"ORIGIN", std::string(origin)},
                                                           {"LIB", i.is64 ? "lib64" : "lib"},
                                                           {"PLATFORM", machineName(i.machine)}};
  std::string out;
  for (size_t k = 0; k < entry.size();) {
    if (entry[k] != '$') {
      out += entry[k++];
      continue;
    }
    bool done = false;
    for (const auto& [name, value] : vars) {
      std::string_view rest = entry.substr(k + 1);
      const std::string braced = "{" + std::string(name) + "}";
      if (rest.starts_with(braced)) {
        out += value;
        k += 1 + braced.size();
        done = true;
      } else if (rest.starts_with(name) &&
                 (rest.size() == name.size() ||
                  !(std::isalnum(static_cast<unsigned char>(rest[name.size()])) ||
                    rest[name.size()] == '_'))) {
        out += value;
        k += 1 + name.size();
        done = true;
      }
      if (done) break;
    }
    if (!done) out += entry[k++];
  }
  return out;
}

std::vector<MissingLibrary> missingLibraries(const std::string& path, const Info& info,
                                             const std::vector<std::string>& conf_dirs) {
  struct Object {
    std::string path;
    Info info;
  };
  std::vector<MissingLibrary> missing;
  std::set<std::string> seen;  // DT_NEEDED names already resolved (or found missing)
  std::deque<Object> queue{{path, info}};
  // RPATH of the executable also applies to the libraries it loads (unless they have RUNPATH).
  std::vector<std::string> exe_rpath;
  if (info.rpath && !info.runpath) {
    for (const auto& e : splitAny(info.rpath->value, ":")) {
      exe_rpath.push_back(expandDst(e, dirOf(path), info));
    }
  }
  size_t visited = 0;
  while (!queue.empty() && visited++ < kMaxLibraries) {
    Object obj = std::move(queue.front());
    queue.pop_front();
    const std::string origin = dirOf(obj.path);
    std::vector<std::string> dirs;
    if (!obj.info.runpath) {
      if (obj.info.rpath) {
        for (const auto& e : splitAny(obj.info.rpath->value, ":")) {
          dirs.push_back(expandDst(e, origin, obj.info));
        }
      }
      dirs.insert(dirs.end(), exe_rpath.begin(), exe_rpath.end());
    } else {
      for (const auto& e : splitAny(obj.info.runpath->value, ":")) {
        dirs.push_back(expandDst(e, origin, obj.info));
      }
    }
    dirs.insert(dirs.end(), conf_dirs.begin(), conf_dirs.end());
    for (auto& d : defaultLibDirs(obj.info)) dirs.push_back(std::move(d));
    // Keep the first occurrence of each directory (the order is the search order).
    std::vector<std::string> uniq;
    for (auto& d : dirs) {
      if (std::find(uniq.begin(), uniq.end(), d) == uniq.end()) uniq.push_back(std::move(d));
    }

    for (const auto& need : obj.info.needed) {
      const std::string& name = need.value;
      if (!seen.insert(name).second) continue;
      std::vector<std::string> candidates;
      if (name.find('/') != std::string::npos) {
        candidates.push_back(name);
      } else {
        for (const auto& d : uniq) candidates.push_back(d + "/" + name);
      }
      MissingLibrary m{.name = name, .needed_by = obj.path, .searched = {}, .skipped = {}};
      std::optional<Object> found;
      for (const auto& cand : candidates) {
        struct stat st {};
        if (::stat(cand.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        auto lib = parseFile(cand);
        if (!lib) {
          m.skipped.push_back(cand + " (" + lib.error().msg + ")");
        } else if (lib->is64 != obj.info.is64 || lib->machine != obj.info.machine ||
                   lib->little_endian != obj.info.little_endian) {
          m.skipped.push_back(cand + " (" + describe(*lib) + ")");
        } else {
          found = Object{cand, std::move(*lib)};
          break;
        }
      }
      if (found) {
        queue.push_back(std::move(*found));
      } else {
        m.searched = name.find('/') != std::string::npos ? candidates : uniq;
        missing.push_back(std::move(m));
      }
    }
  }
  return missing;
}

}  // namespace cni::doctor::elf
