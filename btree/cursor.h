// Cursor: ordered iteration over one version of the tree (a root), forward
// and backward, with seeks; and the range and prefix scans built on it.
//
// A cursor keeps the path from the root to its leaf pinned (a few pages).
// On a snapshot's root it stays valid while the snapshot is held; on the
// writer's root it is invalidated by the writer's next change.
//
// Errors: a damaged page makes the cursor invalid with a non-OK status();
// check status() after a loop that ends because Valid() turned false.
#ifndef LAURA_BTREE_CURSOR_H_
#define LAURA_BTREE_CURSOR_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "btree/node.h"
#include "laura/iterator.h"
#include "storage/pager.h"

namespace laura {

class Cursor {
 public:
  // A cursor over the tree rooted at root (0 = empty); not positioned.
  Cursor(Pager* pager, PageId root) : pager_(pager), root_(root) {}

  // True if positioned at an entry (inline: a scan asks several times a
  // step). Every move clears it and LoadEntry, where every move ends, sets
  // it again for an entry it decoded.
  bool Valid() const { return valid_; }
  void SeekToFirst();
  void SeekToLast();
  // The first key >= key.
  void Seek(absl::string_view key);
  // The last key <= key.
  void SeekForPrev(absl::string_view key);
  // REQUIRES: Valid(). Inline while the step stays in its leaf.
  void Next() {
    if (!valid_) return;
    valid_ = false;
    value_loaded_ = false;
    if (++stack_.back().index < stack_.back().view.count()) return LoadEntry(/*forward=*/true);
    SkipForward();
  }
  void Prev();

  // REQUIRES: Valid(). The views stay valid until the cursor moves.
  absl::string_view key() const { return key_; }
  // Reads an overflow value on first use; on a damaged chain, returns ""
  // and sets status().
  absl::string_view value();
  // Length of value() without reading an overflow chain.
  uint64_t value_size() const {
    return value_.overflow ? value_.length : value_.inline_bytes.size();
  }

  const absl::Status& status() const { return status_; }

 private:
  enum class Edge { kFirst, kLast, kKey };
  struct Level {
    PageRef ref;
    NodeView view;
    int index;  // leaf: entry; branch: child
  };

  void Reset();
  void Fail(absl::Status status);
  // Descends from page node.id to a leaf, pushing levels; unless parent
  // is 0 (node is the root), node.id must hold node.lsn (what parent's
  // pointer expects), as must each child on the way down.
  void Descend(ChildRef node, PageId parent, Edge edge, absl::string_view key);
  // Hints the pager at the leaf after (before) the current one, the next
  // a scan reads, so that its first miss overlaps this leaf's entries.
  void PrefetchNeighbour(bool forward);
  // Moves to the next (previous) leaf while the leaf index is past the end
  // (before the start). Both end with LoadEntry: every move ends in one of
  // them.
  void SkipForward();
  void SkipBackward();
  // Decodes the entry the cursor is at once, for key(), value() and
  // value_size(); a malformed cell fails the cursor with DataLoss
  // (BTreeTest.AMalformedLeafCellIsDataLossForCursorsAndGets). Moving
  // forward (or back), it also prefetches the cell kCellsAhead entries on.
  void LoadEntry(bool forward);
  static constexpr int kCellsAhead = 4;

  Pager* const pager_;
  const PageId root_;
  std::vector<Level> stack_;
  absl::Status status_;
  absl::string_view key_;  // the entry LoadEntry decoded
  LeafValue value_;
  std::string value_buffer_;
  bool value_loaded_ = false;
  bool valid_ = false;  // Valid(): LoadEntry decoded the entry at the leaf index
};

// Calls fn(key, value) for each entry with from <= key < to (no `to`: to
// the end) in key order, until fn returns false.
using ScanFn = std::function<bool(absl::string_view key, absl::string_view value)>;
absl::Status ScanRange(Pager* pager, PageId root, absl::string_view from,
                       std::optional<absl::string_view> to, const ScanFn& fn);
// Calls fn for each entry whose key starts with prefix, in key order.
absl::Status ScanPrefix(Pager* pager, PageId root, absl::string_view prefix,
                        const ScanFn& fn);
// The ids of the leaf pages that can hold keys in [from, to) (no `to`: to
// the end), in key order, found by reading branch pages only, so a caller
// can hint them (DiskManager::AdviseWillNeed) before reading them.
absl::Status LeafPagesInRange(Pager* pager, PageId root, absl::string_view from,
                              std::optional<absl::string_view> to, std::vector<PageId>* out);

// PrefixEnd (public: laura/iterator.h) is defined in cursor.cc.

}  // namespace laura

#endif  // LAURA_BTREE_CURSOR_H_
