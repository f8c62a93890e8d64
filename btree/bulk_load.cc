// Bottom-up bulk loading (see bulk_load.h).
#include "btree/bulk_load.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "btree/btree.h"
#include "btree/node.h"
#include "btree/overflow.h"
#include "storage/status_macros.h"

namespace laura {
BulkLoader::BulkLoader(Pager* pager, Lsn lsn, const BulkLoadOptions& options)
    : pager_(pager),
      lsn_(lsn),
      fill_limit_(static_cast<size_t>(std::clamp(options.fill_factor, 0.1, 1.0) *
                                      NodeCapacity(pager->page_size()))) {
  if (options.fill_factor < 0.1 || options.fill_factor > 1.0) {
    failed_ = absl::InvalidArgumentError(absl::StrCat(
        "bulk load fill factor ", options.fill_factor, " is outside [0.1, 1.0]"));
  }
  levels_.resize(1);
  pager_->disk()->AdviseSequential().IgnoreError();  // a hint only
}

BulkLoader::~BulkLoader() {
  if (!finished_) pager_->disk()->AdviseRandom().IgnoreError();
}

absl::Status BulkLoader::AppendCell(Level& level, absl::string_view cell) {
  if (!NodeEditor(level.node.mutable_data(), pager_->page_size()).Insert(level.count, cell)) {
    return absl::InternalError("a bulk-loaded cell did not fit in its node");
  }
  ++level.count;
  level.used += cell.size() + kSlotSize;
  return absl::OkStatus();
}

absl::Status BulkLoader::StartNode(size_t level, std::string separator, ChildRef leftmost) {
  const bool leaf = level == 0;
  LAURA_ASSIGN_OR_RETURN(PageRef node,
                         pager_->Allocate(leaf ? PageType::kLeaf : PageType::kBranch, lsn_));
  NodeEditor(node.mutable_data(), pager_->page_size()).Clear(leaf, leftmost);
  Level& l = levels_[level];
  l.node = std::move(node);
  l.separator = std::move(separator);
  l.used = 0;
  l.count = 0;
  ++l.nodes;
  return absl::OkStatus();
}

absl::Status BulkLoader::CloseNode(size_t level) {
  Level& l = levels_[level];
  const PageId id = l.node.id();
  std::string separator = std::move(l.separator);
  l.node.Release();
  LAURA_RETURN_IF_ERROR(pager_->WriteEarly(id));  // the node is done
  return AddChild(level + 1, std::move(separator), {id, lsn_});  // every node is the load's
}

absl::Status BulkLoader::AddChild(size_t level, std::string separator, ChildRef child) {
  if (level == levels_.size()) levels_.emplace_back();
  if (!levels_[level].node) return StartNode(level, std::move(separator), child);
  std::string cell;
  EncodeBranchCell(separator, child, &cell);
  if (levels_[level].used + cell.size() + kSlotSize > fill_limit_) {
    LAURA_RETURN_IF_ERROR(CloseNode(level));
    return StartNode(level, std::move(separator), child);
  }
  return AppendCell(levels_[level], cell);
}

absl::Status BulkLoader::Add(absl::string_view key, absl::string_view value) {
  LAURA_RETURN_IF_ERROR(failed_);
  if (finished_) return absl::FailedPreconditionError("the bulk load is finished");
  const uint64_t position = count_ + 1;
  absl::Status s = CheckEntrySize(pager_->page_size(), key, value);
  if (s.ok() && count_ > 0) {
    const int order = CompareKeys(key, last_key_);
    if (order <= 0) {
      s = absl::InvalidArgumentError(absl::StrCat(
          "key ", ShowKey(key), order == 0 ? " repeats" : " sorts before",
          " the previous key ", ShowKey(last_key_), "; input must be sorted and unique"));
    }
  }
  if (!s.ok()) {
    failed_ = absl::InvalidArgumentError(
        absl::StrCat("bulk load entry ", position, ": ", s.message()));
    return failed_;
  }
  s = EncodeLeafEntry(pager_, key, value, lsn_, &cell_);
  Level& leaves = levels_[0];
  if (s.ok() && leaves.node && leaves.used + cell_.size() + kSlotSize > fill_limit_) {
    s = CloseNode(0);
  }
  if (s.ok() && !levels_[0].node) {
    s = StartNode(0, count_ == 0 ? std::string() : ShortestSeparator(last_key_, key), {});
  }
  if (s.ok()) s = AppendCell(levels_[0], cell_);
  if (!s.ok()) {
    failed_ = s;
    return s;
  }
  last_key_.assign(key.data(), key.size());
  count_ = position;
  return absl::OkStatus();
}

absl::StatusOr<PageId> BulkLoader::Finish() {
  LAURA_RETURN_IF_ERROR(failed_);
  if (finished_) return absl::FailedPreconditionError("the bulk load is finished");
  finished_ = true;
  pager_->disk()->AdviseRandom().IgnoreError();
  if (count_ == 0) return PageId{0};
  for (size_t level = 0;; ++level) {
    Level& l = levels_[level];
    if (level + 1 == levels_.size() && l.nodes == 1) {
      const PageId root = l.node.id();
      l.node.Release();
      return root;
    }
    LAURA_RETURN_IF_ERROR(CloseNode(level));
  }
}

}  // namespace laura
