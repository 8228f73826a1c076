// src/netlink/outcome.h — typed outcomes shared by the rtnetlink operations.
//
// CNI DEL must be idempotent: deleting a link, address, route, rule or neighbour that is already
// gone is success for the plugin, but the plugin may still want to know (e.g. to skip teardown
// that needs the deleted object's addresses). Delete operations therefore return
// Expected<DeleteResult>: kNotFound is the kernel's "no such object" answer (ENODEV, ESRCH,
// ENOENT, EADDRNOTAVAIL, depending on the object), every other refusal stays an Error.
#pragma once

#include <string>

#include "src/common/error.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

enum class DeleteResult { kDeleted, kNotFound };

// Whether `e` is the kernelError() for errno `err` (also after withContext() prefixed it), so
// callers can tolerate specific answers such as EEXIST without parsing text themselves.
inline bool isKernelErrno(const Error& e, int err) {
  const std::string text = errnoText(err);
  return e.msg == text || e.msg.ends_with(": " + text);
}

}  // namespace cni::netlink
