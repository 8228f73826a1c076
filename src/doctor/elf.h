// src/doctor/elf.h — a small, defensive ELF reader for `cnikit doctor`: what the kernel and the
// dynamic loader would need to start a plugin binary (class, byte order, machine, PT_INTERP,
// DT_NEEDED, RUNPATH/RPATH), read from the file without ever running it, plus the loader's
// library search (ld.so.conf, default and multiarch dirs, $ORIGIN).
//
// Plugin dirs hold whatever an installer left there: half-downloaded binaries, the wrong
// architecture, text files. Every offset and size read from the file is checked against the
// file's size and against fixed caps before anything is read or allocated, so a truncated or
// hostile file yields an Error, never a crash or a huge allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::doctor::elf {

// e_machine values we name (the rest print as "machine <n>").
inline constexpr uint16_t kEm386 = 3, kEmMips = 8, kEmPpc = 20, kEmPpc64 = 21, kEmS390 = 22,
                          kEmArm = 40, kEmX86_64 = 62, kEmAarch64 = 183, kEmRiscv = 243,
                          kEmLoongarch = 258;
inline constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;

// A NUL-terminated string of the file and where it starts (tests patch binaries in place).
struct StringAt {
  std::string value;
  uint64_t offset = 0;
};

// What an ELF file says about how it is started.
struct Info {
  bool is64 = false;
  bool little_endian = true;
  uint16_t type = 0;  // e_type
  uint16_t machine = 0;
  uint64_t file_size = 0;
  std::optional<StringAt> interpreter;  // PT_INTERP: a dynamic executable's loader
  bool has_dynamic = false;             // PT_DYNAMIC present
  std::vector<StringAt> needed;         // DT_NEEDED, in order
  std::optional<StringAt> rpath, runpath, soname;
  // The end of the furthest PT_LOAD file image: past file_size means the file was cut short
  // (an interrupted download or copy) and the kernel would fail to map it.
  uint64_t load_end = 0;
  bool truncated() const { return load_end > file_size; }
};

// "\x7f" "ELF" at the start.
bool isElf(std::string_view head);

// Parses an ELF image held in memory / a file (read with pread, never mapped or loaded whole).
Expected<Info> parse(std::string_view bytes);
Expected<Info> parseFile(const std::string& path);

// The machine's name as `uname -m` spells it ("x86_64", "aarch64", "machine 999").
std::string machineName(uint16_t machine);
// "ELF 64-bit aarch64" / "ELF 32-bit big-endian mips".
std::string describe(bool is64, bool little_endian, uint16_t machine);
std::string describe(const Info& i);

// What this build of cnikit is, i.e. what the node runs.
struct Arch {
  bool is64 = true;
  bool little_endian = true;
  uint16_t machine = 0;
};
Arch hostArch();
// How a binary of `i` relates to `host`: same, runnable through a 32-bit compat layer
// (i386 on x86_64, arm on aarch64: needs kernel compat support), or foreign.
enum class ArchMatch { kSame, kCompat, kForeign };
ArchMatch matchArch(const Info& i, const Arch& host);
// The Go architecture name release tarballs use ("amd64", "arm64"), for fix texts.
std::string goArchName(const Arch& a);

// --- the dynamic loader's view -------------------------------------------------------------

// Directories listed by an ld.so.conf file, following `include <glob>` lines (relative globs
// are relative to the including file's directory), in order, without duplicates. A missing
// file gives nothing.
std::vector<std::string> ldSoConfDirs(const std::string& conf_path = "/etc/ld.so.conf");

// The loader's built-in directories for objects of this class and machine: the multiarch
// dirs (/lib/x86_64-linux-gnu...), /lib64, /usr/lib64 for 64-bit, /lib, /usr/lib.
std::vector<std::string> defaultLibDirs(const Info& i);

// One RUNPATH/RPATH entry with $ORIGIN/${ORIGIN} (the object's directory), $LIB/${LIB} and
// $PLATFORM/${PLATFORM} expanded.
std::string expandDst(std::string_view entry, std::string_view origin, const Info& i);

struct MissingLibrary {
  std::string name;                   // the DT_NEEDED name
  std::string needed_by;              // the object naming it (the binary or one of its libraries)
  std::vector<std::string> searched;  // the directories looked in, in order
  std::vector<std::string> skipped;   // files of that name that are the wrong class/machine
};

// Resolves the DT_NEEDED libraries of `path` (already parsed as `info`) as the loader would:
// RPATH (only when there is no RUNPATH), RUNPATH, the ld.so.conf dirs, the default dirs; a
// candidate counts only when it is an ELF of the same class and machine. The libraries found
// are resolved in turn (transitively, each once). Returns what cannot be found.
std::vector<MissingLibrary> missingLibraries(const std::string& path, const Info& info,
                                             const std::vector<std::string>& conf_dirs);

}  // namespace cni::doctor::elf
