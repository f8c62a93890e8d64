/* CApiTest: the C API (engine/include/laura/c.h) from a program compiled as
 * C. Each CHECK names the line that failed; the exit status is the number
 * of failures. argv[1]: a directory for its databases (made fresh). */
#include <laura/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

/* The value of key, or NULL (caller frees). */
static char* Get(laura_db_t* db, const char* key) {
  char* value = NULL;
  size_t len = 0;
  if (laura_get(db, key, strlen(key), &value, &len, NULL) != LAURA_OK) return NULL;
  return value;
}

static int Is(char* value, const char* expected) {
  const int same = value != NULL && strcmp(value, expected) == 0;
  laura_free(value);
  return same;
}

int main(int argc, char** argv) {
  if (argc != 2) return 100;
  char path[4096], backup[4096], command[8300];
  snprintf(path, sizeof path, "%s/db", argv[1]);
  snprintf(backup, sizeof backup, "%s/backup", argv[1]);
  snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", argv[1], argv[1]);
  if (system(command) != 0) return 101;

  CHECK(strlen(laura_version()) >= 5);

  /* Errors: a code and a message the caller frees. */
  laura_options_t* options = laura_options_create();
  laura_options_set_create_if_missing(options, 0);
  laura_db_t* db = NULL;
  char* err = NULL;
  CHECK(laura_open(options, path, &db, &err) == LAURA_NOT_FOUND);
  CHECK(err != NULL && strstr(err, "does not exist") != NULL);
  laura_free(err);
  err = NULL;
  laura_options_set_create_if_missing(options, 1);
  laura_options_set_durability(options, LAURA_NO_SYNC);
  CHECK(laura_open(options, path, &db, &err) == LAURA_OK);
  laura_options_destroy(options);

  /* Put, get, delete; values are bytes (zeros included). */
  CHECK(laura_put(db, "a", 1, "1", 1, &err) == LAURA_OK);
  CHECK(laura_put(db, "z\0z", 3, "v\0v", 3, &err) == LAURA_OK);
  CHECK(Is(Get(db, "a"), "1"));
  char* value = NULL;
  size_t len = 0;
  CHECK(laura_get(db, "z\0z", 3, &value, &len, &err) == LAURA_OK);
  CHECK(len == 3 && memcmp(value, "v\0v", 3) == 0);
  laura_free(value);
  CHECK(laura_get(db, "missing", 7, &value, &len, NULL) == LAURA_NOT_FOUND);
  CHECK(laura_delete(db, "a", 1, &err) == LAURA_OK);
  CHECK(Get(db, "a") == NULL);
  CHECK(laura_delete(db, "a", 1, &err) == LAURA_OK); /* missing: not an error */
  static char big_key[5000];
  memset(big_key, 'k', sizeof big_key);
  CHECK(laura_put(db, big_key, sizeof big_key, "v", 1, &err) == LAURA_INVALID_ARGUMENT);
  CHECK(err != NULL && strstr(err, "key") != NULL);
  laura_free(err);
  err = NULL;

  /* Batches apply whole. */
  laura_writebatch_t* batch = laura_writebatch_create();
  char key[16], val[16];
  for (int i = 0; i < 100; ++i) {
    snprintf(key, sizeof key, "k%03d", i);
    snprintf(val, sizeof val, "v%d", i);
    laura_writebatch_put(batch, key, strlen(key), val, strlen(val));
  }
  laura_writebatch_delete(batch, "k050", 4);
  CHECK(laura_writebatch_count(batch) == 101);
  CHECK(laura_write(db, batch, -1, &err) == LAURA_OK);
  laura_writebatch_clear(batch);
  CHECK(laura_writebatch_count(batch) == 0);
  laura_writebatch_destroy(batch);
  CHECK(Is(Get(db, "k099"), "v99"));
  CHECK(Get(db, "k050") == NULL);

  /* A read transaction keeps its snapshot while writes go on. */
  laura_readtxn_t* snap = laura_begin_read(db);
  CHECK(laura_put(db, "k001", 4, "changed", 7, &err) == LAURA_OK);
  CHECK(laura_readtxn_get(snap, "k001", 4, &value, &len, &err) == LAURA_OK);
  CHECK(len == 2 && memcmp(value, "v1", 2) == 0);
  laura_free(value);
  CHECK(Is(Get(db, "k001"), "changed"));

  /* Iterators: forward from a seek, backward, on the snapshot. */
  laura_iterator_t* it = laura_readtxn_iterator(snap);
  int count = 0;
  for (laura_iterator_seek(it, "k", 1); laura_iterator_valid(it); laura_iterator_next(it)) {
    const char* k = laura_iterator_key(it, &len);
    if (k[0] != 'k') break; /* past the prefix: "z\0z" */
    CHECK(len == 4);
    ++count;
  }
  CHECK(count == 99); /* k000..k099 but k050 */
  CHECK(laura_iterator_status(it, &err) == LAURA_OK);
  laura_iterator_seek_for_prev(it, "k0505", 5);
  CHECK(laura_iterator_valid(it));
  const char* k = laura_iterator_key(it, &len);
  CHECK(len == 4 && memcmp(k, "k049", 4) == 0);
  const char* v = laura_iterator_value(it, &len);
  CHECK(len == 3 && memcmp(v, "v49", 3) == 0);
  laura_iterator_prev(it);
  CHECK(laura_iterator_valid(it) && memcmp(laura_iterator_key(it, &len), "k048", 4) == 0);
  laura_iterator_seek_to_last(it);
  CHECK(laura_iterator_valid(it) && memcmp(laura_iterator_key(it, &len), "z\0z", 3) == 0);

  /* Closing with handles open is refused and leaves the database open. */
  CHECK(laura_close(db, &err) == LAURA_FAILED_PRECONDITION);
  CHECK(err != NULL);
  laura_free(err);
  err = NULL;
  laura_iterator_destroy(it);
  laura_readtxn_end(snap);
  CHECK(Is(Get(db, "k002"), "v2"));

  /* Write transactions: see their own writes; abort discards; one at a time. */
  laura_writetxn_t* txn = NULL;
  CHECK(laura_begin_write(db, 1, &txn, &err) == LAURA_OK);
  CHECK(laura_writetxn_put(txn, "t", 1, "1", 1, &err) == LAURA_OK);
  CHECK(laura_writetxn_get(txn, "t", 1, &value, &len, &err) == LAURA_OK);
  laura_free(value);
  laura_writetxn_t* second = NULL;
  CHECK(laura_begin_write(db, 0, &second, &err) == LAURA_FAILED_PRECONDITION);
  laura_free(err);
  err = NULL;
  laura_writetxn_abort(txn);
  CHECK(Get(db, "t") == NULL);
  CHECK(laura_begin_write(db, 1, &txn, &err) == LAURA_OK);
  CHECK(laura_writetxn_put(txn, "t", 1, "2", 1, &err) == LAURA_OK);
  CHECK(laura_writetxn_delete(txn, "k000", 4, &err) == LAURA_OK);
  it = laura_writetxn_iterator(txn);
  laura_iterator_seek_to_first(it);
  CHECK(laura_iterator_valid(it) && memcmp(laura_iterator_key(it, &len), "k001", 4) == 0);
  laura_iterator_destroy(it);
  CHECK(laura_writetxn_commit(txn, 1, &err) == LAURA_OK);
  CHECK(Is(Get(db, "t"), "2"));
  CHECK(Get(db, "k000") == NULL);

  /* Key spaces: separate keys, written together by a batch. */
  laura_space_t* users = NULL;
  laura_space_t* again = NULL;
  CHECK(laura_space_create(db, "users", &users, &err) == LAURA_OK);
  CHECK(strcmp(laura_space_name(users), "users") == 0);
  CHECK(laura_space_create(db, "users", &again, &err) == LAURA_ALREADY_EXISTS);
  laura_free(err);
  err = NULL;
  CHECK(laura_space_open(db, "nobody", &again, NULL) == LAURA_NOT_FOUND);
  CHECK(laura_space_put(db, users, "t", 1, "in users", 8, &err) == LAURA_OK);
  CHECK(laura_space_get(db, users, "t", 1, &value, &len, &err) == LAURA_OK);
  CHECK(len == 8 && memcmp(value, "in users", 8) == 0);
  laura_free(value);
  CHECK(Is(Get(db, "t"), "2")); /* the default space's t is another key */
  batch = laura_writebatch_create();
  laura_writebatch_space_put(batch, users, "u", 1, "1", 1);
  laura_writebatch_space_delete(batch, users, "t", 1);
  laura_writebatch_put(batch, "u", 1, "default", 7);
  CHECK(laura_write(db, batch, 0, &err) == LAURA_OK);
  laura_writebatch_destroy(batch);
  CHECK(laura_space_get(db, users, "t", 1, &value, &len, NULL) == LAURA_NOT_FOUND);
  CHECK(laura_begin_write(db, 1, &txn, &err) == LAURA_OK);
  CHECK(laura_writetxn_space_put(txn, users, "w", 1, "x", 1, &err) == LAURA_OK);
  CHECK(laura_writetxn_space_get(txn, users, "w", 1, &value, &len, &err) == LAURA_OK);
  laura_free(value);
  CHECK(laura_writetxn_space_delete(txn, users, "u", 1, &err) == LAURA_OK);
  it = laura_writetxn_space_iterator(txn, users);
  count = 0;
  for (laura_iterator_seek_to_first(it); laura_iterator_valid(it); laura_iterator_next(it)) ++count;
  CHECK(count == 1);
  laura_iterator_destroy(it);
  CHECK(laura_writetxn_commit(txn, -1, &err) == LAURA_OK);
  snap = laura_begin_read(db);
  CHECK(laura_readtxn_space_get(snap, users, "w", 1, &value, &len, &err) == LAURA_OK);
  laura_free(value);
  it = laura_readtxn_space_iterator(snap, users);
  laura_iterator_seek_to_first(it);
  CHECK(laura_iterator_valid(it) && memcmp(laura_iterator_key(it, &len), "w", 1) == 0 && len == 1);
  laura_iterator_destroy(it);
  laura_readtxn_end(snap);
  it = laura_space_iterator(db, users);
  laura_iterator_seek_to_last(it);
  CHECK(laura_iterator_valid(it));
  laura_iterator_destroy(it);
  CHECK(laura_space_create(db, "orders", &again, &err) == LAURA_OK);
  laura_space_destroy(again);
  char** names = NULL;
  size_t n = 0;
  CHECK(laura_space_list(db, &names, &n, &err) == LAURA_OK);
  CHECK(n == 2 && strcmp(names[0], "orders") == 0 && strcmp(names[1], "users") == 0);
  for (size_t i = 0; i < n; ++i) laura_free(names[i]);
  laura_free(names);
  CHECK(laura_space_drop(db, "users", &err) == LAURA_OK);
  CHECK(laura_space_get(db, users, "w", 1, &value, &len, &err) == LAURA_FAILED_PRECONDITION);
  laura_free(err);
  err = NULL;
  laura_space_destroy(users);

  /* Maintenance calls and stats. */
  CHECK(laura_sync(db, &err) == LAURA_OK);
  CHECK(laura_checkpoint(db, &err) == LAURA_OK);
  CHECK(laura_compact(db, &err) == LAURA_OK);
  CHECK(laura_backup(db, backup, 1, &err) == LAURA_OK);
  CHECK(laura_backup(db, backup, 0, &err) == LAURA_ALREADY_EXISTS);
  laura_free(err);
  err = NULL;
  char* stats = laura_stats(db);
  CHECK(stats != NULL && strstr(stats, "commits=") != NULL);
  laura_free(stats);
  CHECK(laura_close(db, &err) == LAURA_OK);

  /* The backup opens read-only with the same contents. */
  options = laura_options_create();
  laura_options_set_read_only(options, 1);
  CHECK(laura_open(options, backup, &db, &err) == LAURA_OK);
  laura_options_destroy(options);
  CHECK(Is(Get(db, "t"), "2"));
  CHECK(laura_put(db, "x", 1, "y", 1, &err) == LAURA_FAILED_PRECONDITION);
  laura_free(err);
  it = laura_iterator_create(db);
  count = 0;
  for (laura_iterator_seek_to_first(it); laura_iterator_valid(it); laura_iterator_next(it)) {
    ++count;
  }
  CHECK(count == 101); /* k001..k099 but k050, then t, u and z\0z */
  laura_iterator_destroy(it);
  CHECK(laura_close(db, NULL) == LAURA_OK);
  CHECK(laura_close(NULL, NULL) == LAURA_OK);

  if (failures == 0) printf("CApiTest: all checks passed\n");
  return failures;
}
