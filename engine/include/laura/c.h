/* LauraDB's C API: the library's stable, exported interface (LevelDB's c.h
 * is the model), for C programs and for bindings (the Python package
 * binds to it). Compiles as C99 and as C++.
 *
 * Conventions
 *  - Keys and values are byte strings: a pointer and a length; they may
 *    hold any bytes, zeros included.
 *  - Every call that can fail returns an int code, LAURA_OK (0) on success
 *    (laura_code below), and takes `char** errmsg` last: on failure, if
 *    errmsg is not NULL, *errmsg is set to a message the caller owns and
 *    frees with laura_free (on success it is left untouched).
 *  - Ownership: objects made by a *_create, *_open or *_begin_* call are
 *    the caller's until passed to the matching destroy, close, commit or
 *    abort call. Bytes returned through `char**` (values, messages,
 *    stats) are the caller's, freed with laura_free. Bytes returned as
 *    `const char*` by an iterator (laura_iterator_key/value) belong to it
 *    and stay valid until it moves or is destroyed.
 *  - Lifetimes: destroy every iterator before the transaction or database
 *    it came from, and end every transaction before laura_close.
 *  - Threads: a database may be used from any thread at once (one write
 *    transaction at a time; readers never wait). An iterator, a batch or
 *    a transaction is used by one thread at a time.
 *
 * Proven by tests/engine/c_api_test.c (compiled as C) and the Python
 * package's tests (python/tests).
 */
#ifndef LAURA_C_H_
#define LAURA_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LAURA_EXPORT __attribute__((visibility("default")))
#else
#define LAURA_EXPORT
#endif

/* Result codes (the C++ API's absl::StatusCode, folded). */
enum laura_code {
  LAURA_OK = 0,
  LAURA_NOT_FOUND = 1,           /* a missing key or database */
  LAURA_INVALID_ARGUMENT = 2,    /* bad options, key or value too large */
  LAURA_ALREADY_EXISTS = 3,      /* error_if_exists; a backup target in use */
  LAURA_FAILED_PRECONDITION = 4, /* locked by another process, read-only,
                                    closed, or failed (reopen to recover) */
  LAURA_DATA_LOSS = 5,           /* a damaged file */
  LAURA_RESOURCE_EXHAUSTED = 6,  /* disk full */
  LAURA_UNAVAILABLE = 7,         /* a writer process did not answer */
  LAURA_IO_ERROR = 8,            /* any other failure */
};

typedef struct laura_options_t laura_options_t;
typedef struct laura_db_t laura_db_t;
typedef struct laura_writebatch_t laura_writebatch_t;
typedef struct laura_iterator_t laura_iterator_t;
typedef struct laura_readtxn_t laura_readtxn_t;
typedef struct laura_writetxn_t laura_writetxn_t;
typedef struct laura_space_t laura_space_t;

/* "MAJOR.MINOR.PATCH" of the library (static storage). */
LAURA_EXPORT const char* laura_version(void);
/* Frees bytes the library returned through a char** (values, messages). */
LAURA_EXPORT void laura_free(void* ptr);

/* ---- Options (defaults as laura/options.h documents them) ---- */
enum { LAURA_MMAP = 0, LAURA_PREAD = 1 };
enum { LAURA_SYNC_EVERY_COMMIT = 0, LAURA_SYNC_ON_TIMER = 1, LAURA_NO_SYNC = 2 };
LAURA_EXPORT laura_options_t* laura_options_create(void);
LAURA_EXPORT void laura_options_destroy(laura_options_t* options);
LAURA_EXPORT void laura_options_set_create_if_missing(laura_options_t* options, int on);
LAURA_EXPORT void laura_options_set_error_if_exists(laura_options_t* options, int on);
LAURA_EXPORT void laura_options_set_read_only(laura_options_t* options, int on);
/* LAURA_MMAP (default) or LAURA_PREAD. */
LAURA_EXPORT void laura_options_set_disk_manager(laura_options_t* options, int kind);
/* LAURA_SYNC_EVERY_COMMIT (default), LAURA_SYNC_ON_TIMER or LAURA_NO_SYNC. */
LAURA_EXPORT void laura_options_set_durability(laura_options_t* options, int durability);
LAURA_EXPORT void laura_options_set_cache_size(laura_options_t* options, uint64_t bytes);
LAURA_EXPORT void laura_options_set_page_size(laura_options_t* options, uint32_t bytes);
LAURA_EXPORT void laura_options_set_lock_timeout_ms(laura_options_t* options, uint32_t ms);

/* ---- Database ---- */
/* Opens (or creates) the database directory at path into *db. options may
 * be NULL for the defaults; it may be destroyed once this returns. */
LAURA_EXPORT int laura_open(const laura_options_t* options, const char* path, laura_db_t** db,
                            char** errmsg);
/* Checkpoints and closes db, and frees it. LAURA_FAILED_PRECONDITION, with
 * db left open and still the caller's, while an iterator or transaction
 * of it is open. NULL is a no-op. */
LAURA_EXPORT int laura_close(laura_db_t* db, char** errmsg);
/* The value of key into *value / *value_len (the caller frees *value with
 * laura_free). LAURA_NOT_FOUND if absent. */
LAURA_EXPORT int laura_get(laura_db_t* db, const char* key, size_t key_len, char** value,
                           size_t* value_len, char** errmsg);
LAURA_EXPORT int laura_put(laura_db_t* db, const char* key, size_t key_len, const char* value,
                           size_t value_len, char** errmsg);
/* Deleting a missing key is not an error. */
LAURA_EXPORT int laura_delete(laura_db_t* db, const char* key, size_t key_len, char** errmsg);
/* Applies every operation of batch atomically. sync: 1 durable before
 * returning, 0 handed to the OS, -1 as the database's durability says. */
LAURA_EXPORT int laura_write(laura_db_t* db, const laura_writebatch_t* batch, int sync,
                             char** errmsg);
/* Makes every commit so far durable. */
LAURA_EXPORT int laura_sync(laura_db_t* db, char** errmsg);
LAURA_EXPORT int laura_checkpoint(laura_db_t* db, char** errmsg);
/* Moves pages from the end of the file into free space and shrinks it. */
LAURA_EXPORT int laura_compact(laura_db_t* db, char** errmsg);
/* A consistent copy of the latest commit in a new directory dest; with
 * compact, only live pages, renumbered. */
LAURA_EXPORT int laura_backup(laura_db_t* db, const char* dest, int compact, char** errmsg);
/* Counters and sizes, three lines of name=value pairs (caller frees). */
LAURA_EXPORT char* laura_stats(laura_db_t* db);

/* ---- Write batches ---- */
LAURA_EXPORT laura_writebatch_t* laura_writebatch_create(void);
LAURA_EXPORT void laura_writebatch_destroy(laura_writebatch_t* batch);
LAURA_EXPORT void laura_writebatch_put(laura_writebatch_t* batch, const char* key, size_t key_len,
                                       const char* value, size_t value_len);
LAURA_EXPORT void laura_writebatch_delete(laura_writebatch_t* batch, const char* key,
                                          size_t key_len);
LAURA_EXPORT void laura_writebatch_clear(laura_writebatch_t* batch);
/* Operations in the batch. */
LAURA_EXPORT size_t laura_writebatch_count(const laura_writebatch_t* batch);

/* ---- Read transactions: one snapshot, never blocked ---- */
LAURA_EXPORT laura_readtxn_t* laura_begin_read(laura_db_t* db);
LAURA_EXPORT int laura_readtxn_get(laura_readtxn_t* txn, const char* key, size_t key_len,
                                   char** value, size_t* value_len, char** errmsg);
/* Ends the snapshot and frees txn. */
LAURA_EXPORT void laura_readtxn_end(laura_readtxn_t* txn);

/* ---- Write transactions: one at a time ---- */
/* Begins one into *txn; with wait 0, LAURA_FAILED_PRECONDITION at once if
 * another is active, otherwise waits for it. */
LAURA_EXPORT int laura_begin_write(laura_db_t* db, int wait, laura_writetxn_t** txn,
                                   char** errmsg);
/* Sees the transaction's own writes. */
LAURA_EXPORT int laura_writetxn_get(laura_writetxn_t* txn, const char* key, size_t key_len,
                                    char** value, size_t* value_len, char** errmsg);
LAURA_EXPORT int laura_writetxn_put(laura_writetxn_t* txn, const char* key, size_t key_len,
                                    const char* value, size_t value_len, char** errmsg);
LAURA_EXPORT int laura_writetxn_delete(laura_writetxn_t* txn, const char* key, size_t key_len,
                                       char** errmsg);
/* Commits (sync as for laura_write) and frees txn, also on failure. */
LAURA_EXPORT int laura_writetxn_commit(laura_writetxn_t* txn, int sync, char** errmsg);
/* Discards the changes and frees txn. */
LAURA_EXPORT void laura_writetxn_abort(laura_writetxn_t* txn);

/* ---- Iterators: ordered, bytewise, over one snapshot ---- */
/* Over the latest commit (its own snapshot). */
LAURA_EXPORT laura_iterator_t* laura_iterator_create(laura_db_t* db);
/* Over a read transaction's snapshot, or a write transaction's own view
 * (a change in that transaction invalidates it). */
LAURA_EXPORT laura_iterator_t* laura_readtxn_iterator(laura_readtxn_t* txn);
LAURA_EXPORT laura_iterator_t* laura_writetxn_iterator(laura_writetxn_t* txn);
LAURA_EXPORT void laura_iterator_destroy(laura_iterator_t* it);
LAURA_EXPORT int laura_iterator_valid(const laura_iterator_t* it);
LAURA_EXPORT void laura_iterator_seek_to_first(laura_iterator_t* it);
LAURA_EXPORT void laura_iterator_seek_to_last(laura_iterator_t* it);
/* The first key >= key. */
LAURA_EXPORT void laura_iterator_seek(laura_iterator_t* it, const char* key, size_t key_len);
/* The last key <= key. */
LAURA_EXPORT void laura_iterator_seek_for_prev(laura_iterator_t* it, const char* key,
                                               size_t key_len);
/* REQUIRES: laura_iterator_valid. */
LAURA_EXPORT void laura_iterator_next(laura_iterator_t* it);
LAURA_EXPORT void laura_iterator_prev(laura_iterator_t* it);
/* REQUIRES: laura_iterator_valid. Owned by the iterator, valid until it
 * moves. */
LAURA_EXPORT const char* laura_iterator_key(const laura_iterator_t* it, size_t* len);
LAURA_EXPORT const char* laura_iterator_value(laura_iterator_t* it, size_t* len);
/* LAURA_OK, or why the iteration stopped early (a damaged page). */
LAURA_EXPORT int laura_iterator_status(const laura_iterator_t* it, char** errmsg);

/* ---- Named key spaces (engine/key_space.h) ----
 * Separate ordered sets of keys in one database; a batch or a transaction
 * writes several atomically. The calls above use the default space; these
 * take a space handle, which the caller destroys (the space stays). Names
 * are 1 to 255 bytes. */
/* Creates a space (LAURA_ALREADY_EXISTS if the name is taken). */
LAURA_EXPORT int laura_space_create(laura_db_t* db, const char* name, laura_space_t** space,
                                    char** errmsg);
/* An existing space's handle (LAURA_NOT_FOUND if there is none). */
LAURA_EXPORT int laura_space_open(laura_db_t* db, const char* name, laura_space_t** space,
                                  char** errmsg);
/* Drops a space and its keys; its handles then fail with
 * LAURA_FAILED_PRECONDITION. */
LAURA_EXPORT int laura_space_drop(laura_db_t* db, const char* name, char** errmsg);
/* The names, sorted, into *names (an array of *count NUL-terminated
 * strings; the caller frees each and the array with laura_free). */
LAURA_EXPORT int laura_space_list(laura_db_t* db, char*** names, size_t* count, char** errmsg);
/* The space's name (owned by the handle). */
LAURA_EXPORT const char* laura_space_name(const laura_space_t* space);
LAURA_EXPORT void laura_space_destroy(laura_space_t* space);
LAURA_EXPORT int laura_space_get(laura_db_t* db, const laura_space_t* space, const char* key,
                                 size_t key_len, char** value, size_t* value_len, char** errmsg);
LAURA_EXPORT int laura_space_put(laura_db_t* db, const laura_space_t* space, const char* key,
                                 size_t key_len, const char* value, size_t value_len,
                                 char** errmsg);
LAURA_EXPORT int laura_space_delete(laura_db_t* db, const laura_space_t* space, const char* key,
                                    size_t key_len, char** errmsg);
LAURA_EXPORT laura_iterator_t* laura_space_iterator(laura_db_t* db, const laura_space_t* space);
LAURA_EXPORT void laura_writebatch_space_put(laura_writebatch_t* batch, const laura_space_t* space,
                                             const char* key, size_t key_len, const char* value,
                                             size_t value_len);
LAURA_EXPORT void laura_writebatch_space_delete(laura_writebatch_t* batch,
                                                const laura_space_t* space, const char* key,
                                                size_t key_len);
LAURA_EXPORT int laura_readtxn_space_get(laura_readtxn_t* txn, const laura_space_t* space,
                                         const char* key, size_t key_len, char** value,
                                         size_t* value_len, char** errmsg);
LAURA_EXPORT laura_iterator_t* laura_readtxn_space_iterator(laura_readtxn_t* txn,
                                                            const laura_space_t* space);
LAURA_EXPORT int laura_writetxn_space_get(laura_writetxn_t* txn, const laura_space_t* space,
                                          const char* key, size_t key_len, char** value,
                                          size_t* value_len, char** errmsg);
LAURA_EXPORT int laura_writetxn_space_put(laura_writetxn_t* txn, const laura_space_t* space,
                                          const char* key, size_t key_len, const char* value,
                                          size_t value_len, char** errmsg);
LAURA_EXPORT int laura_writetxn_space_delete(laura_writetxn_t* txn, const laura_space_t* space,
                                             const char* key, size_t key_len, char** errmsg);
LAURA_EXPORT laura_iterator_t* laura_writetxn_space_iterator(laura_writetxn_t* txn,
                                                             const laura_space_t* space);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LAURA_C_H_ */
