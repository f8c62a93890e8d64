// BTree::Relocate: moves every page at or past a threshold id (nodes and
// overflow chains) to a new page, by copy-on-write in the current write
// transaction, for compaction (engine/compact.cc).
//
// Pass 1 reads the tree and marks each page to copy: a page at or past the
// threshold, and every ancestor of one (its child pointer changes). Pass 2
// copies the marked pages top-down; copying a node never changes its
// cells, so the tree's contents and shape stay exactly as they were. A
// value whose overflow chain has a page past the threshold is put again
// (a new chain is written, the old one freed). The new pages come from
// the disk manager's allocator, which the caller points at the lowest
// free ids (DiskManager::PreferLowestFreePages).
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "btree/btree.h"
#include "btree/overflow.h"
#include "storage/status_macros.h"

namespace laura {

struct BTree::RelocationPlan {
  PageId threshold = 0;
  absl::flat_hash_set<PageId> copy;       // nodes to copy
  std::vector<std::string> overflow_keys;  // values to put again
  uint64_t pages_past = 0;                 // pages at or past the threshold
};

absl::StatusOr<bool> BTree::PlanRelocation(const PageRef& ref, int depth, RelocationPlan* plan) {
  const PageId id = ref.id();
  if (depth >= kMaxTreeDepth) {
    return absl::DataLossError(absl::StrCat("page ", id, ": the tree is too deep (a loop?)"));
  }
  LAURA_ASSIGN_OR_RETURN(NodeView view, NodeView::Parse(ref.data(), pager_->page_size(), id));
  bool move = id >= plan->threshold;
  if (move) ++plan->pages_past;
  if (view.is_leaf()) {
    for (int i = 0; i < view.count(); ++i) {
      const LeafValue v = view.value(i);
      if (view.corrupt()) return absl::DataLossError(absl::StrCat("page ", id, ": a bad cell"));
      if (!v.overflow) continue;
      LAURA_ASSIGN_OR_RETURN(std::vector<PageId> chain,
                             OverflowPages(pager_, v.first_page, v.length));
      uint64_t past = 0;
      for (PageId p : chain) past += p >= plan->threshold;
      if (past == 0) continue;
      plan->pages_past += past;
      plan->overflow_keys.emplace_back(view.key(i));
    }
  } else {
    for (int i = 0; i <= view.count(); ++i) {
      const PageId child = view.child(i);
      if (view.corrupt() || child == 0) {
        return absl::DataLossError(absl::StrCat("page ", id, ": bad child pointer"));
      }
      LAURA_ASSIGN_OR_RETURN(PageRef child_ref, FetchChild(pager_, view, id, i));
      LAURA_ASSIGN_OR_RETURN(bool child_moves, PlanRelocation(child_ref, depth + 1, plan));
      move = move || child_moves;
    }
  }
  if (move) plan->copy.insert(id);
  return move;
}

absl::Status BTree::CopyMarkedChildren(PageRef& node, int depth, const RelocationPlan& plan) {
  LAURA_ASSIGN_OR_RETURN(NodeView view,
                         NodeView::Parse(node.data(), pager_->page_size(), node.id()));
  if (view.is_leaf()) return absl::OkStatus();
  for (int i = 0; i <= view.count(); ++i) {
    if (!plan.copy.contains(view.child(i))) continue;
    LAURA_ASSIGN_OR_RETURN(PageRef child, WritableChild(node, view, i));
    LAURA_RETURN_IF_ERROR(CopyMarkedChildren(child, depth + 1, plan));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> BTree::Relocate(PageId threshold) {
  if (write_root_ == 0) return 0;
  append_leaf_ = 0;
  RelocationPlan plan;
  plan.threshold = threshold;
  {
    LAURA_ASSIGN_OR_RETURN(PageRef root, pager_->Fetch(write_root_));
    LAURA_RETURN_IF_ERROR(PlanRelocation(root, 0, &plan).status());
  }
  if (plan.copy.contains(write_root_)) {
    LAURA_ASSIGN_OR_RETURN(PageRef root, Writable(write_root_));
    write_root_ = root.id();
    LAURA_RETURN_IF_ERROR(CopyMarkedChildren(root, 0, plan));
  }
  std::string value;
  for (const std::string& key : plan.overflow_keys) {
    LAURA_RETURN_IF_ERROR(Get(write_root_, key, &value));
    LAURA_RETURN_IF_ERROR(Put(key, value));
  }
  return plan.pages_past;
}

}  // namespace laura
