/* tests/unit/capi/c_smoke.c — the C API header compiles as C11 and links against libcnikit.so
 * alone; a bad configuration yields an error object, never a crash. */
#include <stdio.h>
#include <string.h>

#include "cnikit/cnikit.h"

int main(void) {
  cnikit_ctx* ctx = cnikit_ctx_new("/nonexistent", NULL);
  cnikit_conflist* list = NULL;
  cnikit_error* err = NULL;
  const char* bad = "{\"name\":\"x\",\"plugins\":[]}";
  if (ctx == NULL) return 1;
  if (cnikit_conflist_parse(bad, strlen(bad), &list, &err) != -1 || err == NULL) return 2;
  if (err->code != 7) return 3;
  printf("c_smoke: error %u: %s\n", err->code, err->msg);
  cnikit_error_free(err);
  cnikit_ctx_free(ctx);
  printf("1 passed, 0 failed\n");
  return 0;
}
