// DBImpl: the DB behind laura/db.h; its members are shared by the
// engine's source files (db_impl.cc: open, recovery, commits; checkpoint.cc:
// checkpoints and the background checkpointer; loader.cc: loads). The
// commit protocol is described in db_impl.cc.
#ifndef LAURA_ENGINE_DB_IMPL_H_
#define LAURA_ENGINE_DB_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "btree/btree.h"
#include "engine/batch_prefetcher.h"
#include "engine/key_space.h"
#include "laura/db.h"
#include "storage/mutex.h"
#include "storage/pager.h"
#include "storage/status_macros.h"
#include "wal/log.h"

namespace laura {
namespace engine_internal {

// InvalidArgument for a default-space key in the range reserved for named
// key spaces (engine/key_space.h).
absl::Status ReservedKeyError();

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string path) : options_(options), path_(std::move(path)) {}
  // REQUIRES: no iterator or transaction of this database is still open.
  ~DBImpl() override;

  absl::Status Init();

  // A public call in flight: it holds a snapshot of the latest commit,
  // registered with the tree, so that Close waits for it (and the pages it
  // reads stay put). status() is FailedPrecondition once Close has begun.
  class Call {
   public:
    explicit Call(DBImpl* db) : db_(db), snap_(db->tree_->AcquireSnapshot()) {}
    ~Call() { db_->tree_->ReleaseSnapshot(snap_); }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    absl::Status status() const { return db_->CheckNotClosing(); }
    PageId root() const { return snap_.root; }
    int slot() const { return snap_.slot; }
    const BTree::Snapshot& snapshot() const { return snap_; }

   private:
    DBImpl* const db_;
    const BTree::Snapshot snap_;
  };

  absl::StatusOr<std::string> Get(absl::string_view key) override {
    std::string value;
    LAURA_RETURN_IF_ERROR(Get(key, &value));
    return value;
  }
  absl::Status Get(absl::string_view key, std::string* value) override {
    const Call call(this);
    LAURA_RETURN_IF_ERROR(call.status());
    if (ABSL_PREDICT_FALSE(IsReservedKey(key))) return absl::NotFoundError("key not found");
    return Checked(tree_->Get(call.root(), key, value));
  }

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    WriteBatch batch;
    batch.Put(key, value);
    return Write(batch);
  }

  absl::Status Delete(absl::string_view key) override {
    WriteBatch batch;
    batch.Delete(key);
    return Write(batch);
  }

  using DB::Write;
  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override;

  // Key spaces (key_spaces.cc).
  absl::StatusOr<KeySpace> CreateKeySpace(absl::string_view name) override;
  absl::StatusOr<KeySpace> GetKeySpace(absl::string_view name) override;
  absl::Status DropKeySpace(absl::string_view name) override;
  absl::StatusOr<std::vector<std::string>> ListKeySpaces() override;
  absl::StatusOr<std::string> Get(const KeySpace& space, absl::string_view key) override {
    if (space.is_default()) return Get(key);
    const Call call(this);
    LAURA_RETURN_IF_ERROR(call.status());
    LAURA_RETURN_IF_ERROR(CheckSpace(space));
    absl::StatusOr<std::string> value = tree_->Get(call.root(), space.StoredKey(key));
    LAURA_RETURN_IF_ERROR(Checked(value.status()));
    return value;
  }
  absl::Status Put(const KeySpace& space, absl::string_view key,
                   absl::string_view value) override {
    WriteBatch batch;
    batch.Put(space, key, value);
    return Write(batch);
  }
  absl::Status Delete(const KeySpace& space, absl::string_view key) override {
    WriteBatch batch;
    batch.Delete(space, key);
    return Write(batch);
  }
  std::unique_ptr<Iterator> NewIterator(const KeySpace& space) override;
  // FailedPrecondition if the space was dropped (by this process). Any
  // thread; one atomic load unless a space was ever dropped.
  absl::Status CheckSpace(const KeySpace& space) const {
    if (space.is_default() || dropped_count_.load(std::memory_order_acquire) == 0) {
      return absl::OkStatus();
    }
    return CheckSpaceId(space.id());
  }
  absl::Status CheckSpaceId(uint64_t id) const;

  absl::Status Sync() override {
    const Call call(this);
    LAURA_RETURN_IF_ERROR(call.status());
    if (log_ == nullptr) return absl::OkStatus();
    return log_->SyncAll();
  }

  absl::Status Checkpoint() override { return RunCheckpoint(); }

  DBStats Stats() override;
  CheckReport Check() override {
    const Call call(this);
    if (!call.status().ok()) return CheckReport{.problems = {std::string(call.status().message())}};
    CheckReport report = CheckStructure();
    if (absl::Status fault = Checked(absl::OkStatus()); !fault.ok()) {
      report.problems.push_back(std::string(fault.message()));
    }
    return report;
  }
  CheckReport CheckStructure() {
    CheckReport report;
    if (absl::Status s = AcquireWriter(/*wait=*/true); !s.ok()) {
      // Read-only or failed: check without flushing or verifying checksums
      // of pages still in memory.
      if (closed_.load()) {
        report.problems.push_back(std::string(s.message()));
        return report;
      }
      const BTree::Snapshot snap = tree_->AcquireSnapshot();
      report = CheckTree(pager_.get(), snap.root,
                         {.verify_checksums = options_.read_only, .check_free_pages = true});
      tree_->ReleaseSnapshot(snap);
      return report;
    }
    absl::Status flushed = pager_->Flush();
    bool checkpointing;
    {
      MutexLock lock(&write_mu_);
      checkpointing = checkpointing_;
    }
    // Every page is reachable, free, parked or on the free list, unless a
    // checkpoint's second step holds pages for its free list.
    report = CheckTree(pager_.get(), tree_->committed_root(), {.check_leaks = !checkpointing});
    if (!flushed.ok()) report.problems.push_back(std::string(flushed.message()));
    MutexLock lock(&write_mu_);
    writer_active_ = false;
    return report;
  }
  absl::Status AdviseRandom() override {
    const Call call(this);
    LAURA_RETURN_IF_ERROR(call.status());
    return dm_->AdviseRandom();
  }
  absl::Status AdviseSequential() override {
    const Call call(this);
    LAURA_RETURN_IF_ERROR(call.status());
    return dm_->AdviseSequential();
  }

  absl::Status AdviseWillNeed(absl::string_view from, absl::string_view to) override;

  std::unique_ptr<ReadTransaction> BeginRead() override;
  absl::StatusOr<std::unique_ptr<WriteTransaction>> BeginWrite(bool wait) override;
  std::unique_ptr<Iterator> NewIterator() override;
  absl::StatusOr<std::unique_ptr<Loader>> BeginLoad(const LoadOptions& options) override;

  // For the transaction and iterator objects.
  absl::Status AcquireWriter(bool wait);
  absl::Status AbortWriter();
  absl::Status CommitWriter(absl::string_view payload, const WriteOptions& options);
  // Ends the writer's transaction without logging it and makes it
  // durable and visible through a checkpoint (loader.cc).
  absl::Status CommitUnlogged();
  BTree& tree() { return *tree_; }
  Pager* pager() { return pager_.get(); }
  // s, unless an access to the mapped data file faulted (SIGBUS) since
  // open: then that DataLoss. Every call that read pages checks this
  // before it reports success (storage/mapping_faults.h).
  absl::Status Checked(absl::Status s) const {
    if (dm_ == nullptr || ABSL_PREDICT_TRUE(!dm_->mapping_faulted())) return s;
    return dm_->CheckMapping();
  }
  // The counter behind Checked, for per-entry tests (Iterator::Valid):
  // nonzero once the mapping faulted. REQUIRES: the caller holds an open
  // Handle (Close waits for none, and then resets dm_); see no_faults().
  const std::atomic<uint64_t>* fault_counter() const { return dm_->fault_counter(); }
  // A counter that stays 0, for a handle refused because the database is
  // closing (it must not touch dm_).
  static const std::atomic<uint64_t>* no_faults() {
    static const std::atomic<uint64_t> kNone{0};
    return &kNone;
  }

  absl::Status Close() override;
  absl::Status Compact() override;
  absl::Status Backup(const std::string& path, const BackupOptions& options) override;

 private:
  // Backup's compact copy of snap into a new data file at path (backup.cc).
  absl::Status CompactCopy(const BTree::Snapshot& snap, const std::string& path,
                           double fill_factor);
  absl::Status CheckOpen() const {
    if (closed_.load()) {
      return absl::FailedPreconditionError(absl::StrCat("database ", path_, " is closed"));
    }
    return absl::OkStatus();
  }
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Fail(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Recover(uint64_t* next_segment, std::vector<SegmentInfo>* segments);
  // Key spaces (key_spaces.cc). At open: the spaces being dropped, and
  // (writable) the dropper for them. The dropper deletes a dropped space's
  // keys in batches as the writer, then its entry in the drop queue.
  absl::Status LoadDroppedSpaces();
  // Spaces in the drop queue under root.
  uint64_t CountDroppingSpaces(PageId root);
  void StartDropper();
  void StopDropper();
  void RunDropper();
  // Deletes up to `limit` keys of space id under the write root in the
  // writer's transaction, recording them in *batch; returns how many.
  absl::StatusOr<uint64_t> DeleteSpaceKeys(uint64_t id, uint64_t limit, WriteBatch* batch);
  mutable Mutex spaces_mu_;
  absl::flat_hash_set<uint64_t> dropped_ ABSL_GUARDED_BY(spaces_mu_);
  std::atomic<uint64_t> dropped_count_{0};  // dropped_.size()
  std::thread dropper_;
  std::atomic<bool> dropper_stop_{false};
  std::atomic<bool> dropper_done_{true};
  Mutex dropper_mu_;  // starting and stopping the dropper
  // Reader processes beside a writer process (engine/processes.cc). Before
  // the disk manager opens: the coordination file, and for a reader the
  // writer's latest version (*following: skip the log, read that).
  absl::Status OpenShared(bool* following);
  // After recovery: the writer's side of the protocol, and its servant
  // thread, which answers reader processes that attach.
  absl::Status StartSharing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void RunServant(uint32_t served);
  void StopServant();
  // As the writer (the role, or write_mu_ at open): every frame to the
  // file, write-through on, the latest version published to reader
  // processes.
  absl::Status ShareLatest();
  std::thread servant_;
  std::atomic<bool> servant_stop_{false};
  // The process lock (LOCK), waiting up to Options::lock_timeout_ms.
  absl::Status TakeLock();
  // Warns (once per snapshot) when snapshots hold more replaced pages
  // than Options::long_snapshot_warning_bytes. Writer role.
  void WarnAboutLongSnapshots();
  uint64_t warned_snapshot_ = UINT64_MAX;  // the oldest snapshot last warned about
  // The snapshot a checkpoint holds while it writes and syncs beside the
  // writers (0: none): its own, never warned about as a long reader.
  std::atomic<uint64_t> checkpoint_snapshot_txn_{0};
  // Applies an encoded batch to the write transaction (a Write, or a log
  // record at recovery); with the prefetcher, its helper warms the leaves
  // ahead in a batch of at least BatchPrefetcher::kMinOps operations.
  absl::Status ApplyBatch(absl::string_view payload);

  // Checkpoints (checkpoint.cc). CheckpointLocked is the one of open and
  // close: the caller holds write_mu_ with no writer, commit or other
  // checkpoint in flight. RunCheckpoint writes the pages as the writer,
  // then syncs and flips the meta page while writers go on (the caller
  // must not hold the writer role); one at a time.
  absl::Status CheckpointLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status RunCheckpoint();
  absl::Status CheckpointBesideWriters();
  // The background checkpointer: runs a checkpoint when a commit finds
  // checkpoint_log_bytes of log since the last one or pinned pages over
  // budget (PinnedPagesOverBudget), or checkpoint_interval_ms
  // after the last one if anything was committed since.
  void StartCheckpointer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void StopCheckpointer();
  void RunCheckpointer();
  absl::Duration UntilTimedCheckpoint() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A checkpoint covering commits up to lsn started: the size and time
  // triggers count from here.
  void NoteCheckpointStart(uint64_t lsn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Pages only the durable checkpoint holds exceed
  // Options::checkpoint_pinned_bytes and half the live pages.
  bool PinnedPagesOverBudget() const {
    const uint64_t pinned = dm_->pinned_pages();
    return pinned * dm_->page_size() >= options_.checkpoint_pinned_bytes &&
           pinned >= dm_->live_pages() / 2;
  }

  const Options options_;
  const std::string path_;
  Env* env_ = nullptr;
  std::unique_ptr<FileLock> lock_;
  // The coordination file (btree/shared_registry.h); outlives the tree.
  std::unique_ptr<SharedRegistry> shared_;
  uint64_t generation_ = 0;  // the writer's, in shared_
  // A reader's: the writer generation when it read the data file's meta.
  uint64_t fallback_generation_ = 0;
  std::unique_ptr<DiskManager> dm_;
  std::unique_ptr<Pager> pager_;
  std::unique_ptr<BTree> tree_;
  std::unique_ptr<BatchPrefetcher> prefetcher_;  // writable databases only
  std::unique_ptr<LogWriter> log_;
  Mutex write_mu_;
  absl::Status failed_ ABSL_GUARDED_BY(write_mu_);
  uint64_t log_at_checkpoint_ ABSL_GUARDED_BY(write_mu_) = 0;
  // A write transaction (or Write, Checkpoint, Close) owns the tree's
  // write side; others wait for this to clear. Written under write_mu_;
  // atomic so that a waiting writer can poll it without the lock.
  std::atomic<bool> writer_active_{false};
  static constexpr std::chrono::microseconds kWriterSpin{50};
  // Commits appended to the log and waiting for their sync.
  uint64_t in_flight_ ABSL_GUARDED_BY(write_mu_) = 0;
  // A checkpoint is between its two steps (RunCheckpoint).
  bool checkpointing_ ABSL_GUARDED_BY(write_mu_) = false;
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return !writer_active_ && in_flight_ == 0 && !checkpointing_;
  }
  // The background checkpointer's state.
  std::thread checkpointer_;
  bool checkpoint_requested_ ABSL_GUARDED_BY(write_mu_) = false;
  bool checkpointer_stop_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Time last_checkpoint_time_ ABSL_GUARDED_BY(write_mu_);
  // The LSN the last checkpoint covers: a timed checkpoint runs only once
  // a later commit is published.
  uint64_t checkpoint_covers_lsn_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t commits_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t checkpoints_ ABSL_GUARDED_BY(write_mu_) = 0;
  bool initialized_ = false;  // Init completed
  // kSyncOnTimer's background syncer.
  void RunSyncer();
  void StopSyncer();
  std::thread syncer_;
  Mutex syncer_mu_;
  bool syncer_stop_ ABSL_GUARDED_BY(syncer_mu_) = false;
  std::atomic<bool> closed_{false};
  // Close has begun: new calls fail (CheckOpen). Close waits for the calls
  // in flight (each holds a Call) and refuses while handles are open:
  // iterators and transactions, counted by handles_. Set before the count
  // is read, and each handle counts itself before it reads this, so one
  // of the two always sees the other.
  std::atomic<bool> closing_{false};
  std::atomic<int64_t> handles_{0};

 public:
  // For calls that read without the writer role: FailedPrecondition once
  // Close has begun (writers find closed_ once Close is done with them).
  absl::Status CheckNotClosing() const {
    if (closing_.load()) {
      return absl::FailedPreconditionError(absl::StrCat("database ", path_, " is closed"));
    }
    return absl::OkStatus();
  }
  // For iterators and transactions: count one more or one fewer handle.
  void AddHandle() { handles_.fetch_add(1); }
  void DropHandle() { handles_.fetch_sub(1); }
};

}  // namespace engine_internal
}  // namespace laura

#endif  // LAURA_ENGINE_DB_IMPL_H_
