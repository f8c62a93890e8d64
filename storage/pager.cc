// Pager: the parts both implementations share (PageRef, the write batch,
// parked frees). See pager.h.
#include "storage/pager.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {

std::string PagerStats::ToString() const {
  return absl::StrCat("hits=", hits, " misses=", misses, " evictions=", evictions,
                      " write_backs=", write_backs,
                      " bytes_resident=", bytes_resident);
}

absl::StatusOr<std::unique_ptr<Pager>> Pager::Create(DiskManager* dm,
                                                     const PagerOptions& options) {
  if (dm->has_mapping()) return NewMmapPager(dm, options);
  return NewPoolPager(dm, options);
}

absl::StatusOr<PageRef> Pager::AllocateUninitialized() {
  LAURA_ASSIGN_OR_RETURN(PageId id, dm_->AllocatePage());
  absl::StatusOr<PageRef> ref = NewPage(id);
  if (!ref.ok()) {
    dm_->FreePage(id).IgnoreError();  // fresh in this epoch: reusable at once
    return ref.status();
  }
  fresh_.insert(id);
  return ref;
}

absl::StatusOr<PageRef> Pager::Allocate(PageType type, Lsn lsn) {
  LAURA_ASSIGN_OR_RETURN(PageRef ref, AllocateUninitialized());
  InitPage(ref.mutable_data(), page_size(), ref.id(), type, lsn);
  return ref;
}

absl::StatusOr<PageRef> Pager::AllocateCopy(const PageRef& page, Lsn lsn) {
  LAURA_ASSIGN_OR_RETURN(PageRef copy, AllocateUninitialized());
  char* out = copy.mutable_data();
  std::memcpy(out + kPageHeaderSize, page.data() + kPageHeaderSize,
              page_size() - kPageHeaderSize);
  // Sealed at Flush; the original's type and flags, the copy's id and lsn.
  InitPageHeader(out, copy.id(), static_cast<PageType>(page.data()[kPageTypeOffset]),
                 static_cast<uint8_t>(page.data()[kPageFlagsOffset]), lsn);
  return copy;
}

absl::StatusOr<PageRef> Pager::FetchForWrite(PageId id) {
  if (!fresh_.contains(id)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "page ", id, " is committed and cannot change; copy it"));
  }
  return PinForWrite(id);
}

absl::StatusOr<PageRef> Pager::FetchIfWritable(PageId id) {
  if (!fresh_.contains(id)) return PageRef();
  return PinForWrite(id);
}

absl::Status Pager::WriteBatchPages() {
  std::vector<PageId> ids = fresh_.Members();
  std::sort(ids.begin(), ids.end());
  for (PageId id : ids) LAURA_RETURN_IF_ERROR(WriteEarly(id));
  return absl::OkStatus();
}

absl::Status Pager::FreeUncommitted(PageId id) {
  if (fresh_.erase(id) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "page ", id, " is not part of the current write batch"));
  }
  LAURA_RETURN_IF_ERROR(Forget(id));
  return dm_->FreePage(id);
}

absl::Status Pager::AbortWriteBatch(uint64_t txn) {
  while (!parked_.empty() && parked_.back().txn == txn) parked_.pop_back();
  for (PageId id : fresh_.Members()) LAURA_RETURN_IF_ERROR(FreeUncommitted(id));
  return absl::OkStatus();
}

size_t Pager::parked_frees() const {
  MutexLock lock(&pinned_mu_);
  return parked_.size() + pinned_.size();
}

std::vector<PageId> Pager::ParkedPages() const {
  std::vector<PageId> ids;
  MutexLock lock(&pinned_mu_);
  ids.reserve(parked_.size() + pinned_.size());
  for (const Parked& p : pinned_) ids.push_back(p.id);
  for (const Parked& p : parked_) ids.push_back(p.id);
  return ids;
}

std::vector<PageId> Pager::ParkedPagesFreedBy(uint64_t txn) const {
  std::vector<PageId> ids;
  MutexLock lock(&pinned_mu_);
  for (const std::deque<Parked>* list : {&pinned_, &parked_}) {
    for (const Parked& p : *list) {
      if (p.txn <= txn) ids.push_back(p.id);
    }
  }
  return ids;
}

void Pager::FreeAfter(PageId id, uint64_t txn, uint64_t written) {
  // A version cannot be written by the transaction that frees it or a
  // later one: such an LSN is damage, and 0 is the safe reading.
  parked_.push_back(Parked{txn, written < txn ? written : 0, id});
}

absl::Status Pager::Release(PageId id) {
  LAURA_RETURN_IF_ERROR(Forget(id));
  return dm_->FreePage(id);
}

std::vector<uint64_t> Pager::PagesHeldBy(const std::vector<uint64_t>& snapshots) const {
  // Page p is held by the snapshots in [p.written, p.txn): count ranges.
  std::vector<int64_t> delta(snapshots.size() + 1, 0);
  {
    MutexLock lock(&pinned_mu_);
    for (const Parked& p : pinned_) {
      const size_t lo = std::lower_bound(snapshots.begin(), snapshots.end(), p.written) -
                        snapshots.begin();
      const size_t hi = std::lower_bound(snapshots.begin(), snapshots.end(), p.txn) -
                        snapshots.begin();
      if (lo < hi) ++delta[lo], --delta[hi];
    }
  }
  std::vector<uint64_t> held(snapshots.size());
  int64_t running = 0;
  for (size_t i = 0; i < snapshots.size(); ++i) held[i] = static_cast<uint64_t>(running += delta[i]);
  return held;
}

absl::Status Pager::ReleaseFrees(uint64_t published_txn, const std::vector<uint64_t>& snapshots) {
  MutexLock lock(&pinned_mu_);
  // A page freed by transaction T, whose freed version transaction W
  // wrote, is in versions W .. T - 1.
  const uint64_t oldest = snapshots.empty() ? published_txn : snapshots.front();
  while (!pinned_.empty() && pinned_.front().txn <= oldest) {
    LAURA_RETURN_IF_ERROR(Release(pinned_.front().id));
    pinned_.pop_front();
  }
  while (!parked_.empty() && parked_.front().txn <= published_txn) {
    const Parked p = parked_.front();
    parked_.pop_front();
    // The first snapshot at W or later; the page is free unless it is
    // below T.
    const auto first = std::lower_bound(snapshots.begin(), snapshots.end(), p.written);
    if (first != snapshots.end() && *first < p.txn) {
      pinned_.push_back(p);
    } else {
      LAURA_RETURN_IF_ERROR(Release(p.id));
    }
  }
  held_pages_.store(pinned_.size(), std::memory_order_relaxed);
  ReclaimFrames(snapshots);
  return absl::OkStatus();
}

}  // namespace laura
