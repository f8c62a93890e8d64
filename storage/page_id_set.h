// PageIdSet: a set of page ids for the sets the writer asks about on every
// page it touches (the pager's pages of the current write batch, the mmap
// pager's pages changed since the last flush). Membership is one byte per
// page id, indexed directly, so a lookup is one load instead of a hash and
// a probe that misses the cache; the members are also kept in a list, so
// iterating and clearing cost the members, not the id range.
//
// Memory: one byte per page id up to the highest id inserted (the page
// allocator keeps one byte per page as well), plus 8 bytes per member.
// Not thread-safe: the writer owns these sets.
#ifndef LAURA_STORAGE_PAGE_ID_SET_H_
#define LAURA_STORAGE_PAGE_ID_SET_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/page.h"

namespace laura {

class PageIdSet {
 public:
  bool contains(PageId id) const { return id < state_.size() && state_[id] == kMember; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // True if id was not a member.
  bool insert(PageId id) {
    if (id >= state_.size()) state_.resize(std::max<size_t>(id + 1, state_.size() * 2), kAbsent);
    uint8_t& s = state_[id];
    if (s == kMember) return false;
    if (s == kAbsent) listed_.push_back(id);  // kRemoved: listed already
    s = kMember;
    ++size_;
    return true;
  }

  // True if id was a member.
  bool erase(PageId id) {
    if (!contains(id)) return false;
    state_[id] = kRemoved;
    --size_;
    return true;
  }

  void clear() {
    for (PageId id : listed_) state_[id] = kAbsent;
    listed_.clear();
    size_ = 0;
  }

  // The members, in the order they were first inserted.
  std::vector<PageId> Members() const {
    std::vector<PageId> members;
    members.reserve(size_);
    for (PageId id : listed_) {
      if (state_[id] == kMember) members.push_back(id);
    }
    return members;
  }

 private:
  // kAbsent: not listed; kMember: listed and a member; kRemoved: listed,
  // erased since (so a new insert does not list it twice).
  enum : uint8_t { kAbsent = 0, kMember = 1, kRemoved = 2 };
  std::vector<uint8_t> state_;
  std::vector<PageId> listed_;
  size_t size_ = 0;
};

}  // namespace laura

#endif  // LAURA_STORAGE_PAGE_ID_SET_H_
