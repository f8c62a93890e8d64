// Cursor and scans (see cursor.h).
#include "btree/cursor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "btree/overflow.h"
#include "storage/status_macros.h"

namespace laura {

void Cursor::Reset() {
  valid_ = false;
  stack_.clear();
  status_ = absl::OkStatus();
  value_loaded_ = false;
}

void Cursor::Fail(absl::Status status) {
  valid_ = false;
  stack_.clear();
  status_ = std::move(status);
}

void Cursor::Descend(ChildRef node, PageId parent, Edge edge, absl::string_view key) {
  const uint32_t ps = pager_->page_size();
  PageId id = node.id;
  while (status_.ok()) {
    if (stack_.size() >= static_cast<size_t>(kMaxTreeDepth)) {
      return Fail(absl::DataLossError(
          absl::StrCat("tree from page ", root_, " is deeper than ", kMaxTreeDepth,
                       " levels")));
    }
    absl::StatusOr<PageRef> ref = pager_->Fetch(id);
    if (!ref.ok()) return Fail(ref.status());
    if (parent != 0) {
      if (absl::Status s = CheckChildVersion(*ref, node, parent); !s.ok()) return Fail(s);
    }
    absl::StatusOr<NodeView> view = NodeView::Parse(ref->data(), ps, id);
    if (!view.ok()) return Fail(view.status());
    int index;
    if (view->is_leaf()) {
      index = edge == Edge::kFirst  ? 0
              : edge == Edge::kLast ? view->count() - 1
                                    : view->LowerBound(key);
    } else {
      index = edge == Edge::kFirst  ? 0
              : edge == Edge::kLast ? view->count()
                                    : view->ChildIndex(key);
    }
    const bool is_leaf = view->is_leaf();
    const ChildRef child = is_leaf ? ChildRef{} : view->child_ref(index);
    const bool corrupt = view->corrupt();
    stack_.push_back(Level{std::move(*ref), *view, index});
    if (corrupt || (!is_leaf && child.id == 0)) {
      return Fail(absl::DataLossError(absl::StrCat("node page ", id, " is malformed")));
    }
    if (is_leaf) {
      // Whoever descends to a leaf reads on past it (a scan, a seek and
      // its next entries): start the next leaf's first miss now, so that
      // it overlaps this leaf's entries. (Prefetching this leaf's own
      // cells measured no gain: its header miss is paid already.)
      PrefetchNeighbour(edge != Edge::kLast);
      return;
    }
    node = child;
    parent = id;
    id = child.id;
  }
}

void Cursor::PrefetchNeighbour(bool forward) {
  if (stack_.size() < 2) return;
  const Level& parent = stack_[stack_.size() - 2];
  const int sibling = parent.index + (forward ? 1 : -1);
  if (sibling < 0 || sibling > parent.view.count()) return;
  const PageId id = parent.view.child(sibling);
  if (id != 0) pager_->Prefetch(id);
}

void Cursor::SkipForward() {
  while (status_.ok() && !stack_.empty() &&
         stack_.back().index >= stack_.back().view.count()) {
    stack_.pop_back();  // the leaf is done: climb to a branch with a next child
    while (!stack_.empty() && stack_.back().index >= stack_.back().view.count()) {
      stack_.pop_back();
    }
    if (stack_.empty()) return;  // past the last entry
    Level& up = stack_.back();
    ++up.index;
    Descend(up.view.child_ref(up.index), up.ref.id(), Edge::kFirst, {});
  }
  LoadEntry(/*forward=*/true);
}

void Cursor::SkipBackward() {
  while (status_.ok() && !stack_.empty() && stack_.back().index < 0) {
    stack_.pop_back();
    while (!stack_.empty() && stack_.back().index <= 0) stack_.pop_back();
    if (stack_.empty()) return;  // before the first entry
    Level& up = stack_.back();
    --up.index;
    Descend(up.view.child_ref(up.index), up.ref.id(), Edge::kLast, {});
  }
  LoadEntry(/*forward=*/false);
}

void Cursor::LoadEntry(bool forward) {
  valid_ = false;
  if (!status_.ok() || stack_.empty()) return;
  const Level& l = stack_.back();
  if (l.index < 0 || l.index >= l.view.count()) return;
  // Cells sit in the page in insertion order, not key order: the cell a
  // few steps ahead is a miss of its own, started now.
  l.view.PrefetchCell(l.index + (forward ? kCellsAhead : -kCellsAhead));
  if (!l.view.entry(l.index, &key_, &value_)) {
    return Fail(absl::DataLossError(
        absl::StrCat("node page ", l.ref.id(), ": entry ", l.index, " is malformed")));
  }
  valid_ = true;
}

void Cursor::SeekToFirst() {
  Reset();
  if (root_ == 0) return;
  Descend({root_, 0}, 0, Edge::kFirst, {});
  SkipForward();
}

void Cursor::SeekToLast() {
  Reset();
  if (root_ == 0) return;
  Descend({root_, 0}, 0, Edge::kLast, {});
  SkipBackward();
}

void Cursor::Seek(absl::string_view key) {
  Reset();
  if (root_ == 0) return;
  Descend({root_, 0}, 0, Edge::kKey, key);
  SkipForward();
}

void Cursor::SeekForPrev(absl::string_view key) {
  Seek(key);
  if (!status_.ok()) return;
  if (Valid()) {
    if (this->key() != key) Prev();
  } else {
    SeekToLast();
  }
}

void Cursor::Prev() {
  if (!Valid()) return;
  valid_ = false;
  value_loaded_ = false;
  --stack_.back().index;
  SkipBackward();
}

absl::string_view Cursor::value() {
  if (!value_.overflow) return value_.inline_bytes;
  if (!value_loaded_) {
    absl::Status s = ReadOverflow(pager_, value_.first_page, value_.length, &value_buffer_);
    if (!s.ok()) {
      Fail(std::move(s));
      value_buffer_.clear();
      return {};
    }
    value_loaded_ = true;
  }
  return value_buffer_;
}

absl::Status ScanRange(Pager* pager, PageId root, absl::string_view from,
                       std::optional<absl::string_view> to, const ScanFn& fn) {
  Cursor cursor(pager, root);
  for (cursor.Seek(from); cursor.Valid(); cursor.Next()) {
    if (to.has_value() && CompareKeys(cursor.key(), *to) >= 0) break;
    const absl::string_view value = cursor.value();
    if (!cursor.status().ok()) break;
    if (!fn(cursor.key(), value)) break;
  }
  return cursor.status();
}

namespace {

// Levels below page id down to the leaves (0 for a leaf), by the leftmost
// path.
absl::StatusOr<int> Height(Pager* pager, PageId id) {
  for (int height = 0; height < kMaxTreeDepth; ++height) {
    absl::StatusOr<PageRef> ref = pager->Fetch(id);
    if (!ref.ok()) return ref.status();
    absl::StatusOr<NodeView> view = NodeView::Parse(ref->data(), pager->page_size(), id);
    if (!view.ok()) return view.status();
    if (view->is_leaf()) return height;
    id = view->child(0);
  }
  return absl::DataLossError(absl::StrCat("tree from page ", id, " is too deep"));
}

absl::Status CollectLeaves(Pager* pager, PageId id, int height, absl::string_view from,
                           std::optional<absl::string_view> to, std::vector<PageId>* out) {
  if (height == 0) {
    out->push_back(id);
    return absl::OkStatus();
  }
  absl::StatusOr<PageRef> ref = pager->Fetch(id);
  if (!ref.ok()) return ref.status();
  absl::StatusOr<NodeView> view = NodeView::Parse(ref->data(), pager->page_size(), id);
  if (!view.ok()) return view.status();
  if (view->is_leaf()) return absl::DataLossError(absl::StrCat("page ", id, " is a leaf too early"));
  // Children first..last cover [from, to).
  const int first = view->ChildIndex(from);
  int last = view->count();
  if (to.has_value()) last = std::min(last, view->LowerBound(*to));
  for (int i = first; i <= last; ++i) {
    const PageId child = view->child(i);
    if (view->corrupt() || child == 0) {
      return absl::DataLossError(absl::StrCat("node page ", id, " is malformed"));
    }
    LAURA_RETURN_IF_ERROR(CollectLeaves(pager, child, height - 1, from, to, out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LeafPagesInRange(Pager* pager, PageId root, absl::string_view from,
                              std::optional<absl::string_view> to, std::vector<PageId>* out) {
  out->clear();
  if (root == 0 || (to.has_value() && CompareKeys(from, *to) >= 0)) return absl::OkStatus();
  LAURA_ASSIGN_OR_RETURN(int height, Height(pager, root));
  return CollectLeaves(pager, root, height, from, to, out);
}

std::optional<std::string> PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

absl::Status ScanPrefix(Pager* pager, PageId root, absl::string_view prefix,
                        const ScanFn& fn) {
  const std::optional<std::string> end = PrefixEnd(prefix);
  std::optional<absl::string_view> to;
  if (end.has_value()) to = *end;
  return ScanRange(pager, root, prefix, to, fn);
}

}  // namespace laura
