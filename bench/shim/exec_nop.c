/* bench/shim/exec_nop.c — `bench-exec-nop`: a static C program that exits at once. Its spawn-to-
 * reap time through libcnikit's RawExec is the exec floor of this machine: what any plugin binary
 * costs before it does anything (the VERSION rows are reported next to it). */
int main(void) { return 0; }
