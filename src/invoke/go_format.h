// src/invoke/go_format.h — the few Go fmt renderings that plugin-execution errors must reproduce.
//
// Runtimes and users match on libcni's error texts (`failed to find plugin "x" in path [a b]`,
// `netplugin failed: "<stderr>": exit status 1`), so the pieces Go formats with %q, %v of a slice,
// error strings of syscall.Errno and os.ProcessState are rendered here exactly as Go does.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace cni::invoke {

// Go's strconv.Quote (fmt %q of a string): double-quoted, \a\b\f\n\r\t\v \\ \" escaped, other
// control bytes and DEL as \x.., invalid UTF-8 bytes as \x.., valid non-ASCII UTF-8 kept.
std::string goQuote(std::string_view s);

// fmt %v / %s of a []string: "[a b c]" (no quoting, space separated).
std::string goStringList(const std::vector<std::string>& items);

// Go's syscall.Errno.Error(): the C library text with a lower-case first letter
// ("no such file or directory", "text file busy").
std::string goErrnoText(int err);

// Go's os.ProcessState.String() for a wait(2) status: "exit status N",
// "signal: killed", "signal: segmentation fault (core dumped)".
std::string goWaitStatus(int wait_status);

// Go's time.Duration.String() for non-negative durations: "1.5s", "250ms", "2m0s", "0s".
std::string goDuration(std::chrono::nanoseconds d);

}  // namespace cni::invoke
