// BTree: the copy-on-write B+tree over a Pager. The btree layer's door: it
// also brings in the cursor and scans (cursor.h), the structural checker
// (check.h) and the bulk loader (bulk_load.h).
//
// One writer at a time changes a private version of the tree: a committed
// page is never modified; the first change of a page in a write transaction
// copies it to a new page (once per transaction), up to a new root, and
// parks the old page (Pager::FreeAfter, with the LSN of the version it
// frees) until no snapshot can reach it.
// Commit publishes the new root; readers hold a Snapshot (a root and the
// transaction it was taken after) and see exactly that version, without
// locks, while later transactions go on.
//
// Structure: root 0 is the empty tree. Nodes split when an insert does not
// fit (an append at the right edge leaves the left node full, so ascending
// fills pack leaves); a node under a quarter full after a delete merges
// with a sibling when both fit in one page, or else shares cells with it;
// a branch root with one child is replaced by that child. Separators in
// branches are the shortest keys that divide two leaves.
//
// Limits (InvalidArgument beyond them): keys up to MaxKeySize(page size)
// bytes (1,314 for 4 KiB pages: a third of a node's usable space minus cell
// overhead), empty keys allowed; values up to kMaxValueSize bytes, inline
// when the cell fits in a third of a node, otherwise in overflow pages.
//
// Page LSNs: every page written by write transaction T carries T as its LSN.
//
// Thread safety: Put, Delete, ReplaceRoot, Commit, Abort, EndTransaction
// and ReleaseFrees on the one writer thread (or whoever holds the writer
// role); Publish, AcquireSnapshot, ReleaseSnapshot, Get and cursors on a
// snapshot's root on any thread. The pages of a snapshot stay unchanged
// until it is released; a cursor or Get on write_root() is the writer's own
// view and is invalidated by the writer's next change.
#ifndef LAURA_BTREE_BTREE_H_
#define LAURA_BTREE_BTREE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/mutex.h"
#include "btree/bulk_load.h"
#include "btree/check.h"
#include "btree/cursor.h"
#include "btree/node.h"
#include "btree/shared_registry.h"
#include "btree/snapshot_registry.h"
#include "storage/pager.h"

namespace laura {

class CellList;  // btree/cell_list.h

inline constexpr uint64_t kMaxValueSize = uint64_t{4} << 30;  // 4 GiB

// Largest key for this page size.
inline size_t MaxKeySize(uint32_t page_size) { return MaxCellSize(page_size) - 32; }

// InvalidArgument if key or value exceed the limits for this page size.
absl::Status CheckEntrySize(uint32_t page_size, absl::string_view key,
                            absl::string_view value);

class BTree {
 public:
  // A tree whose committed root is `root` (0 = empty) after transaction
  // `txn` (the first write transaction is txn + 1).
  BTree(Pager* pager, PageId root, uint64_t txn = 0);

  Pager* pager() const { return pager_; }

  // A consistent read view: the committed root when taken, and where it
  // is registered (btree/snapshot_registry.h; kNone for a view that is
  // not, such as the writer's own).
  struct Snapshot {
    PageId root = 0;
    uint64_t txn = 0;
    int slot = SnapshotRegistry::kNone;
    // Registered in the coordination file (a reader process following a
    // writer): its generation and slot there.
    bool shared = false;
    uint64_t generation = 0;
  };
  // Registers a snapshot of the latest commit; pages it reaches are not
  // reused until ReleaseSnapshot. Neither takes a lock shared by threads
  // (btree/snapshot_registry.h).
  Snapshot AcquireSnapshot();
  void ReleaseSnapshot(const Snapshot& snapshot);
  // Number of live snapshots.
  size_t snapshot_count() const;

  // Processes (btree/shared_registry.h). A reader process's tree takes
  // every snapshot from `shared`: its published version, or `fallback`
  // while that is invalid; the pager's disk manager follows the page count
  // the writer published. Call before the first snapshot.
  void FollowShared(SharedRegistry* shared, SharedRegistry::Version fallback);
  // The writer process's tree, of writer generation `generation`:
  // ReleaseFrees also respects the snapshots of reader processes, and
  // frees nothing while one of another generation lives (then lifting the
  // disk manager's fence once none does).
  void ShareAsWriter(SharedRegistry* shared, uint64_t generation);
  // Start: every page is in the file (the caller flushed the pager and
  // turned write-through on, as the writer): publish the latest version
  // to reader processes and every later one before this process sees it.
  // Stop: they are no longer published (no reader process is attached).
  void StartSharing();
  void StopSharing();
  bool sharing() const;
  // Every live snapshot (txn, slot and when taken; root unset).
  std::vector<SnapshotRegistry::Entry> ListSnapshots() const { return registry_.List(); }

  // The value of key under root (a snapshot's, or write_root()). NotFound
  // if absent; DataLoss for a damaged page.
  absl::Status Get(PageId root, absl::string_view key, std::string* value) const;
  absl::StatusOr<std::string> Get(PageId root, absl::string_view key) const;
  // The value of key under root without a copy when it sits inline in its
  // leaf: a view into the leaf's bytes, which stay put while `root` is a
  // live snapshot's and the pager maps pages (mmap: the mapping, or the
  // writer's frame, kept until that snapshot ends). Otherwise (an overflow
  // value, or a pool pager whose frames move) the value is copied into
  // *scratch and the view is of *scratch. NotFound if absent.
  absl::StatusOr<absl::string_view> GetView(PageId root, absl::string_view key,
                                            std::string* scratch) const;
  // Reads the pages on key's path under root, the whole leaf included,
  // so that a writer about to copy that leaf finds it in cache
  // (engine/batch_prefetcher.h). Changes nothing; an error only says
  // where the descent stopped.
  absl::Status Warm(PageId root, absl::string_view key) const;

  // Changes in the current write transaction (started implicitly).
  absl::Status Put(absl::string_view key, absl::string_view value);
  // Whether the last Put went to the tree's rightmost leaf: in an append
  // stream (keys above every key) each does, and warming leaves ahead of
  // the writer cannot help it (engine/db_impl.cc, ApplyBatch).
  bool last_put_reached_rightmost_leaf() const { return last_put_rightmost_; }
  // Removes key; returns whether it was there.
  absl::StatusOr<bool> Delete(absl::string_view key);
  // Replaces the whole tree by one built in this transaction (the bulk
  // loader's root), freeing every page of the old one.
  absl::Status ReplaceRoot(PageId new_root);

  // Moves every page with an id >= threshold (nodes and overflow pages)
  // to a newly allocated page in this write transaction, leaving the
  // contents unchanged (btree/relocate.cc). Returns how many pages were
  // past the threshold.
  absl::StatusOr<uint64_t> Relocate(PageId threshold);

  // Ends the write transaction and publishes it to readers at once, then
  // frees the pages that no snapshot reaches any more: EndTransaction,
  // Publish and ReleaseFrees. Pages stay in the pager until its Flush; the
  // caller checkpoints the disk manager to make a version durable.
  absl::Status Commit();
  // Discards the write transaction: its pages are freed, the tree is as
  // the last ended transaction left it.
  absl::Status Abort();

  // Commit in steps, for group commit: EndTransaction seals the write
  // transaction (the next one starts from its root) and returns its
  // number; Publish(txn) later makes every ended transaction up to txn
  // visible to new snapshots (in order), and may run on any thread;
  // ReleaseFrees (writer thread) returns the pages freed by published
  // transactions that no snapshot reaches any more. EndTransaction fails
  // if the pager cannot write the transaction's pages (mmap: pwrite); the
  // caller must then fail the database.
  absl::StatusOr<uint64_t> EndTransaction();
  void Publish(uint64_t up_to_txn);
  absl::Status ReleaseFrees();

  PageId write_root() const { return write_root_; }
  // The latest published version.
  PageId committed_root() const { return registry_.published().root; }
  uint64_t committed_txn() const { return registry_.published_txn(); }
  // The write transaction's number, also the LSN of the pages it writes.
  uint64_t write_txn() const { return ended_txn_ + 1; }

 private:
  struct Split {
    std::string separator;
    PageId right = 0;
  };
  using MaybeSplit = std::optional<Split>;

  // The leaf that key's path under root ends in, pinned, and its view in
  // *view; an empty ref for the empty tree. DataLoss for a damaged page.
  absl::StatusOr<PageRef> FindLeaf(PageId root, absl::string_view key,
                                   std::optional<NodeView>* view) const;
  // The leaf entry of key under root: true and its value (which points
  // into *leaf, kept pinned), or false if absent.
  absl::StatusOr<bool> Find(PageId root, absl::string_view key, PageRef* leaf,
                            LeafValue* value) const;
  absl::StatusOr<PageRef> Writable(PageId id);
  // A writable copy of committed page old (verified by the caller's fetch),
  // which is freed once no snapshot reaches it.
  absl::StatusOr<PageRef> CopyOf(const PageRef& old);
  // Page id made writable for a caller that rewrites all of it (from
  // cells copied out first): the page itself if this transaction wrote
  // it, else a new empty page of `type` -- nothing is copied -- and id is
  // freed.
  absl::StatusOr<PageRef> WritableBlank(PageId id, PageType type);
  // Child `index` of parent (viewed by view), made writable; the parent's
  // pointer follows a copy.
  absl::StatusOr<PageRef> WritableChild(PageRef& parent, const NodeView& view, int index);
  absl::Status FreePage(PageId id);
  absl::Status FreeValue(const LeafValue& value);
  absl::StatusOr<MaybeSplit> InsertInto(PageRef& node, absl::string_view key,
                                        absl::string_view cell, bool rightmost, int depth);
  absl::StatusOr<bool> TryAppend(absl::string_view key, absl::string_view cell);
  // Put without the write-behind of a finished append leaf.
  absl::Status PutEntry(absl::string_view key, absl::string_view value);
  absl::StatusOr<MaybeSplit> InsertCell(PageRef& node, int index, absl::string_view cell,
                                        bool append);
  absl::StatusOr<MaybeSplit> SplitNode(PageRef& node, int index, absl::string_view cell,
                                       bool append);
  // SplitNode's append to the right edge of full leaf `view` (page id).
  absl::StatusOr<MaybeSplit> SplitForAppend(const NodeView& view, PageId id,
                                            absl::string_view cell);
  absl::Status DeleteFrom(PageRef& node, absl::string_view key, int depth);
  absl::Status Rebalance(PageRef& parent, int child_index);
  absl::StatusOr<bool> Redistribute(PageRef& parent, int j, PageId left_id, PageId right_id,
                                    const CellList& cells, bool leaf, ChildRef leftmost);
  absl::StatusOr<bool> ShareOnOverflow(PageRef& parent, const NodeView& pview, int i,
                                       const PageRef& child, absl::string_view key,
                                       absl::string_view cell, bool rightmost);
  absl::Status CollapseRoot();
  struct RelocationPlan;
  absl::StatusOr<bool> PlanRelocation(const PageRef& ref, int depth, RelocationPlan* plan);
  absl::Status CopyMarkedChildren(PageRef& node, int depth, const RelocationPlan& plan);
  absl::Status FreeSubtree(PageId id, int depth);
  absl::Status RewriteNode(char* page, bool leaf, ChildRef leftmost, const CellList& cells,
                           size_t begin, size_t end);

  Pager* const pager_;
  PageId write_root_;
  PageId ended_root_;   // root after the last ended transaction
  uint64_t ended_txn_;  // the last ended transaction
  SnapshotRegistry registry_;  // the published version and live snapshots
  std::string cell_buffer_;  // the writer's scratch for encoding cells
  // The rightmost leaf, when the last insert reached it in this write
  // transaction (so it is writable): ascending inserts append there.
  PageId append_leaf_ = 0;
  // The leaf an append split left full in this Put (SplitForAppend):
  // ascending inserts never come back to it, so Put writes it to the file
  // once its pages are unpinned (Pager::WriteEarly) instead of leaving it
  // in a frame until the next checkpoint. 0: none.
  PageId finished_leaf_ = 0;
  bool last_put_rightmost_ = false;  // last_put_reached_rightmost_leaf()

  std::vector<uint64_t> live_snapshots_;  // ReleaseFrees' scratch

  // A reader process's fallback: the data file's meta page, read again.
  void RefreshFallback();
  SharedRegistry* shared_ = nullptr;
  bool shared_reader_ = false;
  SharedRegistry::Version shared_fallback_;
  uint64_t shared_generation_ = 0;

  mutable Mutex mu_;
  // Ended, not yet published: (txn, root), oldest first.
  std::deque<std::pair<uint64_t, PageId>> pending_ ABSL_GUARDED_BY(mu_);
  bool sharing_ ABSL_GUARDED_BY(mu_) = false;  // publishing to shared_
};

}  // namespace laura

#endif  // LAURA_BTREE_BTREE_H_
