// src/nft/uapi.h — the kernel uapi headers src/nft needs, in the one order that compiles.
//
// <linux/netfilter.h> pulls in <linux/in.h>, which clashes with glibc's <netinet/in.h> unless
// glibc's comes first (it then tells the uapi header to skip its duplicates). clang-format sorts
// includes alphabetically, so the order is pinned here, once.
#pragma once

// clang-format off
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
// clang-format on
