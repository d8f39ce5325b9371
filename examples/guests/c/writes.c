/* Many small writes, as a logger makes them:
 *
 *     writes FILE N
 *
 * appends N short lines to FILE with one write() call each. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: writes FILE N\n"); return 2; }
  long n = atol(argv[2]);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) { perror("open"); return 1; }
  for (long i = 0; i < n; i++) {
    char line[32];
    int len = snprintf(line, sizeof line, "event %ld\n", i);
    if (write(fd, line, len) != len) { perror("write"); return 1; }
  }
  if (close(fd) != 0) { perror("close"); return 1; }
  return 0;
}
