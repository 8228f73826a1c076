// src/capi/capi.cc — the C API (include/cnikit/cnikit.h) over libcni::CniConfig.
//
// Every entry point is noexcept and catches everything: a C caller must never see a C++
// exception or an abort. Errors become cnikit_error values with the CNI code.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "cnikit/cnikit.h"
#include "src/conf/conf.h"
#include "src/conf/discover.h"
#include "src/conf/load.h"
#include "src/invoke/find.h"
#include "src/libcni/api.h"
#include "src/spec/cni_args.h"
#include "src/spec/json.h"
#include "src/spec/result.h"

struct cnikit_ctx {
  std::unique_ptr<cni::libcni::CniConfig> cni;
  cni::libcni::Options opts;
};

struct cnikit_conflist {
  cni::conf::NetworkConfigList list;
};

namespace {

using cni::ErrorCode;

char* dupString(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

int setError(cnikit_error** err, const cni::Error& e) {
  if (err != nullptr) {
    auto* out = static_cast<cnikit_error*>(std::calloc(1, sizeof(cnikit_error)));
    if (out != nullptr) {
      out->code = e.codeValue();
      out->msg = dupString(e.msg);
      out->details = dupString(e.details);
    }
    *err = out;
  }
  return -1;
}

int invalidArgument(cnikit_error** err, const char* what) {
  return setError(err, cni::Error(ErrorCode::kInvalidEnvironmentVariables,
                                  std::string("invalid argument: ") + what));
}

// Runs f, turning any escaping exception into an internal error.
template <class F>
int guarded(cnikit_error** err, F&& f) noexcept {
  if (err != nullptr) *err = nullptr;
  try {
    return f();
  } catch (const std::exception& e) {
    return setError(err, cni::Error(ErrorCode::kInternal, e.what()));
  } catch (...) {
    return setError(err, cni::Error(ErrorCode::kInternal, "unknown exception"));
  }
}

cni::Expected<cni::libcni::RuntimeConf> toRuntimeConf(const cnikit_runtime_conf* rt) {
  cni::libcni::RuntimeConf out;
  if (rt == nullptr) return out;
  if (rt->container_id) out.container_id = rt->container_id;
  if (rt->netns) out.netns = rt->netns;
  if (rt->ifname) out.ifname = rt->ifname;
  if (rt->cni_args && *rt->cni_args) {
    CNI_ASSIGN_OR_RETURN(out.args, cni::spec::parseCniArgsStrict(rt->cni_args));
  }
  if (rt->capability_args_json && *rt->capability_args_json) {
    CNI_ASSIGN_OR_RETURN(out.capability_args,
                         cni::spec::parseJson(rt->capability_args_json, "capability args"));
    if (!out.capability_args.is_object()) {
      return cni::fail(ErrorCode::kDecodingFailure, "capability args must be a JSON object");
    }
  }
  return out;
}

// A .conflist, or a legacy single-plugin .conf (an object with "type" and no "plugins"), which
// is upconverted as libcni does.
cni::Expected<cni::conf::NetworkConfigList> parseAnyConf(std::string_view bytes) {
  auto j = cni::spec::parseJson(bytes, "network configuration");
  if (j && j->is_object() && j->contains("type") && !j->contains("plugins")) {
    CNI_ASSIGN_OR_RETURN(auto single, cni::conf::confFromBytes(bytes));
    return cni::conf::confListFromConf(single);
  }
  return cni::conf::confListFromBytes(bytes);
}

int storeList(cni::Expected<cni::conf::NetworkConfigList> r, cnikit_conflist** out,
              cnikit_error** err) {
  if (!r) return setError(err, r.error());
  *out = new cnikit_conflist{std::move(*r)};
  return 0;
}

}  // namespace

extern "C" {

const char* cnikit_version(void) { return CNIKIT_VERSION; }

cnikit_ctx* cnikit_ctx_new(const char* cni_path, const char* cache_dir) {
  try {
    auto ctx = std::make_unique<cnikit_ctx>();
    ctx->opts.path = cni::invoke::splitPath(cni_path ? cni_path : "");
    if (cache_dir && *cache_dir) ctx->opts.cache_dir = cache_dir;
    ctx->cni = std::make_unique<cni::libcni::CniConfig>(ctx->opts);
    return ctx.release();
  } catch (...) {
    return nullptr;
  }
}

void cnikit_ctx_free(cnikit_ctx* ctx) { delete ctx; }

void cnikit_ctx_set_timeout_ms(cnikit_ctx* ctx, unsigned int timeout_ms) {
  if (ctx == nullptr) return;
  try {
    ctx->opts.timeout = std::chrono::milliseconds(timeout_ms);
    ctx->cni = std::make_unique<cni::libcni::CniConfig>(ctx->opts);
  } catch (...) {
    // Keep the previous configuration: the context stays usable.
  }
}

int cnikit_conflist_parse(const char* json, size_t len, cnikit_conflist** out, cnikit_error** err) {
  return guarded(err, [&] {
    if (json == nullptr || out == nullptr) return invalidArgument(err, "json/out is NULL");
    return storeList(parseAnyConf(std::string_view(json, len)), out, err);
  });
}

int cnikit_conflist_load(const char* dir, const char* name, cnikit_conflist** out,
                         cnikit_error** err) {
  return guarded(err, [&] {
    if (dir == nullptr || name == nullptr || out == nullptr) {
      return invalidArgument(err, "dir/name/out is NULL");
    }
    return storeList(cni::conf::loadConfList(dir, name), out, err);
  });
}

int cnikit_conflist_load_default(const char* dir, int lenient, cnikit_conflist** out,
                                 cnikit_error** err) {
  return guarded(err, [&] {
    if (dir == nullptr || out == nullptr) return invalidArgument(err, "dir/out is NULL");
    auto d = cni::conf::discover(
        dir, lenient ? cni::conf::Policy::kLenient : cni::conf::Policy::kStrict);
    if (!d) return setError(err, d.error());
    if (!d->active) {
      return setError(err, cni::Error(ErrorCode::kInvalidNetworkConfig,
                                      std::string("no valid network configuration in ") + dir));
    }
    *out = new cnikit_conflist{std::move(*d->active)};
    return 0;
  });
}

void cnikit_conflist_free(cnikit_conflist* list) { delete list; }

const char* cnikit_conflist_name(const cnikit_conflist* list) {
  return list ? list->list.name.c_str() : nullptr;
}

const char* cnikit_conflist_version(const cnikit_conflist* list) {
  return list ? list->list.cni_version.c_str() : nullptr;
}

int cnikit_add(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
               char** result_json, cnikit_error** err) {
  return guarded(err, [&] {
    if (result_json) *result_json = nullptr;
    if (!ctx || !list || !rt) return invalidArgument(err, "ctx/list/rt is NULL");
    auto r = toRuntimeConf(rt);
    if (!r) return setError(err, r.error());
    auto res = ctx->cni->addNetworkList(list->list, *r);
    if (!res) return setError(err, res.error());
    if (result_json) *result_json = dupString(cni::spec::encodeResult(*res));
    return 0;
  });
}

int cnikit_check(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
                 cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !list || !rt) return invalidArgument(err, "ctx/list/rt is NULL");
    auto r = toRuntimeConf(rt);
    if (!r) return setError(err, r.error());
    auto s = ctx->cni->checkNetworkList(list->list, *r);
    return s ? 0 : setError(err, s.error());
  });
}

int cnikit_del(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
               unsigned int flags, cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !list || !rt) return invalidArgument(err, "ctx/list/rt is NULL");
    auto r = toRuntimeConf(rt);
    if (!r) return setError(err, r.error());
    auto s = ctx->cni->delNetworkList(list->list, *r,
                                      {.best_effort = (flags & CNIKIT_DEL_BEST_EFFORT) != 0});
    return s ? 0 : setError(err, s.error());
  });
}

int cnikit_gc(cnikit_ctx* ctx, const cnikit_conflist* list, const char* valid_attachments_json,
              cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !list) return invalidArgument(err, "ctx/list is NULL");
    std::optional<std::vector<cni::libcni::GcAttachment>> valid;
    if (valid_attachments_json != nullptr) {
      auto j = cni::spec::parseJson(valid_attachments_json, "valid attachments");
      if (!j) return setError(err, j.error());
      if (!j->is_array()) return invalidArgument(err, "valid attachments must be a JSON array");
      valid.emplace();
      for (const auto& a : *j) {
        const cni::Json* cid = cni::spec::findKey(a, "containerID");
        const cni::Json* ifn = cni::spec::findKey(a, "ifname");
        if (!cid || !ifn || !cid->is_string() || !ifn->is_string()) {
          return invalidArgument(err, "each attachment needs string containerID and ifname");
        }
        valid->push_back({cid->get<std::string>(), ifn->get<std::string>()});
      }
    }
    auto s = ctx->cni->gcNetworkList(list->list, valid);
    return s ? 0 : setError(err, s.error());
  });
}

int cnikit_status(cnikit_ctx* ctx, const cnikit_conflist* list, cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !list) return invalidArgument(err, "ctx/list is NULL");
    auto s = ctx->cni->getStatusNetworkList(list->list);
    return s ? 0 : setError(err, s.error());
  });
}

int cnikit_cached_result(cnikit_ctx* ctx, const cnikit_conflist* list,
                         const cnikit_runtime_conf* rt, char** result_json, cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !list || !rt || !result_json) {
      return invalidArgument(err, "ctx/list/rt/result_json is NULL");
    }
    *result_json = nullptr;
    auto r = toRuntimeConf(rt);
    if (!r) return setError(err, r.error());
    auto res = ctx->cni->getNetworkListCachedResult(list->list, *r);
    if (!res) return setError(err, res.error());
    if (*res) *result_json = dupString(cni::spec::encodeResult(**res));
    return 0;
  });
}

int cnikit_plugin_version(cnikit_ctx* ctx, const char* plugin_type, char** json,
                          cnikit_error** err) {
  return guarded(err, [&] {
    if (!ctx || !plugin_type || !json) return invalidArgument(err, "ctx/plugin/json is NULL");
    *json = nullptr;
    auto info = ctx->cni->getVersionInfo(plugin_type);
    if (!info) return setError(err, info.error());
    cni::OrderedJson j;
    j["cniVersion"] = info->cni_version;
    j["supportedVersions"] = info->supported_versions;
    *json = dupString(cni::spec::goMarshal(j));
    return 0;
  });
}

void cnikit_string_free(char* s) { std::free(s); }

void cnikit_error_free(cnikit_error* err) {
  if (err == nullptr) return;
  std::free(err->msg);
  std::free(err->details);
  std::free(err);
}

}  // extern "C"
