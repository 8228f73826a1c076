// src/spec/cni_args.h — CNI_ARGS ("K1=V1;K2=V2"), both sides of the protocol (SPEC §CNI_ARGS,
// reference doc §5.3).
//
// Two Go parsers exist and disagree, so both are provided:
//   * parseCniArgsStrict — what cnitool (and most runtimes) accept from the user before building a
//     RuntimeConf: every pair needs exactly one '=' and a non-empty key and value.
//   * loadArgs — what a plugin does with the CNI_ARGS it receives (Go types.LoadArgs): keys are
//     matched case-sensitively against the plugin's known keys; unknown keys are an error unless
//     IgnoreUnknown is set; empty keys/values are allowed; a value can never contain '='.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/common/error.h"

namespace cni::spec {

using CniArg = std::pair<std::string, std::string>;

// cnitool's parseArgs. "" -> no pairs (cnitool only parses a non-empty CNI_ARGS). Any bad pair
// (including the empty pair of a trailing ';') fails with kInvalidEnvironmentVariables
// `invalid CNI_ARGS pair "X"`. Order and duplicates are preserved.
Expected<std::vector<CniArg>> parseCniArgsStrict(std::string_view args);

// invoke's stringify: "K=V;K=V" (the inverse of the parsers for well-formed pairs).
std::string formatCniArgs(std::span<const CniArg> args);

// The outcome of loadArgs: the known pairs in input order (a repeated key keeps every occurrence;
// get() returns the last, which is what Go's field assignment ends up with).
struct LoadedArgs {
  std::vector<CniArg> known;
  std::vector<std::string> unknown;  // the raw "K=V" pairs that matched no known key
  bool ignore_unknown = false;

  // Last value given for `key`, or nullptr.
  const std::string* get(std::string_view key) const;
};

// Go types.LoadArgs with a struct whose fields are `known_keys` plus the embedded CommonArgs
// (IgnoreUnknown). "" -> nothing. Errors (kInvalidEnvironmentVariables; Go's plugins surface them
// as code 999 through skel, callers may re-code):
//   `ARGS: invalid pair "X"` — a pair without exactly one '=';
//   `ARGS: error parsing value of pair "IgnoreUnknown=x": boolean unmarshal error: invalid input
//   x)`
//     — IgnoreUnknown other than 1/true/0/false (any case; Go's message lowercases the value and
//     has the stray ')');
//   `ARGS: unknown args ["A=1" "B=2"]` — unknown keys without IgnoreUnknown (checked after all
//     pairs, so IgnoreUnknown may come last).
// Values are not interpreted: turning "IP=10.0.0.5" into an address is the caller's job.
Expected<LoadedArgs> loadArgs(std::string_view args, std::span<const std::string_view> known_keys);

}  // namespace cni::spec
