/* File operations as real programs make them, through wasi-libc: create,
 * exclusive create, a lock taken by creating and removing a directory,
 * vectored and positioned I/O, seeking, truncation, syncing, renaming,
 * listing and deleting. Run with a writable folder preopened and its guest
 * name as the only argument; prints one line per step and "done" at the
 * end, exits non-zero at the first step that fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int step = 0;

static void check(int ok, const char *what) {
  step++;
  if (!ok) {
    printf("step %d failed: %s (errno %d: %s)\n", step, what, errno, strerror(errno));
    exit(1);
  }
  printf("ok %d %s\n", step, what);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: fileops DIR\n"); return 2; }
  if (chdir(argv[1]) != 0) { perror("chdir"); return 1; }

  /* A lock: mkdir succeeds for one holder only. */
  check(mkdir("db.lock", 0777) == 0, "take the lock (mkdir)");
  check(mkdir("db.lock", 0777) == -1 && errno == EEXIST, "a second taker sees EEXIST");

  /* Create, write with several iovecs at once, sync. */
  int fd = open("data.tmp", O_CREAT | O_EXCL | O_RDWR, 0644);
  check(fd >= 0, "create data.tmp exclusively");
  check(open("data.tmp", O_CREAT | O_EXCL | O_RDWR, 0644) == -1 && errno == EEXIST,
        "exclusive create of an existing file fails");
  struct iovec out[3] = {{"alpha ", 6}, {"beta ", 5}, {"gamma\n", 6}};
  check(writev(fd, out, 3) == 17, "writev of three buffers");
  check(fsync(fd) == 0, "fsync");
  check(fdatasync(fd) == 0, "fdatasync");

  /* Seek and read back into several buffers. */
  check(lseek(fd, 0, SEEK_CUR) == 17, "lseek reports the position");
  check(lseek(fd, 6, SEEK_SET) == 6, "lseek to 6");
  char a[5] = {0}, b[7] = {0};
  struct iovec in[2] = {{a, 4}, {b, 6}};
  check(readv(fd, in, 2) == 10, "readv into two buffers");
  check(memcmp(a, "beta", 4) == 0 && memcmp(b, " gamma", 6) == 0, "readv contents");

  /* Positioned I/O leaves the position alone. */
  check(pwrite(fd, "BETA", 4, 6) == 4, "pwrite at 6");
  char c[4];
  check(pread(fd, c, 4, 6) == 4 && memcmp(c, "BETA", 4) == 0, "pread at 6");
  check(lseek(fd, 0, SEEK_CUR) == 16, "the position did not move");

  /* Grow, shrink, stat. */
  check(ftruncate(fd, 100) == 0, "ftruncate to 100");
  struct stat st;
  check(fstat(fd, &st) == 0 && st.st_size == 100 && S_ISREG(st.st_mode), "fstat sees 100 bytes");
  check(ftruncate(fd, 10) == 0, "ftruncate to 10");
  check(close(fd) == 0, "close");

  /* Append mode writes at the end whatever the position. */
  fd = open("data.tmp", O_WRONLY | O_APPEND);
  check(fd >= 0, "open for appending");
  check(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "!\n", 2) == 2, "append after a seek to 0");
  close(fd);
  FILE *f = fopen("data.tmp", "r");
  char line[64] = {0};
  check(f && fgets(line, sizeof line, f) && strcmp(line, "alpha BETA!\n") == 0, "contents after append");
  fclose(f);

  /* Synchronous writes; the flags read back may be passed back. */
  fd = open("data.tmp", O_WRONLY | O_DSYNC);
  check(fd >= 0 && (fcntl(fd, F_GETFL) & O_DSYNC), "open with O_DSYNC");
  check(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0, "F_SETFL keeping O_DSYNC");
  close(fd);

  /* Atomic replace by rename, as databases and editors do. */
  check(rename("data.tmp", "data.txt") == 0, "rename data.tmp to data.txt");
  check(access("data.tmp", F_OK) == -1 && errno == ENOENT, "the old name is gone");
  check(link("data.txt", "data.link") == 0, "hard link");
  check(stat("data.link", &st) == 0 && st.st_nlink == 2, "two links");
  check(symlink("data.txt", "data.sym") == 0, "symlink");
  char target[32] = {0};
  check(readlink("data.sym", target, sizeof target) == 8 && strcmp(target, "data.txt") == 0, "readlink");

  /* Subdirectories and listing. */
  check(mkdir("sub", 0777) == 0, "mkdir sub");
  check(rename("data.link", "sub/moved") == 0, "rename into sub");
  DIR *d = opendir(".");
  check(d != NULL, "opendir");
  int seen = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, "data.txt") == 0 || strcmp(e->d_name, "data.sym") == 0 ||
        strcmp(e->d_name, "sub") == 0 || strcmp(e->d_name, "db.lock") == 0)
      seen++;
  }
  closedir(d);
  check(seen == 4, "readdir lists the four entries");
  check(rmdir("sub") == -1 && errno == ENOTEMPTY, "rmdir of a non-empty folder fails");

  /* Clean up; release the lock last. */
  check(unlink("sub/moved") == 0 && rmdir("sub") == 0, "remove sub");
  check(unlink("data.sym") == 0 && unlink("data.txt") == 0, "unlink the files");
  check(rmdir("db.lock") == 0, "release the lock (rmdir)");
  puts("done");
  return 0;
}
