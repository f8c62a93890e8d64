// Checkpoints: on demand (DB::Checkpoint), in the background by log size,
// pinned pages and time, and the synchronous one at open and close.
//
// A checkpoint makes the data file hold every commit up to an LSN, so the
// log before it can go (DESIGN.md). RunCheckpoint does it in two steps:
//   1. as the writer (other writers wait, readers go on): take a snapshot
//      of the latest published commit, detach every page changed since
//      the last checkpoint for writing (Pager::DetachCommitted), write the
//      free list (DiskManager::BeginCheckpoint), then give up the writer
//      role;
//   2. beside the writers, holding only the snapshot (so none of its pages
//      is reused): write the detached pages (Pager::WriteDetached), sync
//      the data file, write and sync the meta page
//      (DiskManager::FinishCheckpoint), drop the log segments it covers.
// Writing the pages in step 2 keeps the writers going while they are
// written: in a 1 KiB update mix, step 1 used to hold them for 11% of the
// run (bench/README.md, "Checkpoints beside the writer"). Pages the
// writers change during step 2 are new copies the snapshot does not
// reach, so syncing them early or not at all is harmless; a detached page
// they free for good is not written at all (Pager::DetachCommitted). One
// checkpoint runs at a time (checkpointing_); a failure fails the database.
#include <thread>

#include "absl/time/clock.h"
#include "engine/db_impl.h"

namespace laura {
namespace engine_internal {

absl::Status DBImpl::CheckpointLocked() {
  // Pages the last commits freed are parked in the pager until a writer
  // releases them: release them now, or the free list written here would
  // miss them and they would leak (SpaceTest.CloseLeaksNoPage).
  absl::Status s = tree_->ReleaseFrees();
  if (s.ok()) s = pager_->Flush();
  if (s.ok()) {
    s = dm_->Checkpoint(tree_->committed_txn(), tree_->committed_root(),
                        pager_->ParkedPagesFreedBy(tree_->committed_txn()));
  }
  if (s.ok()) ++checkpoints_;
  if (s.ok() && log_ != nullptr) s = log_->DropSegmentsThrough(tree_->committed_txn());
  NoteCheckpointStart(tree_->committed_txn());
  return s.ok() ? s : Fail(s);
}

void DBImpl::NoteCheckpointStart(uint64_t lsn) {
  log_at_checkpoint_ = log_ != nullptr ? log_->appended_position() : 0;
  checkpoint_covers_lsn_ = lsn;
  last_checkpoint_time_ = absl::Now();
}

absl::Status DBImpl::RunCheckpoint() {
  {
    MutexLock lock(&write_mu_);
    write_mu_.Await(absl::Condition(+[](bool* busy) { return !*busy; }, &checkpointing_));
    LAURA_RETURN_IF_ERROR(CheckWritable());
    checkpointing_ = true;
    checkpoint_requested_ = false;
  }
  absl::Status s = CheckpointBesideWriters();
  MutexLock lock(&write_mu_);
  checkpointing_ = false;
  if (!s.ok()) return Fail(s);
  ++checkpoints_;
  return s;
}

absl::Status DBImpl::CheckpointBesideWriters() {
  // Step 1, as the writer, once the commits waiting for their log sync
  // are published: the snapshot is then of the last ended transaction, so
  // no page in use is outside both its tree and the free list written
  // with it (pages of a later, unpublished transaction would be lost in a
  // crash; KillTest checks that no page leaks).
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  {
    MutexLock lock(&write_mu_);
    write_mu_.Await(absl::Condition(
        +[](DBImpl* db) ABSL_NO_THREAD_SAFETY_ANALYSIS { return db->in_flight_ == 0; }, this));
  }
  const BTree::Snapshot snap = tree_->AcquireSnapshot();
  checkpoint_snapshot_txn_.store(snap.txn, std::memory_order_relaxed);
  absl::Status s = pager_->DetachCommitted();
  Lsn root_lsn = 0;
  if (s.ok() && snap.root != 0) {
    absl::StatusOr<PageRef> root = pager_->Fetch(snap.root);
    if (root.ok()) root_lsn = root->lsn();
    s = root.status();
  }
  absl::StatusOr<DiskManager::PendingCheckpoint> pending =
      s.ok() ? dm_->BeginCheckpoint(snap.txn, snap.root, root_lsn,
                                    pager_->ParkedPagesFreedBy(snap.txn))
             : s;
  {
    MutexLock lock(&write_mu_);
    writer_active_ = false;
    // Commits after the snapshot count towards the next checkpoint, also
    // one that was syncing while this one took the snapshot.
    NoteCheckpointStart(snap.txn);
  }
  // Step 2, beside the writers.
  s = pending.status();
  if (s.ok()) {
    s = pager_->WriteDetached();
    s = s.ok() ? dm_->FinishCheckpoint(*pending) : dm_->AbandonCheckpoint(s);
  }
  if (s.ok()) s = log_->DropSegmentsThrough(snap.txn);
  checkpoint_snapshot_txn_.store(0, std::memory_order_relaxed);
  tree_->ReleaseSnapshot(snap);
  return s;
}

absl::Duration DBImpl::UntilTimedCheckpoint() const {
  if (options_.checkpoint_interval_ms == 0) return absl::InfiniteDuration();
  return last_checkpoint_time_ + absl::Milliseconds(options_.checkpoint_interval_ms) -
         absl::Now();
}

void DBImpl::StartCheckpointer() {
  if (options_.checkpoint_log_bytes == 0 && options_.checkpoint_interval_ms == 0 &&
      options_.checkpoint_pinned_bytes == 0) {
    return;
  }
  NoteCheckpointStart(tree_->committed_txn());
  checkpointer_ = std::thread([this] { RunCheckpointer(); });
}

void DBImpl::StopCheckpointer() {
  if (!checkpointer_.joinable()) return;
  {
    MutexLock lock(&write_mu_);
    checkpointer_stop_ = true;
  }
  checkpointer_.join();  // after a checkpoint it may be running
}

void DBImpl::RunCheckpointer() {
  MutexLock lock(&write_mu_);
  while (!checkpointer_stop_ && failed_.ok()) {
    auto wake = +[](DBImpl* db) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return db->checkpointer_stop_ || db->checkpoint_requested_;
    };
    const absl::Duration wait = UntilTimedCheckpoint();
    if (wait > absl::ZeroDuration()) {
      write_mu_.AwaitWithTimeout(absl::Condition(wake, this), wait);
    }
    if (checkpointer_stop_) break;
    const bool timed = UntilTimedCheckpoint() <= absl::ZeroDuration();
    if (!checkpoint_requested_ && !timed) continue;
    if (!checkpoint_requested_ && tree_->committed_txn() == checkpoint_covers_lsn_) {
      last_checkpoint_time_ = absl::Now();  // nothing new: wait another interval
      continue;
    }
    write_mu_.Unlock();
    RunCheckpoint().IgnoreError();  // a failure fails the database
    write_mu_.Lock();
  }
}

}  // namespace engine_internal
}  // namespace laura
