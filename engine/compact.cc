// DB::Compact: moves the pages in use at the end of the data file into free
// pages nearer its start, then lets checkpoints truncate the free end.
//
//   1. a checkpoint, so that every page freed so far (and reached by no
//      snapshot) is allocatable;
//   2. as the writer: the threshold from which the pages in use fit into
//      the allocatable pages below it (PageAllocator::CompactionThreshold),
//      allocation switched to the lowest ids first, and the tree's pages
//      at or past the threshold copied down (BTree::Relocate); committed
//      without a log record by a checkpoint (CommitUnlogged), since the
//      contents did not change -- a crash leaves the old layout or the new;
//   3. checkpoints: the first makes the moved pages' old copies free, the
//      next gives up the free end of the file and truncates it
//      (storage/disk_manager.h, "Size"). A copy a snapshot still reaches
//      stays until that snapshot ends.
#include "engine/db_impl.h"

namespace laura {
namespace engine_internal {

absl::Status DBImpl::Compact() {
  LAURA_RETURN_IF_ERROR(CheckNotClosing());
  LAURA_RETURN_IF_ERROR(RunCheckpoint());
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  const PageId threshold = dm_->CompactionThreshold();
  if (threshold < dm_->page_count()) {
    dm_->PreferLowestFreePages();
    if (absl::Status s = Checked(tree_->Relocate(threshold).status()); !s.ok()) {
      LAURA_RETURN_IF_ERROR(AbortWriter());
      return s;
    }
    LAURA_RETURN_IF_ERROR(CommitUnlogged());
  } else {
    MutexLock lock(&write_mu_);
    writer_active_ = false;  // nothing to move
  }
  // The old copies become free, then the free end goes; stop early once
  // a checkpoint gives nothing back.
  uint64_t pages = dm_->page_count();
  for (int i = 0; i < 3; ++i) {
    LAURA_RETURN_IF_ERROR(RunCheckpoint());
    const uint64_t now = dm_->page_count();
    if (i > 0 && now >= pages) break;
    pages = now;
  }
  return absl::OkStatus();
}

}  // namespace engine_internal
}  // namespace laura
