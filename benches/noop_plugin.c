/* The floor of a kustomize exec plugin: a static binary that does next to nothing.
 *
 *   noop_plugin CONFIG
 *
 * kustomize runs a legacy exec plugin with the path of the generator's config as its only
 * argument and reads the resources it prints. Without NOOP_SECRETS this copies CONFIG to
 * stdout (a resource of its own kind and name: what kustomize's exec machinery costs with the
 * smallest output). With NOOP_SECRETS=DIR it prints DIR/NAME.yaml, NAME being the config's
 * `metadata.name` (the line "  name: NAME"): the Secret secretgen would print, rendered
 * beforehand, so kustomize reads and parses the same bytes as from secretgen and only the
 * plugin's own work differs. Built by benches/compare.py with `cc -O2 -static`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];

static int copy(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (write(1, buf, (size_t)n) != n) return 1;
  }
  close(fd);
  return n < 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: noop_plugin CONFIG\n", stderr);
    return 2;
  }
  const char *dir = getenv("NOOP_SECRETS");
  if (!dir) return copy(argv[1]);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return 1;
  buf[n] = 0;
  char *p = strstr(buf, "\n  name: ");
  if (!p) {
    fputs("noop_plugin: no metadata.name in the config\n", stderr);
    return 1;
  }
  p += strlen("\n  name: ");
  size_t len = strcspn(p, "\r\n");
  char path[4096];
  snprintf(path, sizeof path, "%s/%.*s.yaml", dir, (int)len, p);
  return copy(path);
}
