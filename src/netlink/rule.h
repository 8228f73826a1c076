// src/netlink/rule.h — policy routing rules (`ip rule add|del|show`, RTM_*RULE).
//
// A Rule selects packets by source/destination prefix (and optionally input/output interface
// name, fwmark) and looks them up in `table`. Only the FR_ACT_TO_TBL action is modelled: it is
// the one CNI plugins (sbr, vrf, ptp) use. Priority nullopt lets the kernel pick one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/message.h"
#include "src/netlink/outcome.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

struct Rule {
  IpFamily family = IpFamily::kV4;
  std::optional<IpPrefix> src;  // FRA_SRC ("from")
  std::optional<IpPrefix> dst;  // FRA_DST ("to")
  uint32_t table = 254;         // FRA_TABLE
  std::optional<uint32_t> priority;
  std::string iif;  // FRA_IIFNAME
  std::string oif;  // FRA_OIFNAME
  std::optional<uint32_t> fwmark;
  bool invert = false;  // FIB_RULE_INVERT ("not")
};

Message buildRuleRequest(uint16_t type, uint16_t flags, const Rule& r);
Expected<Rule> parseRule(const RawMessage& m);

Status addRule(Socket& sock, const Rule& r);
// ENOENT (no matching rule) = kNotFound.
Expected<DeleteResult> delRule(Socket& sock, const Rule& r);
Expected<std::vector<Rule>> listRules(Socket& sock, IpFamily family);

}  // namespace cni::netlink
