// LauraDB's public API (#include <laura/db.h>): the engine layer's door.
// Its headers, all under engine/include/laura/, include nothing of the
// engine's internals (storage/, wal/, btree/; InstallTest checks the
// installed ones), and are what `cmake --install` installs.
//
// A database is a directory holding the data file (data.ldb: a
// copy-on-write B+tree, see btree/btree.h), the write-ahead log (log/), the
// writer's lock file (LOCK) and the coordination file through which
// read-only opens in other processes follow the writer (SHARED, see
// btree/shared_registry.h and engine/processes.cc). Every commit is appended to the log before it is
// acknowledged; a checkpoint writes the tree's changed pages, makes the
// data file durable, flips its meta page and drops the log segments it
// covers; opening recovers by replaying the log past the last checkpoint.
//
//   laura::Options options;                       // defaults: laura/options.h
//   auto db = laura::DB::Open(options, "/tmp/my.laura");
//   if (!db.ok()) { /* db.status() says why */ }
//   absl::Status s = (*db)->Put("user/1", "ada");
//   absl::StatusOr<std::string> v = (*db)->Get("user/1");   // "ada"
//   laura::WriteBatch batch;                      // applied all or nothing
//   batch.Put("user/2", "grace");
//   batch.Delete("user/1");
//   s = (*db)->Write(batch);
//   s = (*db)->Close();                           // checkpoints
//
// Errors: NotFound (a missing key; a missing database without
// create_if_missing), InvalidArgument (bad options, key or value too
// large), AlreadyExists (error_if_exists), FailedPrecondition (locked by
// another process; read-only; the database failed and must be reopened),
// DataLoss (damaged files), ResourceExhausted (disk full).
//
// Thread safety: every call may be made from any thread. Writes are
// serialized (one writer at a time); reads run on a snapshot of the last
// commit and never wait for a writer.
//
#ifndef LAURA_DB_H_
#define LAURA_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "laura/iterator.h"
#include "laura/key_space.h"
#include "laura/options.h"
#include "laura/stats.h"
#include "laura/write_batch.h"

namespace laura {

// A read transaction: a consistent snapshot of the last commit when it
// began. It never blocks a writer and is never blocked.
class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;
  virtual absl::StatusOr<std::string> Get(absl::string_view key) = 0;
  // The value of key as a view valid until this transaction ends: no copy
  // over the mmap manager for a value stored inline in its leaf (most
  // values under a third of a page); a copy owned by the transaction
  // otherwise (pread, overflow values). NotFound if absent. Proven by
  // DBTest.GetViewIsValidUntilTheTransactionEnds.
  virtual absl::StatusOr<absl::string_view> GetView(absl::string_view key) = 0;
  virtual std::unique_ptr<Iterator> NewIterator() = 0;
  // The same in a named key space (keys as given, without its prefix).
  virtual absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(const KeySpace& space) = 0;
};

// A write transaction: one at a time per database. It sees its own
// writes; Commit applies them atomically (durably, per Options), Abort or
// destruction without Commit discards them.
class WriteTransaction {
 public:
  virtual ~WriteTransaction() = default;
  virtual absl::StatusOr<std::string> Get(absl::string_view key) = 0;
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  virtual absl::Status Delete(absl::string_view key) = 0;
  // Iterates the transaction's own view; a change in the transaction
  // invalidates iterators made before it.
  virtual std::unique_ptr<Iterator> NewIterator() = 0;
  // The same in a named key space; one transaction may write several.
  virtual absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) = 0;
  virtual absl::Status Put(const KeySpace& space, absl::string_view key,
                           absl::string_view value) = 0;
  virtual absl::Status Delete(const KeySpace& space, absl::string_view key) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(const KeySpace& space) = 0;
  virtual absl::Status Commit(const WriteOptions& options) = 0;
  absl::Status Commit() { return Commit(WriteOptions()); }
  virtual absl::Status Abort() = 0;
};

struct LoadOptions {
  // The key space loaded into (default: the default space).
  KeySpace space;
  // A key already in the database, or put twice in the load: true, the
  // later value wins; false, Put fails with AlreadyExists.
  bool overwrite = false;
  // Bulk loading: fraction of each page to fill, in [0.1, 1.0].
  double fill_factor = 1.0;
};

// A load: one large write transaction that bypasses the log, for imports.
// Its changes become visible and durable together at Commit, which
// checkpoints; a crash or an error before Commit returns leaves the
// database exactly as before. It holds the writer role like a write
// transaction (readers go on; other writers wait).
//
// Into an empty database, keys put in ascending order are built bottom-up
// (btree/bulk_load.h) under the sequential access hint, each page written
// once; the first key out of order switches the load to ordinary
// copy-on-write inserts on the tree built so far. Memory use does not
// grow with the size of the load.
class Loader {
 public:
  virtual ~Loader() = default;
  // InvalidArgument for a key or value too large; AlreadyExists for a
  // repeated or existing key without LoadOptions::overwrite. Either leaves
  // the load usable; any other error means it can only be aborted.
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  // Makes every Put visible and durable at once.
  virtual absl::Status Commit() = 0;
  // Discards the load (also done by destruction without Commit).
  virtual absl::Status Abort() = 0;
  // Entries put so far (a repeated key counts once).
  virtual uint64_t count() const = 0;
  // Whether every entry so far went to the bottom-up bulk loader.
  virtual bool bulk() const = 0;
};

class DB {
 public:
  static absl::StatusOr<std::unique_ptr<DB>> Open(const Options& options,
                                                  const std::string& path);
  // Closes the database if Close was not called (errors are lost then).
  // REQUIRES: no iterator or transaction of it is open (the process is
  // aborted with a message otherwise: they would point at freed pages).
  virtual ~DB() = default;

  // The value of key; NotFound if absent.
  virtual absl::StatusOr<std::string> Get(absl::string_view key) = 0;
  // The same into *value, reusing its buffer (no allocation once it is
  // large enough). *value is unspecified on an error.
  virtual absl::Status Get(absl::string_view key, std::string* value) = 0;
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  // Deleting a missing key is not an error.
  virtual absl::Status Delete(absl::string_view key) = 0;
  // Applies every operation of batch atomically.
  virtual absl::Status Write(const WriteBatch& batch, const WriteOptions& options) = 0;
  absl::Status Write(const WriteBatch& batch) { return Write(batch, WriteOptions()); }

  // A snapshot of the latest commit. The database must outlive it.
  virtual std::unique_ptr<ReadTransaction> BeginRead() = 0;
  // Starts the write transaction; if another is active, waits for it, or
  // with wait = false fails with FailedPrecondition at once. End it (Commit,
  // Abort or destruction) before Close, which waits for it.
  virtual absl::StatusOr<std::unique_ptr<WriteTransaction>> BeginWrite(bool wait = true) = 0;
  // Starts a load (see Loader), waiting for the writer role.
  virtual absl::StatusOr<std::unique_ptr<Loader>> BeginLoad(const LoadOptions& options = {}) = 0;
  // An iterator over a snapshot of the latest commit (owning the snapshot).
  virtual std::unique_ptr<Iterator> NewIterator() = 0;

  // Named key spaces (engine/key_space.h): separate, ordered sets of keys
  // in one database, written together atomically by a batch or a
  // transaction. The default space is KeySpace() and is what the calls
  // without a space use; its keys may not begin with kSpacePrefix
  // (InvalidArgument). Names are 1 to 255 bytes.
  // Creates a space: AlreadyExists if there is one of that name.
  virtual absl::StatusOr<KeySpace> CreateKeySpace(absl::string_view name) = 0;
  // The handle of an existing space: NotFound if there is none.
  virtual absl::StatusOr<KeySpace> GetKeySpace(absl::string_view name) = 0;
  // Drops a space and its keys: gone from the next snapshot on (handles
  // of it fail with FailedPrecondition from then), its pages freed at
  // once when it is small, otherwise by a background thread in batches
  // (also after a crash: DBStats::dropping_spaces counts what is left).
  virtual absl::Status DropKeySpace(absl::string_view name) = 0;
  // The names of the spaces, sorted (the default space is not listed).
  virtual absl::StatusOr<std::vector<std::string>> ListKeySpaces() = 0;
  virtual absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) = 0;
  virtual absl::Status Put(const KeySpace& space, absl::string_view key,
                           absl::string_view value) = 0;
  virtual absl::Status Delete(const KeySpace& space, absl::string_view key) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(const KeySpace& space) = 0;

  // Makes every acknowledged commit durable (syncs the log).
  virtual absl::Status Sync() = 0;
  // Writes a checkpoint: the data file holds every commit so far and the
  // log before it is dropped. Other threads' commits wait only while the
  // changed pages are written, not for the syncs.
  virtual absl::Status Checkpoint() = 0;
  // Compaction: moves the pages in use at the end of the data file into
  // free pages nearer its start (copy-on-write, committed like a
  // transaction while readers go on; other writers wait for it), then
  // checkpoints so that the free end is truncated. The contents do not
  // change. Pages that a snapshot still open reaches are given back by a
  // checkpoint after it ends. Proven by SpaceTest.CompactShrinksTheFileToItsLiveData
  // and SpaceTest.CompactWhileReadersHoldOldSnapshots.
  virtual absl::Status Compact() = 0;

  struct BackupOptions {
    // Write only the pages in use, renumbered from the start and filled
    // by the bulk loader at fill_factor (like mdb_copy -c); otherwise copy
    // the pages as they are, at the same ids.
    bool compact = false;
    double fill_factor = 1.0;
  };
  // Writes a consistent copy of the latest commit to a new database
  // directory at `path` while readers and writers go on (it holds a
  // snapshot, like a reader). The copy opens as a cleanly closed database:
  // no log to replay, the structural checker passes. It is written under
  // path + ".partial" and renamed into place once durable, so a crash
  // never leaves something at `path` that looks complete. AlreadyExists
  // if path exists. Proven by SpaceTest.BackupWhileAWriterRunsIsAConsistentDatabase
  // and CrashTest.PowerLossDuringBackupNeverLeavesAPartialCopy.
  virtual absl::Status Backup(const std::string& path, const BackupOptions& options) = 0;
  absl::Status Backup(const std::string& path) { return Backup(path, BackupOptions()); }

  // Checkpoints and releases the files. Calls already running on other
  // threads finish first; later calls fail with FailedPrecondition.
  // FailedPrecondition, changing nothing, while an iterator or a read
  // transaction is open (destroy them first); an active write transaction
  // is waited for. Proven by DBTest.CloseWhileConcurrentReadersAreInsideCalls
  // and DBTest.CloseRefusesWhileIteratorsOrReadTransactionsAreOpen.
  virtual absl::Status Close() = 0;

  virtual DBStats Stats() = 0;
  // Runs the structural checker (btree/check.h) over the latest commit,
  // with page checksums (it flushes the buffer layer first).
  virtual CheckReport Check() = 0;
  // Access hints for the whole data file (madvise with mmap, fadvise with
  // pread): random lookups, or one pass in key order (a scan, an export).
  virtual absl::Status AdviseRandom() = 0;
  virtual absl::Status AdviseSequential() = 0;
  // Hints that keys in [from, to) will be read soon: their leaf pages are
  // found from the branch pages and prefetched (madvise/fadvise WILLNEED).
  virtual absl::Status AdviseWillNeed(absl::string_view from, absl::string_view to) = 0;
};

}  // namespace laura

#endif  // LAURA_DB_H_
