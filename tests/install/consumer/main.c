/* A consumer of the installed library: opens a database in argv[1], puts
 * and gets a key, prints the value and the library version. */
#include <laura/c.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  laura_db_t* db = NULL;
  char* err = NULL;
  if (laura_open(NULL, argv[1], &db, &err) != LAURA_OK) {
    fprintf(stderr, "open: %s\n", err);
    laura_free(err);
    return 1;
  }
  if (laura_put(db, "hello", 5, "world", 5, &err) != LAURA_OK) return 1;
  char* value = NULL;
  size_t len = 0;
  if (laura_get(db, "hello", 5, &value, &len, &err) != LAURA_OK) return 1;
  printf("%.*s %s\n", (int)len, value, laura_version());
  laura_free(value);
  return laura_close(db, &err) == LAURA_OK ? 0 : 1;
}
