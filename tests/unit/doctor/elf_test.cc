// tests/unit/doctor/elf_test.cc — the doctor's ELF reader: real binaries of this machine (the
// test itself, /bin/ls, our static plugin), hand-made images in all four class/byte-order
// combinations, and truncated, garbage and hostile files that must give a clean error.
#include "src/doctor/elf.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/testutil/build_info.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/doctor/broken_node.h"

namespace cni::doctor::elf {
namespace {

namespace fs = std::filesystem;
using testutil::readFile;
using testutil::TempDir;

void put(std::string& b, size_t off, uint64_t v, size_t n, bool le) {
  for (size_t i = 0; i < n; ++i) {
    b[off + (le ? i : n - 1 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

// A minimal program image: ELF header, PT_LOAD over the whole file, optional PT_INTERP and
// PT_DYNAMIC with DT_NEEDED / DT_RUNPATH / DT_RPATH strings.
struct MiniElf {
  bool is64 = true, le = true;
  uint16_t machine = kEmX86_64, type = kEtDyn;
  std::string interp;
  std::vector<std::string> needed;
  std::string runpath, rpath;

  std::string build() const {
    const size_t eh = is64 ? 64 : 52, phe = is64 ? 56 : 32, word = is64 ? 8 : 4;
    const bool dyn = !needed.empty() || !runpath.empty() || !rpath.empty();
    const size_t phnum = 1 + (interp.empty() ? 0 : 1) + (dyn ? 1 : 0);
    std::string strtab(1, '\0');
    std::vector<std::pair<uint64_t, uint64_t>> tags;
    auto addStr = [&](uint64_t tag, const std::string& s) {
      tags.emplace_back(tag, strtab.size());
      strtab += s + '\0';
    };
    for (const auto& n : needed) addStr(1, n);
    if (!runpath.empty()) addStr(29, runpath);
    if (!rpath.empty()) addStr(15, rpath);
    const uint64_t base = 0x10000;
    const size_t interp_off = eh + phnum * phe;
    const size_t str_off = interp_off + interp.size() + 1;
    const size_t dyn_off = (str_off + strtab.size() + 7) / 8 * 8;
    tags.emplace_back(5, base + str_off);
    tags.emplace_back(10, strtab.size());
    tags.emplace_back(0, 0);
    const size_t total = dyn_off + (dyn ? tags.size() * 2 * word : 0);

    std::string b(total, '\0');
    b.replace(0, 4,
              "\x7f"
              "ELF");
    b[4] = is64 ? 2 : 1;
    b[5] = le ? 1 : 2;
    b[6] = 1;
    put(b, 16, type, 2, le);
    put(b, 18, machine, 2, le);
    put(b, 20, 1, 4, le);
    put(b, is64 ? 32 : 28, eh, word, le);  // e_phoff
    put(b, is64 ? 52 : 40, eh, 2, le);     // e_ehsize
    put(b, is64 ? 54 : 42, phe, 2, le);    // e_phentsize
    put(b, is64 ? 56 : 44, phnum, 2, le);  // e_phnum
    size_t ph = eh;
    auto phdr = [&](uint32_t t, uint64_t off, uint64_t size) {
      put(b, ph, t, 4, le);
      put(b, ph + (is64 ? 8 : 4), off, word, le);
      put(b, ph + (is64 ? 16 : 8), base + off, word, le);
      put(b, ph + (is64 ? 32 : 16), size, word, le);
      put(b, ph + (is64 ? 40 : 20), size, word, le);
      ph += phe;
    };
    phdr(1, 0, total);
    if (!interp.empty()) phdr(3, interp_off, interp.size() + 1);
    if (dyn) phdr(2, dyn_off, tags.size() * 2 * word);
    b.replace(interp_off, interp.size(), interp);
    b.replace(str_off, strtab.size(), strtab);
    if (dyn) {
      for (size_t k = 0; k < tags.size(); ++k) {
        put(b, dyn_off + k * 2 * word, tags[k].first, word, le);
        put(b, dyn_off + k * 2 * word + word, tags[k].second, word, le);
      }
    }
    return b;
  }
};

std::string writeFile(const fs::path& p, const std::string& bytes, int mode = 0755) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
  return p.string();
}

TEST(DoctorElf, ReadsTheTestBinaryItself) {
  auto i = parseFile("/proc/self/exe");
  ASSERT_TRUE(i) << i.error().msg;
  EXPECT_EQ(matchArch(*i, hostArch()), ArchMatch::kSame);
  EXPECT_FALSE(i->truncated());
  ASSERT_TRUE(i->interpreter.has_value());  // gtest binaries are dynamic
  EXPECT_TRUE(fs::exists(i->interpreter->value)) << i->interpreter->value;
  bool libc = false;
  for (const auto& n : i->needed) libc = libc || n.value.starts_with("libc.so");
  EXPECT_TRUE(libc);
  // This machine runs it, so the loader finds everything.
  auto missing = missingLibraries("/proc/self/exe", *i, ldSoConfDirs());
  EXPECT_TRUE(missing.empty()) << missing[0].name;
}

TEST(DoctorElf, StringOffsetsPointAtTheBytesInTheFile) {
  auto i = parseFile("/bin/ls");
  ASSERT_TRUE(i) << i.error().msg;
  const std::string bytes = readFile("/bin/ls");
  ASSERT_TRUE(i->interpreter);
  EXPECT_EQ(bytes.substr(i->interpreter->offset, i->interpreter->value.size()),
            i->interpreter->value);
  ASSERT_FALSE(i->needed.empty());
  for (const auto& n : i->needed) {
    EXPECT_EQ(bytes.substr(n.offset, n.value.size() + 1), n.value + '\0');
  }
  // The same answer from memory and from the file.
  auto m = parse(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->needed.size(), i->needed.size());
  EXPECT_EQ(m->load_end, i->load_end);
  EXPECT_EQ(i->file_size, bytes.size());
}

TEST(DoctorElf, StaticPluginHasNoInterpreterNorLibraries) {
  if (testutil::kSanitizerBuild) GTEST_SKIP() << "the sanitizer tree links the plugin dynamically";
  auto i = parseFile(doctortest::ourPluginBinary());
  ASSERT_TRUE(i) << i.error().msg;
  EXPECT_FALSE(i->interpreter.has_value());
  EXPECT_TRUE(i->needed.empty());
  EXPECT_EQ(matchArch(*i, hostArch()), ArchMatch::kSame);
  EXPECT_FALSE(i->truncated());
}

TEST(DoctorElf, AllClassesAndByteOrders) {
  for (bool is64 : {true, false}) {
    for (bool le : {true, false}) {
      MiniElf m{.is64 = is64, .le = le, .machine = le ? kEmAarch64 : kEmS390};
      m.interp = "/lib/ld-test.so.1";
      m.needed = {"libfoo.so.1", "libbar.so.2"};
      m.runpath = "$ORIGIN/../lib";
      const std::string b = m.build();
      auto i = parse(b);
      ASSERT_TRUE(i) << is64 << le << ": " << i.error().msg;
      EXPECT_EQ(i->is64, is64);
      EXPECT_EQ(i->little_endian, le);
      EXPECT_EQ(i->machine, m.machine);
      EXPECT_EQ(i->type, kEtDyn);
      ASSERT_TRUE(i->interpreter);
      EXPECT_EQ(i->interpreter->value, "/lib/ld-test.so.1");
      ASSERT_EQ(i->needed.size(), 2u);
      EXPECT_EQ(i->needed[0].value, "libfoo.so.1");
      EXPECT_EQ(i->needed[1].value, "libbar.so.2");
      EXPECT_EQ(b.substr(i->needed[1].offset, 11), "libbar.so.2");
      ASSERT_TRUE(i->runpath);
      EXPECT_EQ(i->runpath->value, "$ORIGIN/../lib");
      EXPECT_FALSE(i->rpath);
      EXPECT_EQ(i->load_end, b.size());
    }
  }
  EXPECT_EQ(describe(true, true, kEmAarch64), "ELF 64-bit aarch64");
  EXPECT_EQ(describe(false, false, kEmArm), "ELF 32-bit big-endian arm");
  EXPECT_EQ(describe(true, false, kEmS390), "ELF 64-bit s390x");
  EXPECT_EQ(machineName(999), "machine 999");
}

TEST(DoctorElf, EveryTruncationIsACleanErrorOrFlaggedTruncated) {
  MiniElf m;
  m.interp = "/lib64/ld.so";
  m.needed = {"libc.so.6"};
  const std::string small = m.build();
  for (size_t n = 0; n < small.size(); ++n) {
    auto i = parse(std::string_view(small).substr(0, n));
    EXPECT_TRUE(!i || i->truncated()) << "cut at " << n;
  }
  EXPECT_FALSE(parse("").has_value());
  auto header = parse(std::string_view(small).substr(0, 40));
  ASSERT_FALSE(header);
  EXPECT_NE(header.error().msg.find("truncated ELF"), std::string::npos);

  // A real binary cut in half (an interrupted download) parses as truncated.
  const std::string ls = readFile("/bin/ls");
  auto half = parse(std::string_view(ls).substr(0, ls.size() / 2));
  EXPECT_TRUE(!half || half->truncated());
  for (size_t n : {size_t{16}, size_t{63}, size_t{64}, size_t{100}, size_t{1000}}) {
    auto i = parse(std::string_view(ls).substr(0, n));
    EXPECT_TRUE(!i || i->truncated()) << "cut at " << n;
  }
}

TEST(DoctorElf, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  MiniElf m;
  m.interp = "/lib64/ld.so";
  m.needed = {"libc.so.6", "libm.so.6"};
  m.runpath = "/opt/lib";
  const std::string good = m.build();
  for (int round = 0; round < 20000; ++round) {
    std::string b = good;
    // Flip a few random bytes past the magic: offsets, counts, tags all get hostile values.
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) b[4 + rng() % (b.size() - 4)] = static_cast<char>(rng());
    auto i = parse(b);
    if (i) {
      EXPECT_LE(i->needed.size(), 1024u);
      if (i->interpreter) {
        EXPECT_LE(i->interpreter->value.size(), 4096u);
      }
    }
  }
  std::string noise(4096, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  EXPECT_FALSE(parse(noise).has_value());
  auto not_elf = parse("#!/bin/sh\necho hi\n");
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.error().msg, "not an ELF");
}

TEST(DoctorElf, HostileHeadersAreRefusedBeforeAllocating) {
  MiniElf m;
  m.needed = {"libc.so.6"};
  std::string b = m.build();
  {
    std::string h = b;
    put(h, 56, 0xffff, 2, true);  // e_phnum
    auto i = parse(h);
    ASSERT_FALSE(i);
    EXPECT_NE(i.error().msg.find("too many program headers"), std::string::npos);
  }
  {
    std::string h = b;
    put(h, 32, 0xfffffffffffff000ull, 8, true);  // e_phoff near the end of the address space
    EXPECT_FALSE(parse(h).has_value());
  }
  {
    std::string h = b;
    put(h, 54, 0xffff, 2, true);  // e_phentsize
    EXPECT_FALSE(parse(h).has_value());
  }
  {
    // PT_DYNAMIC (the second program header here) claiming 1 TiB.
    std::string h = b;
    put(h, 64 + 56 + 32, 1ull << 40, 8, true);
    auto i = parse(h);
    ASSERT_FALSE(i);
    EXPECT_NE(i.error().msg.find("PT_DYNAMIC"), std::string::npos);
  }
  {
    // PT_INTERP whose string runs to the end of its segment without a NUL.
    MiniElf u;
    u.interp = "/x";
    std::string h = u.build();
    h[64 + 2 * 56 + 2] = 'z';
    auto i = parse(h);
    ASSERT_FALSE(i);
    EXPECT_NE(i.error().msg.find("NUL"), std::string::npos);
  }
}

TEST(DoctorElf, LdSoConfFollowsIncludeGlobs) {
  TempDir d;
  writeFile(d.path() / "ld.so.conf",
            "# comment\ninclude ld.so.conf.d/*.conf\n/usr/local/lib/\n/opt/a:/opt/b,/opt/c\n",
            0644);
  writeFile(d.path() / "ld.so.conf.d/b.conf", "/opt/from-b # trailing\n/usr/local/lib\n", 0644);
  writeFile(d.path() / "ld.so.conf.d/a.conf", "/opt/from-a\nhwcap 0 nosegneg\n", 0644);
  writeFile(d.path() / "ld.so.conf.d/ignored.txt", "/opt/nope\n", 0644);
  auto dirs = ldSoConfDirs((d.path() / "ld.so.conf").string());
  EXPECT_EQ(dirs, (std::vector<std::string>{"/opt/from-a", "/opt/from-b", "/usr/local/lib",
                                            "/opt/a", "/opt/b", "/opt/c"}));
  EXPECT_TRUE(ldSoConfDirs((d.path() / "missing.conf").string()).empty());
}

TEST(DoctorElf, ExpandsDynamicStringTokens) {
  Info i64;
  i64.is64 = true;
  i64.machine = kEmX86_64;
  EXPECT_EQ(expandDst("$ORIGIN/../lib", "/opt/cni/bin", i64), "/opt/cni/bin/../lib");
  EXPECT_EQ(expandDst("${ORIGIN}/x:$LIB", "/o", i64), "/o/x:lib64");
  EXPECT_EQ(expandDst("$ORIGINAL/$PLATFORM", "/o", i64), "$ORIGINAL/x86_64");
  EXPECT_EQ(expandDst("/plain", "/o", i64), "/plain");
}

TEST(DoctorElf, MissingLibrariesFollowRunpathAndRecurse) {
  TempDir d;
  const Arch h = hostArch();
  MiniElf exe{.is64 = h.is64, .le = h.little_endian, .machine = h.machine, .type = kEtDyn};
  exe.needed = {"libcnikit-test-foo.so.1", "libcnikit-test-bar.so.2"};
  exe.runpath = "$ORIGIN/../lib";
  const std::string exe_path = writeFile(d.path() / "bin/plugin", exe.build());
  // libfoo is there and needs libbaz, which is not.
  MiniElf foo = exe;
  foo.needed = {"libcnikit-test-baz.so.9"};
  foo.runpath.clear();
  const std::string foo_path = writeFile(d.path() / "lib/libcnikit-test-foo.so.1", foo.build());
  // libbar is there but 32-bit when the plugin is 64-bit (or the reverse): the loader skips it.
  MiniElf bar = exe;
  bar.is64 = !h.is64;
  bar.needed.clear();
  bar.runpath.clear();
  writeFile(d.path() / "lib/libcnikit-test-bar.so.2", bar.build());

  auto info = parseFile(exe_path);
  ASSERT_TRUE(info) << info.error().msg;
  auto missing = missingLibraries(exe_path, *info, {});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].name, "libcnikit-test-bar.so.2");
  EXPECT_EQ(missing[0].needed_by, exe_path);
  ASSERT_FALSE(missing[0].searched.empty());
  const fs::path real = fs::canonical(d.path());  // $ORIGIN is the binary's real directory
  EXPECT_EQ(missing[0].searched[0], (real / "bin/../lib").string());
  ASSERT_EQ(missing[0].skipped.size(), 1u);
  EXPECT_NE(missing[0].skipped[0].find(h.is64 ? "ELF 32-bit" : "ELF 64-bit"), std::string::npos);
  EXPECT_EQ(missing[1].name, "libcnikit-test-baz.so.9");
  EXPECT_EQ(missing[1].needed_by, (real / "bin/../lib/libcnikit-test-foo.so.1").string());
  EXPECT_TRUE(fs::equivalent(missing[1].needed_by, foo_path));

  // With a conf dir holding libbaz and a right-class libbar, nothing is missing.
  MiniElf leaf = exe;
  leaf.needed.clear();
  leaf.runpath.clear();
  writeFile(d.path() / "extra/libcnikit-test-baz.so.9", leaf.build());
  writeFile(d.path() / "extra/libcnikit-test-bar.so.2", leaf.build());
  EXPECT_TRUE(missingLibraries(exe_path, *info, {(d.path() / "extra").string()}).empty());
}

}  // namespace
}  // namespace cni::doctor::elf
