// The structural checker (see check.h).
#include "btree/check.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "btree/node.h"
#include "btree/overflow.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

class Checker {
 public:
  Checker(Pager* pager, const CheckOptions& options)
      : pager_(pager), options_(options), buffer_(pager->page_size(), '\0') {}

  CheckReport Run(PageId root) {
    if (root != 0) {
      Visit(root, 1, std::nullopt, std::nullopt, /*is_root=*/true);
      report_.depth = leaf_depth_.value_or(0);
    }
    if (options_.check_free_pages || options_.check_leaks) CheckFree();
    return std::move(report_);
  }

 private:
  void Problem(std::string text) {
    if (report_.problems.size() < options_.max_problems) {
      report_.problems.push_back(std::move(text));
    }
  }

  // Marks id reachable; false if it was already (a second path to it).
  bool Reach(PageId id, absl::string_view what) {
    if (!reached_.insert(id).second) {
      Problem(absl::StrCat(what, " page ", id, " is reachable more than once"));
      return false;
    }
    if (options_.verify_checksums) {
      absl::Status s = pager_->disk()->ReadPage(id, buffer_.data());
      if (!s.ok()) Problem(std::string(s.message()));
    }
    return true;
  }

  // Visits node id; unless is_root, `parent`'s pointer to it expects
  // expected_lsn in its header.
  void Visit(PageId id, uint64_t depth, std::optional<std::string> lower,
             std::optional<std::string> upper, bool is_root, PageId parent = 0,
             Lsn expected_lsn = 0) {
    if (depth > static_cast<uint64_t>(kMaxTreeDepth)) {
      Problem(absl::StrCat("page ", id, " is deeper than ", kMaxTreeDepth, " levels"));
      return;
    }
    if (!Reach(id, "node")) return;
    absl::StatusOr<PageRef> ref = pager_->Fetch(id);
    if (!ref.ok()) return Problem(std::string(ref.status().message()));
    if (!is_root) {
      const absl::Status version = CheckChildVersion(*ref, {id, expected_lsn}, parent);
      if (!version.ok()) return Problem(std::string(version.message()));
    }
    absl::StatusOr<NodeView> parsed = NodeView::Parse(ref->data(), pager_->page_size(), id);
    if (!parsed.ok()) return Problem(std::string(parsed.status().message()));
    const NodeView& view = *parsed;
    const absl::Status valid = view.Validate(id);
    if (!valid.ok()) Problem(std::string(valid.message()));
    if (view.is_leaf()) {
      ++report_.leaf_pages;
      if (!leaf_depth_.has_value()) leaf_depth_ = depth;
      if (*leaf_depth_ != depth) {
        Problem(absl::StrCat("leaf page ", id, " is at depth ", depth, ", other leaves at ",
                             *leaf_depth_));
      }
      if (view.count() == 0 && !is_root) Problem(absl::StrCat("leaf page ", id, " is empty"));
    }
    if (!valid.ok()) return;  // cells cannot be trusted further
    report_.used_bytes += view.used_bytes();
    report_.capacity_bytes += pager_->page_size() - kPageHeaderSize;
    if (view.count() > 0) {
      if (lower.has_value() && CompareKeys(view.key(0), *lower) < 0) {
        Problem(absl::StrCat("page ", id, ": key ", ShowKey(view.key(0)),
                             " is below its separator ", ShowKey(*lower)));
      }
      if (upper.has_value() && CompareKeys(view.key(view.count() - 1), *upper) >= 0) {
        Problem(absl::StrCat("page ", id, ": key ", ShowKey(view.key(view.count() - 1)),
                             " is not below its separator ", ShowKey(*upper)));
      }
    }
    if (view.is_leaf()) {
      report_.entries += view.count();
      for (int i = 0; i < view.count(); ++i) {
        const LeafValue v = view.value(i);
        if (v.overflow) CheckOverflow(id, v);
      }
      return;
    }
    ++report_.branch_pages;
    if (is_root && view.count() == 0) {
      Problem(absl::StrCat("root page ", id, " is a branch with a single child"));
    }
    for (int i = 0; i <= view.count(); ++i) {
      const ChildRef ref_i = view.child_ref(i);
      const PageId child = ref_i.id;
      if (child < 2 || child >= pager_->disk()->page_count()) {
        Problem(absl::StrCat("branch page ", id, ": child ", i, " is page ", child,
                             ", outside the file"));
        continue;
      }
      std::optional<std::string> lo = i == 0 ? lower : std::string(view.key(i - 1));
      std::optional<std::string> hi =
          i == view.count() ? upper : std::string(view.key(i));
      Visit(child, depth + 1, std::move(lo), std::move(hi), false, id, ref_i.lsn);
    }
  }

  void CheckOverflow(PageId leaf, const LeafValue& v) {
    absl::StatusOr<std::vector<PageId>> pages =
        OverflowPages(pager_, v.first_page, v.length);
    if (!pages.ok()) {
      return Problem(absl::StrCat("leaf page ", leaf, ": ", pages.status().message()));
    }
    for (PageId p : *pages) {
      if (!Reach(p, "overflow")) return;
      ++report_.overflow_pages;
    }
  }

  void CheckFree() {
    DiskManager* dm = pager_->disk();
    absl::flat_hash_set<PageId> accounted;
    auto account = [&](const std::vector<PageId>& ids, absl::string_view what) {
      for (PageId id : ids) {
        if (reached_.contains(id) && options_.check_free_pages) {
          Problem(absl::StrCat("page ", id, " is reachable and ", what));
        }
        accounted.insert(id);
      }
    };
    account(dm->FreePageIds(), "free");
    account(dm->FreeListPageIds(), "holds the free list");
    if (options_.parked_pages_are_free) {
      account(pager_->ParkedPages(), "parked for freeing");
    }
    if (!options_.check_leaks) return;
    for (PageId id = 2; id < dm->page_count(); ++id) {
      if (!reached_.contains(id) && !accounted.contains(id)) {
        Problem(absl::StrCat("page ", id, " is neither reachable nor free (leaked)"));
      }
    }
  }

  Pager* const pager_;
  const CheckOptions options_;
  std::string buffer_;
  CheckReport report_;
  absl::flat_hash_set<PageId> reached_;
  std::optional<uint64_t> leaf_depth_;
};

// CollectPages: every page the tree under node reaches.
absl::Status CollectPages(Pager* pager, const PageRef& node, int depth,
                          absl::flat_hash_set<PageId>* pages) {
  if (depth >= kMaxTreeDepth) {
    return absl::DataLossError(absl::StrCat("page ", node.id(), ": the tree is too deep"));
  }
  pages->insert(node.id());
  LAURA_ASSIGN_OR_RETURN(NodeView view,
                         NodeView::Parse(node.data(), pager->page_size(), node.id()));
  for (int i = 0; i <= view.count(); ++i) {
    if (view.is_leaf()) {
      if (i == view.count()) break;
      const LeafValue v = view.value(i);
      if (view.corrupt()) return absl::DataLossError(absl::StrCat("page ", node.id(), ": bad cell"));
      if (!v.overflow) continue;
      LAURA_ASSIGN_OR_RETURN(std::vector<PageId> chain,
                             OverflowPages(pager, v.first_page, v.length));
      pages->insert(chain.begin(), chain.end());
    } else {
      LAURA_ASSIGN_OR_RETURN(PageRef child, FetchChild(pager, view, node.id(), i));
      LAURA_RETURN_IF_ERROR(CollectPages(pager, child, depth + 1, pages));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CheckReport::ToString() const {
  if (problems.empty()) return "OK";
  return absl::StrJoin(problems, "\n");
}

absl::StatusOr<std::vector<PageId>> ReachablePages(Pager* pager, PageId root) {
  absl::flat_hash_set<PageId> reached;
  if (root != 0) {
    LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Fetch(root));
    LAURA_RETURN_IF_ERROR(CollectPages(pager, ref, 0, &reached));
  }
  std::vector<PageId> ids(reached.begin(), reached.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

CheckReport CheckTree(Pager* pager, PageId root, const CheckOptions& options) {
  return Checker(pager, options).Run(root);
}

}  // namespace laura
