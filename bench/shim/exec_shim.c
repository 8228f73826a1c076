/* bench/shim/exec_shim.c — `bench-exec-shim RSSFILE PLUGIN`: run PLUGIN (argv[0] = PLUGIN, same
 * stdin/stdout/stderr and environment), exit as it did, and write to RSSFILE the plugin's
 * "<peak RSS KiB> <anonymous RSS KiB at exit>" (the second is -1 when it could not be read).
 *
 * Why a shim: wait4's ru_maxrss is the high-water mark of every address space a process had. A
 * child made by posix_spawn shares its parent's until exec, so a plugin's figure read that way is
 * never below the runtime's own RSS. This tiny static program is spawned instead; it forks (its
 * own address space is ~0.5 MiB, all the grandchild inherits), the grandchild execs the plugin,
 * and the grandchild's ru_maxrss is the plugin's own.
 * Why ptrace: peak RSS counts the pages of the executable that are mapped (shared, clean, in the
 * page cache anyway); what a process really costs is its private anonymous memory. That is only
 * visible in /proc/<pid>/status while the process still has its memory, so the shim traces the
 * plugin (PTRACE_O_TRACEEXIT) and reads RssAnon at its exit stop. Signals are passed through.
 * Used only for the RSS rows: it costs an extra exec and the tracing. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long anonKib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "re");
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "RssAnon:", 8) == 0) sscanf(line + 8, "%ld", &kib);
  }
  fclose(f);
  return kib;
}

int main(int argc, char** argv) {
  if (argc < 3) return 127;
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[2], argv + 2);
    _exit(127);
  }
  int status = 0;
  long anon = -1;
  struct rusage ru;
  int first = 1;
  for (;;) {
    if (wait4(pid, &status, 0, &ru) < 0) {
      if (errno == EINTR) continue;
      return 127;
    }
    if (!WIFSTOPPED(status)) break;  /* exited or killed */
    int sig = WSTOPSIG(status);
    if (first && sig == SIGTRAP) {  /* the stop after a successful exec */
      first = 0;
      ptrace(PTRACE_SETOPTIONS, pid, 0, (void*)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
      sig = 0;
    } else if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
      anon = anonKib(pid);
      sig = 0;
    }
    ptrace(PTRACE_CONT, pid, 0, (void*)(long)sig);
  }
  FILE* f = fopen(argv[1], "we");
  if (f) {
    fprintf(f, "%ld %ld\n", ru.ru_maxrss, anon);
    fclose(f);
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}
