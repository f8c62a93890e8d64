// DB: opening, recovery, writes through the log, reads on snapshots,
// checkpoints and closing (see db.h).
//
// Commit protocol. One writer holds the writer role (writer_active_) at a
// time: a write transaction, Write, Checkpoint or Close.
//   1. the writer applies its changes to the B+tree's write transaction
//      (copy-on-write; on an error the transaction is aborted, nothing is
//      logged);
//   2. under write_mu_ it appends the batch to the log with LSN = the
//      tree's transaction number, seals the transaction (EndTransaction:
//      the next writer builds on it) and gives up the writer role;
//   3. outside the lock it syncs the log up to its record (kSyncEveryCommit;
//      concurrent committers share one sync) or hands it to the OS;
//   4. it publishes the transaction (readers see it from here, so a reader
//      never sees a commit that is not durable yet).
// A failure in 2-4 fails the database: no write is accepted until it is
// reopened, which recovers from the log.
// Recovery replays, in LSN order, every logged batch past the data file's
// checkpoint LSN; LSNs are consecutive, so a gap is DataLoss.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "btree/btree.h"
#include "engine/db_impl.h"
#include "storage/mutex.h"
#include "storage/pager.h"
#include "storage/status_macros.h"
#include "wal/log.h"

namespace laura {
namespace engine_internal {

absl::Status DBImpl::Init() {
  env_ = options_.env != nullptr ? options_.env : Env::Default();
  const std::string data = path_ + "/data.ldb";
  const std::string log_dir = path_ + "/log";
  const bool exists = env_->FileExists(data);
  if (!exists && (!options_.create_if_missing || options_.read_only)) {
    return absl::NotFoundError(absl::StrCat("database ", path_, " does not exist"));
  }
  if (exists && options_.error_if_exists) {
    return absl::AlreadyExistsError(absl::StrCat("database ", path_, " already exists"));
  }
  if (!exists) {
    // Each new directory's entry is durable before anything inside counts
    // on it: sync the directory that holds it.
    LAURA_RETURN_IF_ERROR(env_->CreateDir(path_));
    LAURA_RETURN_IF_ERROR(env_->SyncDir(DirName(path_)));
    LAURA_RETURN_IF_ERROR(env_->CreateDir(log_dir));
    LAURA_RETURN_IF_ERROR(env_->SyncDir(path_));
  }
  if (!options_.read_only) LAURA_RETURN_IF_ERROR(TakeLock());
  bool following = false;
  LAURA_RETURN_IF_ERROR(OpenShared(&following));

  DiskManagerOptions dm_options;
  dm_options.env = env_;
  dm_options.read_only = options_.read_only;
  dm_options.page_size = options_.page_size;
  // A read-only database reads through a read-only mapping whichever
  // manager is configured: a writer process may change pages it no
  // longer reaches, which a private pool of frames could still hold,
  // while the page cache a mapping shows is always the file's.
  const DiskManagerKind kind = options_.read_only ? DiskManagerKind::kMmap : options_.disk_manager;
  if (kind == DiskManagerKind::kMmap) {
    dm_options.initial_size = options_.mmap_initial_size;
    dm_options.growth_step = options_.mmap_growth_step;
  }
  LAURA_ASSIGN_OR_RETURN(dm_, DiskManager::Open(kind, data, dm_options));
  LAURA_ASSIGN_OR_RETURN(pager_, Pager::Create(dm_.get(), {.cache_bytes = options_.cache_size}));
  const Meta meta = dm_->durable_meta();
  tree_ = std::make_unique<BTree>(pager_.get(), meta.root, meta.checkpoint_lsn);
  if (!options_.read_only && options_.prefetch_batches && dm_->has_mapping()) {
    prefetcher_ = std::make_unique<BatchPrefetcher>(tree_.get());  // recovery uses it too
  }

  if (options_.read_only) {
    tree_->FollowShared(shared_.get(), {.generation = fallback_generation_,
                                        .root = meta.root,
                                        .txn = meta.checkpoint_lsn,
                                        .page_count = dm_->page_count(),
                                        .valid = true});
  } else {
    tree_->ShareAsWriter(shared_.get(), generation_);
    // Reader processes may read the version an earlier writer published,
    // which may reach any free page: fence them all. With none attached,
    // no one may use that version any more; one that attaches meanwhile
    // finds it invalid (btree/shared_registry.h, step 3).
    if (!shared_->InvalidateUnlessAttached()) dm_->Fence();
  }

  uint64_t next_segment = 1;
  std::vector<SegmentInfo> segments;
  // A reader following a writer process reads its published version: the
  // log is the writer's.
  if (!following) LAURA_RETURN_IF_ERROR(Recover(&next_segment, &segments));
  MutexLock lock(&write_mu_);
  if (!options_.read_only) {
    if (tree_->committed_txn() != meta.checkpoint_lsn) LAURA_RETURN_IF_ERROR(CheckpointLocked());
    LAURA_RETURN_IF_ERROR(StartSharing());
    LAURA_ASSIGN_OR_RETURN(log_, LogWriter::Create(log_dir, next_segment, std::move(segments),
                                                   {.env = env_,
                                                    .segment_size = options_.log_segment_size}));
    LAURA_RETURN_IF_ERROR(log_->DropSegmentsThrough(tree_->committed_txn()));
  }
  LAURA_RETURN_IF_ERROR(LoadDroppedSpaces());
  initialized_ = true;
  if (!options_.read_only && options_.durability == Durability::kSyncOnTimer) {
    syncer_ = std::thread([this] { RunSyncer(); });
  }
  if (!options_.read_only) StartCheckpointer();
  if (dropped_count_.load() > 0) StartDropper();  // resumes drops a crash cut short
  return absl::OkStatus();
}

absl::Status DBImpl::TakeLock() {
  const std::string lock_path = path_ + "/LOCK";
  const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.lock_timeout_ms);
  absl::StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(lock_path);
  while (absl::IsFailedPrecondition(lock.status()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));  // the holder gives no signal to wait on
    lock = env_->LockFile(lock_path);
  }
  if (absl::IsFailedPrecondition(lock.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", path_, ": ", lock.status().message(),
        options_.lock_timeout_ms > 0
            ? absl::StrCat(" after waiting ", options_.lock_timeout_ms, " ms")
            : std::string(" (Options::lock_timeout_ms or laura --wait waits for it)")));
  }
  LAURA_RETURN_IF_ERROR(lock.status());
  lock_ = std::move(*lock);
  return absl::OkStatus();
}

absl::Status DBImpl::ApplyBatch(absl::string_view payload) {
  // The helper starts after the first put that does not go to the
  // rightmost leaf (or the first delete): an append stream (a sequential
  // load) inserts there without a descent, so warming leaves cannot help
  // it, and the helper would only spin on the other core and make the
  // writer wait for it at the end (PrefetchThreadDBTest.AnAppendBatchRunsWithoutThePrefetcher).
  BatchPrefetcher* const helper =
      WriteBatch::EncodedCount(payload) >= BatchPrefetcher::kMinOps ? prefetcher_.get() : nullptr;
  bool warming = false;
  size_t started = 0;
  auto next = [&] {
    ++started;
    if (warming) helper->Progress(started);
  };
  auto warm_from_here = [&] {
    if (helper == nullptr || warming) return;
    helper->Start(payload);
    helper->Progress(started);
    warming = true;
  };
  absl::Status s = WriteBatch::Iterate(
      payload,
      [&](absl::string_view k, absl::string_view v) {
        next();
        absl::Status put = tree_->Put(k, v);
        if (!tree_->last_put_reached_rightmost_leaf()) warm_from_here();
        return put;
      },
      [&](absl::string_view k) {
        next();
        warm_from_here();
        return tree_->Delete(k).status();
      });
  if (warming) helper->Finish();
  return s;
}

absl::Status DBImpl::Recover(uint64_t* next_segment, std::vector<SegmentInfo>* segments) {
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader,
                         LogReader::Open(env_, path_ + "/log"));
  LogRecord record;
  while (true) {
    LAURA_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
    if (!more) break;
    if (record.lsn <= tree_->committed_txn()) continue;  // in the data file already
    if (options_.read_only) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path_, " was not closed cleanly and its log must be replayed: "
          "open it for writing once"));
    }
    if (record.lsn != tree_->write_txn()) {
      return absl::DataLossError(absl::StrCat("log of ", path_, " jumps from LSN ",
                                              tree_->committed_txn(), " to ", record.lsn));
    }
    absl::Status s = Checked(ApplyBatch(record.payload));
    if (!s.ok()) {
      return absl::DataLossError(absl::StrCat("log record LSN ", record.lsn, " of ", path_,
                                              " cannot be replayed: ", s.message()));
    }
    LAURA_RETURN_IF_ERROR(tree_->Commit());
  }
  *next_segment = reader->next_segment_number();
  *segments = reader->segments();
  return absl::OkStatus();
}

absl::Status DBImpl::CheckWritable() const {
  LAURA_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only) {
    return absl::FailedPreconditionError(absl::StrCat("database ", path_, " is read-only"));
  }
  return Checked(failed_);
}

absl::Status DBImpl::Fail(const absl::Status& s) {
  if (s.ok()) return s;
  if (failed_.ok()) {
    failed_ = absl::Status(s.code(), absl::StrCat("database ", path_, " failed (", s.message(),
                                                  "); reopen it to recover"));
  }
  return failed_;
}

absl::Status DBImpl::AcquireWriter(bool wait) {
  MutexLock lock(&write_mu_);
  LAURA_RETURN_IF_ERROR(CheckWritable());
  if (writer_active_) {
    if (!wait) {
      return absl::FailedPreconditionError(
          absl::StrCat("database ", path_, ": another write transaction is active"));
    }
    // The role is usually held for microseconds: poll for it before
    // sleeping (a sleeper's wake-up costs more than that here).
    write_mu_.SpinUnlocked(
        [this] { return !writer_active_.load(std::memory_order_relaxed); }, kWriterSpin);
    write_mu_.Await(absl::Condition(
        +[](std::atomic<bool>* active) { return !active->load(std::memory_order_relaxed); },
        &writer_active_));
    LAURA_RETURN_IF_ERROR(CheckWritable());
  }
  writer_active_ = true;
  // Pages freed by published transactions that no snapshot reaches go
  // back to the free list (writer role only).
  if (absl::Status s = tree_->ReleaseFrees(); !s.ok()) {
    writer_active_ = false;
    return Fail(s);
  }
  // The last reader process left: commits stay in frames again
  // (engine/processes.cc).
  if (pager_->write_through() && shared_->attached() == 0) {
    pager_->set_write_through(false);
    tree_->StopSharing();
  }
  WarnAboutLongSnapshots();
  return absl::OkStatus();
}

void DBImpl::WarnAboutLongSnapshots() {
  const uint64_t limit = options_.long_snapshot_warning_bytes;
  if (limit == 0 || pager_->held_pages() * dm_->page_size() < limit) return;
  // The oldest live snapshot (the earliest taken among those of its txn).
  const std::vector<SnapshotRegistry::Entry> open = tree_->ListSnapshots();
  const auto oldest_entry =
      std::min_element(open.begin(), open.end(), [](const auto& a, const auto& b) {
        return std::tie(a.version.txn, a.since_us) < std::tie(b.version.txn, b.since_us);
      });
  if (oldest_entry == open.end() || oldest_entry->version.txn == warned_snapshot_) return;
  const uint64_t oldest = oldest_entry->version.txn;
  // A checkpoint's own snapshot gives its pages back when the checkpoint
  // ends: no reader to name (DBTest.ACheckpointsOwnSnapshotIsNotWarnedAbout).
  if (oldest == checkpoint_snapshot_txn_.load(std::memory_order_relaxed)) return;
  warned_snapshot_ = oldest;
  const double age = (SnapshotClockMicros() - oldest_entry->since_us) / 1e6;
  const uint64_t held = pager_->held_pages();
  const std::string message = absl::StrCat(
      "database ", path_, ": a read snapshot of commit ", oldest, ", open for ",
      absl::StrFormat("%.1f", age), " s, and those after it hold ", held, " replaced pages (",
      held * dm_->page_size() / kMiB,
      " MiB) that writers cannot reuse; end long read transactions and iterators to give them "
      "back");
  if (options_.info_log) {
    options_.info_log(message);
  } else {
    std::fprintf(stderr, "laura: %s\n", message.c_str());
  }
}

absl::Status DBImpl::AbortWriter() {
  absl::Status s = tree_->Abort();
  MutexLock lock(&write_mu_);
  writer_active_ = false;
  return s.ok() ? s : Fail(s);
}

absl::Status DBImpl::CommitWriter(absl::string_view payload, const WriteOptions& options) {
  uint64_t lsn, position;
  {
    MutexLock lock(&write_mu_);
    writer_active_ = false;  // the next writer may start once this block ends
    if (payload.empty()) return Fail(tree_->Abort());  // nothing changed
    absl::Status s = failed_;
    lsn = tree_->write_txn();
    absl::StatusOr<uint64_t> appended = s.ok() ? log_->Append(lsn, payload) : s;
    if (!appended.ok()) {
      tree_->Abort().IgnoreError();
      return Fail(appended.status());
    }
    position = *appended;
    // Sealed: the next writer builds on this transaction, which becomes
    // visible to readers only once its log record is durable. A failure
    // to write its pages fails the database; reopening replays the log.
    if (absl::Status ended = tree_->EndTransaction().status(); !ended.ok()) return Fail(ended);
    ++in_flight_;
  }
  // Group commit: concurrent committers share one write and one sync.
  // Without per-commit sync the record is still handed to the OS (and the
  // timer's syncer makes it durable soon).
  const bool sync = options.sync.value_or(options_.durability == Durability::kSyncEveryCommit);
  absl::Status s = sync ? log_->SyncTo(position) : log_->Flush();
  MutexLock lock(&write_mu_);
  --in_flight_;
  if (!s.ok()) return Fail(s);
  tree_->Publish(lsn);
  ++commits_;
  // The background checkpointer takes it from here (checkpoint.cc).
  if (options_.checkpoint_log_bytes > 0 &&
      position - log_at_checkpoint_ >= options_.checkpoint_log_bytes) {
    checkpoint_requested_ = true;
  }
  if (options_.checkpoint_pinned_bytes > 0 && PinnedPagesOverBudget()) {
    checkpoint_requested_ = true;
  }
  return absl::OkStatus();
}

absl::Status DBImpl::Write(const WriteBatch& batch, const WriteOptions& options) {
  if (batch.empty()) return CheckOpen();
  if (batch.has_reserved_key()) return ReservedKeyError();
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  // In the writer role, so that no drop comes between the check and the
  // commit.
  for (uint64_t id : batch.spaces()) {
    if (absl::Status s = CheckSpaceId(id); !s.ok()) {
      LAURA_RETURN_IF_ERROR(AbortWriter());
      return s;
    }
  }
  const std::string payload = batch.Encode();
  if (absl::Status s = Checked(ApplyBatch(payload)); !s.ok()) {
    LAURA_RETURN_IF_ERROR(AbortWriter());
    return s;  // nothing was logged; the database is as before
  }
  return CommitWriter(payload, options);
}

absl::Status DBImpl::CommitUnlogged() {
  MutexLock lock(&write_mu_);
  // Commits still waiting for their log sync are in the tree this
  // checkpoint writes: let them finish (or fail) first, and a background
  // checkpoint's second step too.
  write_mu_.Await(absl::Condition(
      +[](DBImpl* db) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return db->in_flight_ == 0 && !db->checkpointing_;
      },
      this));
  absl::Status s = failed_;
  absl::StatusOr<uint64_t> ended = tree_->EndTransaction();
  if (s.ok()) s = ended.status();
  const uint64_t lsn = ended.ok() ? *ended : 0;
  // The data file and its meta page make the transaction durable; the log
  // never sees it (recovery skips LSNs up to the checkpoint's).
  if (s.ok()) s = pager_->Flush();
  if (s.ok()) s = dm_->Checkpoint(lsn, tree_->write_root(), pager_->ParkedPagesFreedBy(lsn));
  if (s.ok()) {
    tree_->Publish(lsn);
    ++commits_;
    ++checkpoints_;
    s = log_->DropSegmentsThrough(lsn);
    NoteCheckpointStart(lsn);
  }
  writer_active_ = false;
  return s.ok() ? s : Fail(s);
}

// kSyncOnTimer: syncs the log every sync_interval_ms until stopped; a
// failed sync fails the database.
void DBImpl::RunSyncer() {
  MutexLock lock(&syncer_mu_);
  while (!syncer_stop_) {
    syncer_mu_.AwaitWithTimeout(absl::Condition(&syncer_stop_),
                                absl::Milliseconds(options_.sync_interval_ms));
    if (syncer_stop_) break;
    syncer_mu_.Unlock();
    absl::Status s = log_->SyncAll();
    if (!s.ok()) {
      MutexLock write_lock(&write_mu_);
      Fail(s).IgnoreError();
    }
    syncer_mu_.Lock();
  }
}

void DBImpl::StopSyncer() {
  if (!syncer_.joinable()) return;
  {
    MutexLock lock(&syncer_mu_);
    syncer_stop_ = true;
  }
  syncer_.join();
}

DBImpl::~DBImpl() {
  if (!closed_.load() && absl::IsFailedPrecondition(Close()) && handles_.load() > 0) {
    // Their pages and files are about to go: a use after free, fail loudly.
    std::fprintf(stderr, "laura: database %s destroyed with %lld iterators or transactions "
                 "still open\n", path_.c_str(), static_cast<long long>(handles_.load()));
    std::abort();
  }
}

absl::Status DBImpl::Close() {
  if (closed_.load()) return absl::OkStatus();
  closing_.store(true);  // new calls fail from here
  if (const int64_t open = handles_.load(); open > 0) {
    closing_.store(false);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot close database ", path_, ": ", open,
        " iterators or transactions are still open; destroy them first"));
  }
  // Calls in flight hold snapshots (Call): wait for them to end. The tree
  // and pager outlive Close (until the destructor), so a call that starts
  // now still finds them, sees closing_ and leaves.
  while (tree_ != nullptr && tree_->snapshot_count() > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  StopDropper();
  StopSyncer();  // before write_mu_: these threads take it
  StopCheckpointer();
  StopServant();
  absl::Status result;
  {
    MutexLock lock(&write_mu_);
    // Wait for an active write transaction (another thread's) and commits
    // waiting for their log sync to end.
    write_mu_.Await(absl::Condition(this, &DBImpl::Idle));
    // A fault on the mapping fails the database like a failed sync: it is
    // dropped as in a crash, and the next open recovers from the log.
    if (initialized_) result = Checked(absl::OkStatus());
    if (initialized_ && !options_.read_only && failed_.ok() && result.ok()) {
      result = CheckpointLocked();
      // The data file holds every commit: a clean close leaves no log, so
      // the next open has none to read.
      if (result.ok()) result = Fail(log_->DropAllSegmentsThrough(tree_->committed_txn()));
    }
    const bool clean = initialized_ && failed_.ok() && Checked(absl::OkStatus()).ok();
    log_.reset();
    prefetcher_.reset();  // no batch runs: the writer role is idle
    if (clean) {
      absl::Status s = dm_->Close();
      if (result.ok()) result = s;
    }
    dm_.reset();  // a failed database is dropped as in a crash: recovery redoes it
    if (shared_ != nullptr && !options_.read_only && generation_ != 0) shared_->EndWriter();
    lock_.reset();
    closed_.store(true);
  }
  return result;
}

namespace {

// A value read through db, unless the mapping faulted meanwhile.
absl::StatusOr<std::string> Checked(DBImpl* db, absl::StatusOr<std::string> value) {
  absl::Status fault = db->Checked(absl::OkStatus());
  if (!fault.ok()) return fault;
  return value;
}

}  // namespace

// Counts an iterator or transaction as open while it lives (Close refuses
// while any is); status() is not OK if Close had begun when it was made.
class Handle {
 public:
  explicit Handle(DBImpl* db) : db_(db) {
    db_->AddHandle();  // before reading closing_ (see DBImpl::closing_)
    status_ = db_->CheckNotClosing();
  }
  ~Handle() { db_->DropHandle(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  DBImpl* const db_;
  absl::Status status_;
};

// An iterator over a borrowed snapshot (a transaction's), or over its own
// snapshot of the latest commit, released at the end. Made after Close
// began, it holds no snapshot and its status() says the database is closed.
// In a named key space it walks the space's range and shows keys without
// its prefix; in the default space it steps over the range reserved for
// named spaces (engine/key_space.h).
class IteratorImpl final : public Iterator {
 public:
  IteratorImpl(DBImpl* db, std::optional<BTree::Snapshot> borrowed, KeySpace space = KeySpace())
      : handle_(db),
        db_(db),
        owns_snapshot_(!borrowed.has_value() && handle_.status().ok()),
        snapshot_(borrowed.has_value() ? *borrowed
                  : owns_snapshot_     ? db->tree().AcquireSnapshot()
                                       : BTree::Snapshot{}),
        cursor_(db->pager(), handle_.status().ok() ? snapshot_.root : 0),
        // A refused handle (the database is closing) must not reach the
        // disk manager Close is about to reset
        // (DBTest.CloseWhileConcurrentReadersAreInsideCalls, under TSan).
        faults_(handle_.status().ok() ? db->fault_counter() : DBImpl::no_faults()),
        space_(std::move(space)),
        space_end_(PrefixEnd(space_.prefix()).value_or("")),
        space_status_(handle_.status().ok() ? db->CheckSpace(space_) : absl::OkStatus()) {}
  ~IteratorImpl() override {
    if (owns_snapshot_) db_->tree().ReleaseSnapshot(snapshot_);
  }
  // A fault on the mapping ends the iteration (status() says why); so
  // does a failed value() read (the cursor's Valid turns false:
  // BTreeTest.AFailedValueReadEndsTheCursor).
  bool Valid() const override {
    return in_range_ && cursor_.Valid() && faults_->load(std::memory_order_relaxed) == 0;
  }
  void SeekToFirst() override {
    if (space_.is_default()) {
      cursor_.SeekToFirst();
    } else {
      cursor_.Seek(space_.prefix());
    }
    Settle(/*forward=*/true);
  }
  void SeekToLast() override {
    if (space_.is_default()) {
      cursor_.SeekToLast();
    } else {
      cursor_.SeekForPrev(space_end_);
      if (cursor_.Valid() && cursor_.key() == space_end_) cursor_.Prev();
    }
    Settle(/*forward=*/false);
  }
  void Seek(absl::string_view key) override {
    cursor_.Seek(Stored(key));
    Settle(/*forward=*/true);
  }
  void SeekForPrev(absl::string_view key) override {
    cursor_.SeekForPrev(Stored(key));
    Settle(/*forward=*/false);
  }
  void Next() override {
    cursor_.Next();
    Settle(/*forward=*/true);
  }
  void Prev() override {
    cursor_.Prev();
    Settle(/*forward=*/false);
  }
  absl::string_view key() const override { return cursor_.key().substr(space_.prefix().size()); }
  absl::string_view value() override { return cursor_.value(); }
  absl::Status status() const override {
    LAURA_RETURN_IF_ERROR(handle_.status());
    LAURA_RETURN_IF_ERROR(space_status_);
    return db_->Checked(cursor_.status());
  }

 private:
  absl::string_view Stored(absl::string_view key) {
    if (space_.is_default()) return key;
    stored_ = space_.StoredKey(key);
    return stored_;
  }
  // After a move: steps over the reserved range (default space; no stored
  // key is kSpacePrefix itself) and sets in_range_, whether the entry the
  // cursor is at belongs to this iterator (checked once a move, so that
  // Valid is one test).
  void Settle(bool forward) {
    in_range_ = false;
    if (!cursor_.Valid() || !space_status_.ok()) return;
    if (!space_.is_default()) {
      in_range_ = absl::StartsWith(cursor_.key(), space_.prefix());
      return;
    }
    if (IsReservedKey(cursor_.key())) {
      if (forward) {
        cursor_.Seek(kSpacePrefixEnd);
      } else {
        cursor_.SeekForPrev(kSpacePrefix);
      }
    }
    in_range_ = true;
  }

  const Handle handle_;
  DBImpl* const db_;
  const bool owns_snapshot_;
  const BTree::Snapshot snapshot_;
  Cursor cursor_;
  const std::atomic<uint64_t>* const faults_;  // DBImpl::fault_counter()
  const KeySpace space_;
  const std::string space_end_;  // the first stored key past the space
  const absl::Status space_status_;  // FailedPrecondition for a dropped space
  bool in_range_ = false;  // see Settle
  std::string stored_;  // Seek's stored key
};

class ReadTransactionImpl final : public ReadTransaction {
 public:
  explicit ReadTransactionImpl(DBImpl* db)
      : handle_(db),
        db_(db),
        snapshot_(handle_.status().ok() ? db->tree().AcquireSnapshot() : BTree::Snapshot{}) {}
  ~ReadTransactionImpl() override {
    if (handle_.status().ok()) db_->tree().ReleaseSnapshot(snapshot_);
  }
  absl::StatusOr<std::string> Get(absl::string_view key) override {
    LAURA_RETURN_IF_ERROR(handle_.status());
    if (IsReservedKey(key)) return absl::NotFoundError("key not found");
    return Checked(db_, db_->tree().Get(snapshot_.root, key));
  }
  absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) override {
    if (space.is_default()) return Get(key);
    LAURA_RETURN_IF_ERROR(handle_.status());
    LAURA_RETURN_IF_ERROR(db_->CheckSpace(space));
    return Checked(db_, db_->tree().Get(snapshot_.root, space.StoredKey(key)));
  }
  std::unique_ptr<Iterator> NewIterator(const KeySpace& space) override {
    return std::make_unique<IteratorImpl>(db_, snapshot_, space);
  }
  absl::StatusOr<absl::string_view> GetView(absl::string_view key) override {
    LAURA_RETURN_IF_ERROR(handle_.status());
    if (IsReservedKey(key)) return absl::NotFoundError("key not found");
    // Copies live as long as the transaction (a deque never moves them).
    if (copies_.empty() || !copies_.back().empty()) copies_.emplace_back();
    absl::StatusOr<absl::string_view> view =
        db_->tree().GetView(snapshot_.root, key, &copies_.back());
    LAURA_RETURN_IF_ERROR(db_->Checked(view.status()));
    return view;
  }
  std::unique_ptr<Iterator> NewIterator() override {
    return std::make_unique<IteratorImpl>(db_, snapshot_);
  }

 private:
  const Handle handle_;
  DBImpl* const db_;
  const BTree::Snapshot snapshot_;
  std::deque<std::string> copies_;  // GetView's copies
};

class WriteTransactionImpl final : public WriteTransaction {
 public:
  explicit WriteTransactionImpl(DBImpl* db) : db_(db) {}
  ~WriteTransactionImpl() override {
    if (!done_) Abort().IgnoreError();
  }
  absl::StatusOr<std::string> Get(absl::string_view key) override {
    return Get(KeySpace(), key);
  }
  absl::Status Put(absl::string_view key, absl::string_view value) override {
    return Put(KeySpace(), key, value);
  }
  absl::Status Delete(absl::string_view key) override { return Delete(KeySpace(), key); }
  std::unique_ptr<Iterator> NewIterator() override { return NewIterator(KeySpace()); }
  absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    LAURA_ASSIGN_OR_RETURN(const absl::string_view stored,
                           StoredKey(space, key, /*reading=*/true));
    return Checked(db_, db_->tree().Get(db_->tree().write_root(), stored));
  }
  absl::Status Put(const KeySpace& space, absl::string_view key,
                   absl::string_view value) override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    LAURA_ASSIGN_OR_RETURN(const absl::string_view stored,
                           StoredKey(space, key, /*reading=*/false));
    return Track(db_->Checked(db_->tree().Put(stored, value)),
                 [&] { batch_.PutStored(stored, value); });
  }
  absl::Status Delete(const KeySpace& space, absl::string_view key) override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    LAURA_ASSIGN_OR_RETURN(const absl::string_view stored,
                           StoredKey(space, key, /*reading=*/false));
    return Track(db_->Checked(db_->tree().Delete(stored).status()),
                 [&] { batch_.DeleteStored(stored); });
  }
  std::unique_ptr<Iterator> NewIterator(const KeySpace& space) override {
    return std::make_unique<IteratorImpl>(db_, BTree::Snapshot{db_->tree().write_root(), 0},
                                          space);
  }
  absl::Status Commit(const WriteOptions& options) override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    LAURA_RETURN_IF_ERROR(broken_);
    done_ = true;
    return db_->CommitWriter(batch_.empty() ? std::string() : batch_.Encode(), options);
  }
  absl::Status Abort() override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    done_ = true;
    return db_->AbortWriter();
  }

 private:
  absl::Status CheckActive() const {
    if (done_) return absl::FailedPreconditionError("the write transaction has ended");
    return absl::OkStatus();
  }
  // The stored key of key in space (key itself in the default space,
  // without a copy; otherwise built in stored_, valid until the next call):
  // NotFound (reading) or InvalidArgument (writing) for a default-space key
  // in the reserved range, FailedPrecondition for a dropped space.
  absl::StatusOr<absl::string_view> StoredKey(const KeySpace& space, absl::string_view key,
                                              bool reading) {
    if (space.is_default()) {
      if (!IsReservedKey(key)) return key;
      if (reading) return absl::NotFoundError("key not found");
      return ReservedKeyError();
    }
    LAURA_RETURN_IF_ERROR(db_->CheckSpace(space));
    stored_ = space.StoredKey(key);
    return absl::string_view(stored_);
  }
  // An invalid argument changed nothing; any other error may have left the
  // operation half done, so the transaction can only be aborted.
  template <typename Fn>
  absl::Status Track(absl::Status s, Fn record) {
    if (s.ok()) {
      record();
    } else if (!absl::IsInvalidArgument(s) && broken_.ok()) {
      broken_ = absl::Status(s.code(), absl::StrCat("the write transaction failed (",
                                                    s.message(), "); abort it"));
    }
    return s;
  }

  DBImpl* const db_;
  WriteBatch batch_;
  std::string stored_;  // StoredKey's key in a named space
  absl::Status broken_;
  bool done_ = false;
};

DBStats DBImpl::Stats() {
  DBStats st;
  const Call call(this);
  if (!call.status().ok()) return st;
  {
    MutexLock lock(&write_mu_);
    st.commits = commits_;
    st.checkpoints = checkpoints_;
  }
  st.last_lsn = tree_->committed_txn();
  st.checkpoint_lsn = dm_->durable_meta().checkpoint_lsn;
  if (log_ != nullptr) {
    st.log_syncs = log_->syncs();
    st.log_segments = log_->segments().size();
  }
  st.snapshots = tree_->snapshot_count() - 1;  // not this call's own
  if (prefetcher_ != nullptr) {
    st.prefetched_keys = prefetcher_->keys_warmed();
    st.prefetched_batches = prefetcher_->batches_started();
  }
  st.disk = dm_->Stats();
  if (absl::StatusOr<std::vector<std::string>> spaces = ListKeySpaces(); spaces.ok()) {
    st.key_spaces = spaces->size();
  }
  st.dropping_spaces = CountDroppingSpaces(call.root());
  st.compactable_pages = st.disk.page_count - std::min(st.disk.page_count,
                                                       dm_->CompactionThreshold());
  // Open snapshots but this call's own, oldest first, with what each
  // holds: this process's, and those of reader processes.
  struct Open {
    uint64_t txn;
    int64_t since_us;
    uint64_t pid;
  };
  std::vector<Open> open;
  const uint64_t self = static_cast<uint64_t>(::getpid());
  for (const SnapshotRegistry::Entry& e : tree_->ListSnapshots()) {
    if (e.slot >= 0 && e.slot == call.slot() && !call.snapshot().shared) continue;
    open.push_back({e.version.txn, e.since_us, self});
  }
  for (const SharedRegistry::SlotInfo& e : shared_->List()) {
    if (call.snapshot().shared && e.pid == self && e.txn == call.snapshot().txn) continue;
    // Another writer's snapshot holds no page of this one's.
    if (!options_.read_only && e.generation != generation_) continue;
    open.push_back({e.txn, e.since_us, e.pid});
  }
  std::sort(open.begin(), open.end(), [](const Open& a, const Open& b) { return a.txn < b.txn; });
  std::vector<uint64_t> txns;
  for (const Open& e : open) txns.push_back(e.txn);
  const std::vector<uint64_t> held = pager_->PagesHeldBy(txns);
  const int64_t now_us = SnapshotClockMicros();
  for (size_t i = 0; i < open.size(); ++i) {
    st.open_snapshots.push_back(
        {open[i].txn, std::max<int64_t>(0, now_us - open[i].since_us) / 1e6, held[i], open[i].pid});
  }
  st.pager = pager_->Stats();
  return st;
}

absl::Status DBImpl::AdviseWillNeed(absl::string_view from, absl::string_view to) {
  const Call call(this);
  LAURA_RETURN_IF_ERROR(call.status());
  std::vector<PageId> leaves;
  absl::Status s = Checked(LeafPagesInRange(pager_.get(), call.root(), from, to, &leaves));
  std::sort(leaves.begin(), leaves.end());
  // One hint per run of consecutive pages.
  for (size_t i = 0; s.ok() && i < leaves.size();) {
    size_t j = i + 1;
    while (j < leaves.size() && leaves[j] == leaves[j - 1] + 1) ++j;
    s = dm_->AdviseWillNeed(leaves[i], leaves[j - 1]);
    i = j;
  }
  return s;
}

std::unique_ptr<ReadTransaction> DBImpl::BeginRead() {
  return std::make_unique<ReadTransactionImpl>(this);
}

absl::StatusOr<std::unique_ptr<WriteTransaction>> DBImpl::BeginWrite(bool wait) {
  LAURA_RETURN_IF_ERROR(AcquireWriter(wait));
  return std::unique_ptr<WriteTransaction>(std::make_unique<WriteTransactionImpl>(this));
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const KeySpace& space) {
  return std::make_unique<IteratorImpl>(this, std::nullopt, space);
}

std::unique_ptr<Iterator> DBImpl::NewIterator() {
  return std::make_unique<IteratorImpl>(this, std::nullopt);
}

}  // namespace engine_internal

std::string DBStats::ToString() const {
  return absl::StrCat("db: commits=", commits, " checkpoints=", checkpoints,
                      " last_lsn=", last_lsn, " checkpoint_lsn=", checkpoint_lsn,
                      " log_syncs=", log_syncs, " log_segments=", log_segments,
                      " snapshots=", snapshots, " prefetched_keys=", prefetched_keys,
                      " prefetched_batches=", prefetched_batches,
                      "\ndisk: ", disk.ToString(),
                      "\npager: ", pager.ToString(), "\n");
}

absl::StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options, const std::string& path) {
  auto db = std::make_unique<engine_internal::DBImpl>(options, path);
  absl::Status s = db->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<DB>(std::move(db));
}

}  // namespace laura
