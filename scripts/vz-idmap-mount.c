// vz-idmap-mount SRC DST HOSTID COUNT: a relatime bind of SRC at DST whose on-disk ids 0..COUNT-1 read as HOSTID..
// (an idmapped mount). LXC 5.0.2 restores a checkpoint onto a plain bind of lxc.rootfs.path, ignoring
// `idmap=container`; the agent points the restore at this mount instead (agents/src/criu/ve-restore.ts).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mount.h>

static int child(void *arg) { (void)arg; pause(); return 0; }

static int write_file(const char *path, const char *s) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int n = write(fd, s, strlen(s));
  close(fd);
  return n == (int)strlen(s) ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s SRC DST HOSTID COUNT\n", argv[0]); return 2; }
  unsigned long host = strtoul(argv[3], 0, 10), count = strtoul(argv[4], 0, 10);
  static char stack[65536];
  pid_t pid = clone(child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, 0);
  if (pid < 0) { perror("clone"); return 1; }
  char path[64], map[128];
  snprintf(map, sizeof map, "0 %lu %lu\n", host, count);
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  int rc = 1;
  if (write_file(path, map)) { perror("uid_map"); goto out; }
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  if (write_file(path, map)) { perror("gid_map"); goto out; }
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) { perror("ns"); goto out; }
  int tree = syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) { perror("open_tree"); goto out; }
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RELATIME, .attr_clr = MOUNT_ATTR__ATIME, .userns_fd = ns };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr)) { perror("mount_setattr"); goto out; }
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[2], MOVE_MOUNT_F_EMPTY_PATH)) { perror("move_mount"); goto out; }
  rc = 0;
out:
  kill(pid, SIGKILL);
  waitpid(pid, 0, 0);
  return rc;
}
