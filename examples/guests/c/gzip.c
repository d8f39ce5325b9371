/* A compressor on zlib (built from its sources, see build.sh):
 *
 *     gzip IN OUT       compresses the file IN into the gzip file OUT
 *     gzip -d IN OUT    decompresses
 *
 * reading and writing 64 KiB at a time; prints the two sizes. */
#include <stdio.h>
#include <string.h>
#include "zlib.h"

static char buf[1 << 16];

int main(int argc, char **argv) {
  int decompress = argc == 4 && strcmp(argv[1], "-d") == 0;
  if (argc != 3 + decompress) { fprintf(stderr, "usage: gzip [-d] IN OUT\n"); return 2; }
  const char *in_name = argv[1 + decompress], *out_name = argv[2 + decompress];
  long in_bytes = 0, out_bytes = 0;
  if (decompress) {
    gzFile in = gzopen(in_name, "rb");
    FILE *out = fopen(out_name, "wb");
    if (!in || !out) { perror("open"); return 1; }
    int n;
    while ((n = gzread(in, buf, sizeof buf)) > 0) {
      if (fwrite(buf, 1, n, out) != (size_t)n) { perror("write"); return 1; }
      out_bytes += n;
    }
    if (n < 0 || gzclose(in) != Z_OK || fclose(out) != 0) { fprintf(stderr, "gzip: read error\n"); return 1; }
  } else {
    FILE *in = fopen(in_name, "rb");
    gzFile out = gzopen(out_name, "wb6");
    if (!in || !out) { perror("open"); return 1; }
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
      if (gzwrite(out, buf, (unsigned)n) != (int)n) { fprintf(stderr, "gzip: write error\n"); return 1; }
      in_bytes += n;
    }
    if (ferror(in) || fclose(in) != 0 || gzclose(out) != Z_OK) { fprintf(stderr, "gzip: error\n"); return 1; }
  }
  FILE *f = fopen(decompress ? in_name : out_name, "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0) { perror("stat"); return 1; }
  long other = ftell(f);
  fclose(f);
  printf("%ld -> %ld bytes\n", decompress ? other : in_bytes, decompress ? out_bytes : other);
  return 0;
}
