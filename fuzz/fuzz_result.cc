// fuzz/fuzz_result.cc — libFuzzer target: what a runtime decodes from a plugin's stdout, and
// every conversion between spec versions (src/spec/result.h, src/spec/error_json.h), plus the
// result cache entries libcnikit reads back from disk (src/libcni/cache.h).
//
// Input: the version to decode as (any text: known, "", unknown) up to the first newline, then
// the text. The text is decoded as a result of its own cniVersion (parseResult), as a
// result of the chosen version (parseResultAs, what libcni does with a plugin's output), as the
// prevResult of a config, as a plugin error object, and as a cniCacheV1 entry.
//
// Invariants (abort = bug): failures carry code 1 or 6; a decoded result has a known version,
// encodes deterministically and, when every address is present (Go prints a missing one as
// "<nil>", which no decoder accepts), decodes back to itself, indented or compact; conversion
// to every version either fails with code 1 or yields that version, which again round-trips
// and converts onward without crashing; a decoded error object or cache entry re-encodes to
// itself.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "src/libcni/cache.h"
#include "src/spec/error_json.h"
#include "src/spec/json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::fuzz {
namespace {

// Every version, the empty one (0.1.0 to Go) and a few that no converter knows.
constexpr std::array<std::string_view, 11> kTargets = {
    "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", "", "0.5.0", "1.2.0", "x"};

void checkResultError(const Error& e, const char* what) {
  checkError(e, {ErrorCode::kDecodingFailure, ErrorCode::kIncompatibleCniVersion}, what);
}

// Go prints a missing address as "<nil>", which neither Go nor we decode: such a result cannot
// round-trip, by design.
bool allAddressesPresent(const spec::Result& r) {
  for (const auto& ip : r.ips) {
    if (ip.address.empty()) return false;
  }
  for (const auto* routes : {&r.routes, &r.routes4_020, &r.routes6_020}) {
    for (const auto& rt : *routes) {
      if (rt.dst.empty()) return false;
    }
  }
  return true;
}

// `r` was decoded or converted as `version`.
void checkRoundTrip(const spec::Result& r, std::string_view version) {
  const std::string text = spec::encodeResult(r);
  FUZZ_CHECK(spec::encodeResult(r) == text, "encoding is not deterministic");
  if (!allAddressesPresent(r)) return;
  for (bool indent : {true, false}) {
    const std::string enc = indent ? text : spec::encodeResult(r, false);
    auto back = spec::parseResultAs(enc, version);
    FUZZ_CHECK(back.has_value(), "encoded result does not decode as " + std::string(version) +
                                     ": " + (back ? std::string() : back.error().msg) + "\n" + enc);
    FUZZ_CHECK(*back == r,
               "result changed in a round trip:\n" + enc + "\n" + spec::encodeResult(*back));
  }
}

void checkConversions(const spec::Result& r, std::string_view also) {
  std::vector<std::string_view> targets(kTargets.begin(), kTargets.end());
  targets.push_back(also);
  for (std::string_view to : targets) {
    auto c = spec::convertResult(r, to);
    if (!c) {
      checkResultError(c.error(), "convertResult");
      continue;
    }
    const std::string want = to.empty() ? "0.1.0" : std::string(to);
    FUZZ_CHECK(c->cni_version == want, "converted to " + want + " but says " + c->cni_version +
                                           "\n" + spec::encodeResult(*c));
    if (!spec::isKnownVersion(want)) continue;  // only the same-version shortcut gets here
    checkRoundTrip(*c, want);
    // Onward conversions (e.g. 1.1.0 -> 0.2.0 -> 0.4.0) must not crash either.
    for (std::string_view next : kTargets) {
      if (auto d = spec::convertResult(*c, next); !d) checkResultError(d.error(), "convert again");
    }
  }
}

// `as`: the input's version, also tried as a conversion target.
void checkResult(const spec::Result& r, std::string_view as) {
  FUZZ_CHECK(spec::isKnownVersion(r.cni_version), "decoded unknown version " + r.cni_version);
  checkRoundTrip(r, r.cni_version);
  checkConversions(r, as);
}

void fuzzResult(std::string_view text, std::string_view as) {
  if (auto v = spec::decodeResultVersion(text); !v) {
    checkError(v.error(), {ErrorCode::kDecodingFailure}, "decodeResultVersion");
  }
  if (auto r = spec::parseResult(text)) {
    checkResult(*r, as);
  } else {
    checkResultError(r.error(), "parseResult");
  }
  if (auto r = spec::parseResultAs(text, as)) {
    checkResult(*r, as);
  } else {
    checkResultError(r.error(), "parseResultAs");
  }
}

// The text as the prevResult of a config of version `as` (what every chained plugin decodes).
void fuzzPrevResult(const Json& j, std::string_view as) {
  const Json conf = {{"cniVersion", as}, {"name", "net"}, {"prevResult", j}};
  if (auto r = spec::parsePrevResult(conf)) {
    if (*r) checkResult(**r, as);
  } else {
    checkResultError(r.error(), "parsePrevResult");
  }
}

// A plugin's error object (printed on stdout with exit status 1).
void fuzzErrorObject(std::string_view text) {
  auto e = spec::decodeErrorJson(text);
  if (!e) return checkError(e.error(), {ErrorCode::kDecodingFailure}, "decodeErrorJson");
  const std::string enc = spec::encodeErrorJson(*e);
  auto back = spec::decodeErrorJson(enc);
  FUZZ_CHECK(back.has_value() && back->code == e->code && back->msg == e->msg &&
                 back->details == e->details,
             "error object changed in a round trip: " + enc);
}

// A result cache file (cniCacheV1), as libcnikit reads it before DEL/CHECK/GC.
void fuzzCacheEntry(const Json& j) {
  auto entry = libcni::decodeEntry(j);
  if (!entry) return;
  const std::string enc = libcni::ResultCache::encode(*entry);
  auto parsed = spec::parseJson(enc, "cache entry");
  FUZZ_CHECK(parsed.has_value(), "cache entry encodes to bad JSON: " + enc);
  auto back = libcni::decodeEntry(*parsed);
  FUZZ_CHECK(back.has_value() && back->container_id == entry->container_id &&
                 back->ifname == entry->ifname && back->network_name == entry->network_name &&
                 back->netns == entry->netns && back->cni_args == entry->cni_args &&
                 back->capability_args == entry->capability_args && back->config == entry->config &&
                 back->result == entry->result,
             "cache entry changed in a round trip: " + enc);
}

void fuzzBase64(std::string_view text) {
  if (auto d = libcni::base64Decode(text)) {
    FUZZ_CHECK(libcni::base64Decode(libcni::base64Encode(*d)) == *d, "base64 round trip");
  }
}

}  // namespace
}  // namespace cni::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cni;
  fuzz::Input in(data, size);
  const std::string_view as = in.until('\n');
  const std::string_view text = in.rest();
  fuzz::fuzzResult(text, as);
  fuzz::fuzzErrorObject(text);
  fuzz::fuzzBase64(text);
  if (auto j = spec::parseJson(text, "input")) {
    fuzz::fuzzPrevResult(*j, as);
    fuzz::fuzzCacheEntry(*j);
  }
  return 0;
}
