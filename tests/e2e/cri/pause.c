/* tests/e2e/cri/pause.c — the sandbox ("infra") process of the CRI end-to-end harness.
 *
 * containerd keeps a pod's namespaces alive by running one process in them; the harness cannot
 * pull registry.k8s.io/pause offline, so it builds this program statically (`cc -static`), packs
 * it as a one-layer OCI image (cri_client.py image) and imports it with `ctr`.
 *
 * It must stop promptly on SIGTERM (StopPodSandbox sends it, then SIGKILL after a grace period:
 * a pause that ignored it would make every Stop slow and skew the latency numbers) and, being
 * PID 1 of the pod's PID namespace, it reaps children so none linger as zombies. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void onStop(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void onChild(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("cnikit-cri-pause");
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onStop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = onChild;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  /* Block the stop signals outside sigsuspend(): a SIGTERM landing between the flag test and a
   * plain pause() would otherwise be lost and the sandbox would wait for SIGKILL. */
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGTERM);
  while (!stop_requested) sigsuspend(&wait_mask);
  return 0;
}
