// Page allocation bookkeeping and free-list pages (format in free_list.h).
#include "storage/free_list.h"

#include <algorithm>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"

namespace laura {

PageAllocator::PageAllocator(uint64_t page_count, absl::btree_set<PageId> free,
                             std::vector<PageId> list_pages)
    : page_count_(page_count),
      state_(page_count, PageState::kLive),
      free_(free.rbegin(), free.rend()),  // lowest on top
      list_pages_(std::move(list_pages)) {
  for (PageId id : free_) state(id) = PageState::kFree;
  for (PageId id : list_pages_) state(id) = PageState::kList;
}

std::vector<PageId> PageAllocator::FreeIds() const {
  std::vector<PageId> ids(free_.begin(), free_.end());
  ids.insert(ids.end(), pending_.begin(), pending_.end());
  ids.insert(ids.end(), planned_.begin(), planned_.end());
  ids.insert(ids.end(), fenced_.begin(), fenced_.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

void PageAllocator::Fence(uint64_t min_page_count) {
  for (PageId id : free_) state(id) = PageState::kFenced;
  fenced_.insert(fenced_.end(), free_.begin(), free_.end());
  free_.clear();
  for (; page_count_ < min_page_count; ++page_count_) {
    state_.push_back(PageState::kFenced);
    fenced_.push_back(page_count_);
  }
}

uint64_t PageAllocator::Unfence() {
  for (PageId id : fenced_) state(id) = PageState::kFree;
  std::sort(fenced_.begin(), fenced_.end(), std::greater<PageId>());
  free_.insert(free_.begin(), fenced_.begin(), fenced_.end());
  const uint64_t count = fenced_.size();
  fenced_.clear();
  return count;
}

PageId PageAllocator::Allocate() {
  PageId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = page_count_++;
    state_.push_back(PageState::kLive);
  }
  state(id) = PageState::kFresh;
  return id;
}

absl::Status PageAllocator::Free(PageId id) {
  if (id < 2 || id >= page_count_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot free page ", id, ": valid data pages are 2 to ", page_count_ - 1));
  }
  switch (state(id)) {
    case PageState::kList:
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot free page ", id, ": it holds the durable free list"));
    case PageState::kFree:
    case PageState::kPending:
    case PageState::kPlanned:
    case PageState::kFenced:
      return absl::FailedPreconditionError(absl::StrCat("page ", id, " freed twice"));
    case PageState::kFresh:  // invariant 1: no durable state reaches it
      state(id) = PageState::kFree;
      free_.push_back(id);
      return absl::OkStatus();
    case PageState::kLive:
      state(id) = PageState::kPending;
      pending_.push_back(id);
      return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat("page ", id, " is in no known state"));
}

PageId PageAllocator::CompactionThreshold() const {
  std::vector<PageId> free(free_.begin(), free_.end());
  std::sort(free.begin(), free.end());
  size_t below = free.size();  // free pages below the candidate threshold
  PageId best = page_count_;
  for (PageId t = page_count_; t-- > 2;) {
    if (below > 0 && free[below - 1] == t) --below;
    const uint64_t in_use_past = (page_count_ - t) - (free.size() - below);
    if (below < in_use_past + in_use_past / 8 + 64) break;
    best = t;
  }
  return best;
}

void PageAllocator::SortFreeLowestFirst() {
  std::sort(free_.begin(), free_.end(), std::greater<PageId>());  // lowest on top
}

uint64_t PageAllocator::TrimFreeTail() {
  uint64_t end = page_count_;
  while (end > 2 && state_[end - 1] == PageState::kFree) --end;
  const uint64_t trimmed = page_count_ - end;
  if (trimmed == 0) return 0;
  free_.erase(std::remove_if(free_.begin(), free_.end(), [end](PageId id) { return id >= end; }),
              free_.end());
  page_count_ = end;
  state_.resize(end);
  return trimmed;
}

size_t PageAllocator::FreeListPagesNeeded(uint32_t page_size, size_t unreachable) const {
  // Entries only shrink as list pages are taken from free_, so this many
  // pages always suffice (the last may end up empty).
  const size_t capacity = FreeListCapacity(page_size);
  const size_t total = free_count() + list_pages_.size() + unreachable;
  return (total + capacity - 1) / capacity;
}

PageAllocator::ListPlan PageAllocator::PlanFreeList(uint32_t page_size,
                                                   const std::vector<PageId>& unreachable) {
  ListPlan plan;
  const size_t pages = FreeListPagesNeeded(page_size, unreachable.size());
  for (size_t i = 0; i < pages; ++i) plan.pages.push_back(Allocate());
  plan.entries.assign(free_.begin(), free_.end());
  plan.entries.insert(plan.entries.end(), pending_.begin(), pending_.end());
  plan.entries.insert(plan.entries.end(), list_pages_.begin(), list_pages_.end());
  plan.entries.insert(plan.entries.end(), fenced_.begin(), fenced_.end());
  for (PageId id : unreachable) {
    // Only pages in use can be held by a snapshot; anything else is
    // listed already (or is not a page), and listing it twice would
    // make the list unreadable.
    if (id < page_count_ && (state(id) == PageState::kLive || state(id) == PageState::kFresh)) {
      plan.entries.push_back(id);
    }
  }
  for (PageId id : pending_) state(id) = PageState::kPlanned;  // invariant 4
  planned_.insert(planned_.end(), pending_.begin(), pending_.end());
  pending_.clear();
  return plan;
}

void PageAllocator::CommitFreeList(const ListPlan& plan) {
  for (PageId id : planned_) state(id) = PageState::kFree;
  for (PageId id : list_pages_) state(id) = PageState::kFree;
  // Beneath the pages freed since, lowest id first among themselves.
  std::vector<PageId> released = std::move(planned_);
  released.insert(released.end(), list_pages_.begin(), list_pages_.end());
  std::sort(released.begin(), released.end(), std::greater<PageId>());
  free_.insert(free_.begin(), released.begin(), released.end());
  planned_.clear();
  // A new epoch: what this one allocated is reachable from durable state
  // from now on.
  for (PageState& s : state_) {
    if (s == PageState::kFresh) s = PageState::kLive;
  }
  list_pages_ = plan.pages;
  for (PageId id : list_pages_) state(id) = PageState::kList;
}

void EncodeFreeListPage(char* page, uint32_t page_size, PageId id, PageId next,
                        const PageId* entries, size_t n, Lsn lsn) {
  InitPage(page, page_size, id, PageType::kFreeList, lsn);
  EncodeFixed64(page + 32, next);
  EncodeFixed32(page + 40, static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) {
    EncodeFixed64(page + kFreeListEntriesOffset + 8 * i, entries[i]);
  }
  SealPage(page, page_size, id);
}

absl::Status WriteFreeListPages(const PageAllocator::ListPlan& plan, uint32_t page_size,
                                Lsn lsn, const WritePageFn& write) {
  std::string page(page_size, '\0');
  const size_t capacity = FreeListCapacity(page_size);
  size_t next_entry = 0;
  for (size_t i = 0; i < plan.pages.size(); ++i) {
    const size_t n = std::min(capacity, plan.entries.size() - next_entry);
    const PageId next = i + 1 < plan.pages.size() ? plan.pages[i + 1] : 0;
    EncodeFreeListPage(page.data(), page_size, plan.pages[i], next,
                       plan.entries.data() + next_entry, n, lsn);
    next_entry += n;
    LAURA_RETURN_IF_ERROR(write(plan.pages[i], page.data()));
  }
  return absl::OkStatus();
}

absl::StatusOr<PageAllocator> LoadFreeList(const ReadPageFn& read,
                                           uint32_t page_size, PageId head,
                                           uint64_t expected_count,
                                           uint64_t page_count) {
  absl::btree_set<PageId> free;
  std::vector<PageId> list_pages;
  absl::btree_set<PageId> seen_pages;
  std::string page(page_size, '\0');
  auto corrupt = [](PageId id, absl::string_view what) {
    return absl::DataLossError(absl::StrCat("free-list page ", id, ": ", what));
  };
  for (PageId id = head; id != 0;) {
    if (id < 2 || id >= page_count) return corrupt(id, "id out of range");
    if (!seen_pages.insert(id).second) return corrupt(id, "the chain loops");
    if (absl::Status s = read(id, page.data()); !s.ok()) return s;
    if (static_cast<PageType>(page[kPageTypeOffset]) != PageType::kFreeList) {
      return corrupt(id, "wrong page type");
    }
    const uint32_t n = DecodeFixed32(page.data() + 40);
    if (n > FreeListCapacity(page_size)) return corrupt(id, "entry count too large");
    for (uint32_t i = 0; i < n; ++i) {
      PageId entry = DecodeFixed64(page.data() + kFreeListEntriesOffset + 8 * i);
      if (entry < 2 || entry >= page_count) {
        return corrupt(id, absl::StrCat("entry ", entry, " out of range"));
      }
      if (!free.insert(entry).second) {
        return corrupt(id, absl::StrCat("page ", entry, " listed twice"));
      }
    }
    list_pages.push_back(id);
    id = DecodeFixed64(page.data() + 32);
  }
  for (PageId p : list_pages) {
    if (free.contains(p)) return corrupt(p, "lists itself as free");
  }
  if (free.size() != expected_count) {
    return absl::DataLossError(absl::StrCat(
        "free list holds ", free.size(), " pages, the meta page says ",
        expected_count));
  }
  return PageAllocator(page_count, std::move(free), std::move(list_pages));
}

}  // namespace laura
