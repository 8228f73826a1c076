// tests/testutil/build_info.h — facts about the build tree a test binary belongs to.
#pragma once

namespace cni::testutil {

// The sanitizer tree (scripts/sanitize.sh, -DCNIKIT_SANITIZE=ON): everything runs under ASan +
// UBSan, and the plugin binary is linked dynamically (the sanitizer runtimes cannot be linked
// -static), so tests about the shipped static binary's shape do not apply there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
#else
inline constexpr bool kSanitizerBuild = false;
#endif

}  // namespace cni::testutil
