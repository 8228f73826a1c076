// src/invoke/go_format.h — the few Go fmt renderings that plugin-execution errors must reproduce.
//
// Runtimes and users match on libcni's error texts (`netplugin failed: "<stderr>": exit status 1`,
// `... timed out after 2.5s`), so the os.ProcessState and time.Duration strings Go prints are
// rendered here exactly as Go does. The texts shared with other modules (%q, %v of a []string,
// syscall.Errno) are in src/spec/go_text.h.
#pragma once

#include <chrono>
#include <string>

namespace cni::invoke {

// Go's os.ProcessState.String() for a wait(2) status: "exit status N",
// "signal: killed", "signal: segmentation fault (core dumped)".
std::string goWaitStatus(int wait_status);

// Go's time.Duration.String() for non-negative durations: "1.5s", "250ms", "2m0s", "0s".
std::string goDuration(std::chrono::nanoseconds d);

}  // namespace cni::invoke
