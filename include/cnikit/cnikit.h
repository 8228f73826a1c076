/* include/cnikit/cnikit.h — the C API of libcnikit, for container runtimes written in C.
 *
 * A thin, stable ABI over the C++ runtime library (the equivalent of Go's libcni): load network
 * configuration lists, run ADD/CHECK/DEL/GC/STATUS against CNI plugins, read the result cache.
 * Configs, results, capability args and attachment lists cross the boundary as JSON text, so the
 * ABI never changes when the spec grows a field. Only `cnikit_*` symbols are exported
 * (src/capi/cnikit.map); link with -lcnikit.
 *
 * Conventions:
 *  - Functions returning int return 0 on success and -1 on failure. On failure, if `err` is not
 *    NULL, *err receives an error the caller frees with cnikit_error_free(); its `code` is the CNI
 *    error code (spec "Error" object: 1 incompatible version, 4 invalid env, 7 invalid config,
 *    50/51 STATUS not available, 999 internal, >= 100 plugin specific).
 *  - Strings returned through `char **` are malloc'd, NUL-terminated; free with
 *    cnikit_string_free().
 *  - No function throws, aborts or changes the calling thread's network namespace. A context may
 *    be used from several threads for different attachments at once.
 */
#ifndef CNIKIT_CNIKIT_H_
#define CNIKIT_CNIKIT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cnikit_ctx cnikit_ctx;           /* plugin path, cache dir, timeout, exec */
typedef struct cnikit_conflist cnikit_conflist; /* a parsed network configuration list */

typedef struct cnikit_error {
  unsigned int code; /* CNI error code */
  char* msg;         /* "plugin type=\"bridge\" failed (add): ..." */
  char* details;     /* may be "" */
} cnikit_error;

/* One attachment, as the runtime describes it (libcni RuntimeConf). */
typedef struct cnikit_runtime_conf {
  const char* container_id;         /* required for ADD/CHECK/DEL */
  const char* netns;                /* path; may be NULL/"" on DEL */
  const char* ifname;               /* e.g. "eth0" */
  const char* cni_args;             /* "K=V;K=V" or NULL */
  const char* capability_args_json; /* JSON object, e.g. {"portMappings":[...]}, or NULL */
} cnikit_runtime_conf;

/* Version of the library, e.g. "0.1.0". */
const char* cnikit_version(void);

/* cni_path: ':'-separated plugin directories. cache_dir: NULL for /var/lib/cni.
 * Returns NULL only on allocation failure. */
cnikit_ctx* cnikit_ctx_new(const char* cni_path, const char* cache_dir);
void cnikit_ctx_free(cnikit_ctx* ctx);
/* Kill a plugin that runs longer than this (0 = never, the default). */
void cnikit_ctx_set_timeout_ms(cnikit_ctx* ctx, unsigned int timeout_ms);

/* Parses a .conflist (or a legacy single-plugin .conf, upconverted) from memory. */
int cnikit_conflist_parse(const char* json, size_t len, cnikit_conflist** out, cnikit_error** err);
/* libcni LoadNetworkConf: the network called `name` in `dir` (conflists first, then .conf/.json,
 * plus plugins from <dir>/<name>/ *.conf). */
int cnikit_conflist_load(const char* dir, const char* name, cnikit_conflist** out,
                         cnikit_error** err);
/* The first valid network of `dir` as a runtime picks it. lenient != 0: skip invalid files
 * (kubelet, CRI-O); 0: a bad file is an error (libcni, containerd). */
int cnikit_conflist_load_default(const char* dir, int lenient, cnikit_conflist** out,
                                 cnikit_error** err);
void cnikit_conflist_free(cnikit_conflist* list);
const char* cnikit_conflist_name(const cnikit_conflist* list);
const char* cnikit_conflist_version(const cnikit_conflist* list);

/* ADD: runs every plugin in order; on success *result_json is the final result (may be NULL). */
int cnikit_add(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
               char** result_json, cnikit_error** err);
int cnikit_check(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
                 cnikit_error** err);
#define CNIKIT_DEL_BEST_EFFORT 1u /* run the whole reverse chain, report every error */
int cnikit_del(cnikit_ctx* ctx, const cnikit_conflist* list, const cnikit_runtime_conf* rt,
               unsigned int flags, cnikit_error** err);
/* valid_attachments_json: [{"containerID":"...","ifname":"..."}...], or NULL meaning "not
 * given" (then every cached attachment of the network is deleted). */
int cnikit_gc(cnikit_ctx* ctx, const cnikit_conflist* list, const char* valid_attachments_json,
              cnikit_error** err);
/* Returns -1 with code 50/51 when a plugin reports it cannot serve ADD. */
int cnikit_status(cnikit_ctx* ctx, const cnikit_conflist* list, cnikit_error** err);

/* The cached ADD result of an attachment converted to the list's version; *result_json = NULL
 * when nothing is cached. */
int cnikit_cached_result(cnikit_ctx* ctx, const cnikit_conflist* list,
                         const cnikit_runtime_conf* rt, char** result_json, cnikit_error** err);
/* {"cniVersion":..., "supportedVersions":[...]} of a plugin found in the context's path. */
int cnikit_plugin_version(cnikit_ctx* ctx, const char* plugin_type, char** json,
                          cnikit_error** err);

void cnikit_string_free(char* s);
void cnikit_error_free(cnikit_error* err);

#ifdef __cplusplus
}
#endif

#endif /* CNIKIT_CNIKIT_H_ */
