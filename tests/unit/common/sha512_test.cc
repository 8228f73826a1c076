// tests/unit/common/sha512_test.cc — SHA-512 against FIPS vectors and sha512sum.
#include "src/common/sha512.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace cni {
namespace {

TEST(Sha512, KnownVectors) {
  EXPECT_EQ(sha512Hex(""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  EXPECT_EQ(sha512Hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(sha512Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

// Every padding boundary (111, 112, 127, 128, 239, 240 bytes...) against the system tool.
TEST(Sha512, MatchesSha512sumAcrossBlockBoundaries) {
  for (size_t n : {1, 55, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000}) {
    std::string data(n, 'x');
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>('a' + i % 26);
    std::string cmd = "printf '%s' '" + data + "' | sha512sum";
    FILE* f = ::popen(cmd.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char buf[256] = {};
    ASSERT_NE(::fgets(buf, sizeof buf, f), nullptr);
    ::pclose(f);
    EXPECT_EQ(sha512Hex(data), std::string(buf, 128)) << "n=" << n;
  }
}

}  // namespace
}  // namespace cni
