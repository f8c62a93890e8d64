// B+tree node pages: slotted pages with variable-length keys and values.
//
// Layout after the common page header (storage/page.h; type kLeaf or
// kBranch), integers little-endian:
//
//   offset  size  field
//   32      2     slot count n
//   34      2     prefix length p: every key in the node starts with the
//                 same p bytes (those of key 0). The first key inserted
//                 into an empty node sets it to that key's length; a new
//                 first or last key that shares less shortens it (and
//                 every head is rewritten); removals leave it as it is,
//                 still shared. Unused while the node is empty.
//   36      4     cell area start: lowest byte used by cells (page size
//                 when there are none)
//   40      4     fragmented bytes: dead cell bytes inside the cell area
//   44      4     reserved, zero
//   48      8     branch: leftmost child page id; leaf: zero
//   56      8     branch: the LSN the leftmost child must have; leaf: zero
//   64      6*n   slot array, in key order; slot i is
//                   u16  byte offset of cell i
//                   u32  head of key i: its 4 bytes after the prefix,
//                        big-endian as an integer, zero-padded past the
//                        key's end
//   ...           free space
//   cell start .. page end: cells, in any order
//
// Leaf cell:   u8 kind (0 inline value, 1 overflow value)
//              varint key length, varint value length, key bytes,
//              then the value bytes (inline) or the u64 id of the first
//              overflow page (storage in btree/overflow.h)
// Branch cell: varint key length, key bytes, u64 child page id, u64
//              child LSN. The child holds keys >= this key and < the next
//              cell's key; the leftmost child holds keys < the first
//              cell's key.
//
// Parents know their children: a child pointer carries the LSN in the
// header of the child version it points to (copy-on-write gives each
// version a new page and the parent a new pointer, so the two change
// together). A descent checks it (FetchChild), so a child page the disk
// lost a write of, or a write meant for another place, is DataLoss naming
// the page instead of stale data (IntegrityTest.LostWriteOfAPageIsDataLoss).
//
// Keys compare bytewise (memcmp order, a shorter key first on a tie).
// Searches compare the target with the heads in the slot array, decode a
// cell only when two heads are equal, and then compare the target with the
// prefix once, in the cell the caller reads next (a target outside the
// prefix is below or above every key): a lookup touches the slot array and
// about one cell instead of a cell per probe. Two different heads order
// their keys (zero padding cannot invert an order: a key that ends is
// below any longer key with its bytes).
// Limits (btree.h enforces them): a cell takes at most MaxCellSize(page
// size), a third of the usable space, so any node holds at least three
// cells and a split always succeeds.
#ifndef LAURA_BTREE_NODE_H_
#define LAURA_BTREE_NODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "btree/cell_list.h"
#include "storage/coding.h"
#include "storage/pager.h"

namespace laura {

inline constexpr size_t kNodeHeaderEnd = 64;
inline constexpr size_t kSlotSize = 6;
inline constexpr uint8_t kInlineValue = 0;
inline constexpr uint8_t kOverflowValue = 1;
// Paths longer than this are corruption (a loop); real trees are < 10 deep.
inline constexpr int kMaxTreeDepth = 64;

// Slot i's bytes: the u16 cell offset, then the u32 head.
inline char* SlotAt(char* page, int i) { return page + kNodeHeaderEnd + kSlotSize * i; }
inline const char* SlotAt(const char* page, int i) {
  return page + kNodeHeaderEnd + kSlotSize * i;
}

// Largest cell (including its slot) a node of this page size accepts: a
// third of the usable space, so a full node plus one cell always splits
// into two nodes that fit.
inline size_t MaxCellSize(uint32_t page_size) {
  return (page_size - kNodeHeaderEnd) / 3;
}

// Bytewise key order: memcmp, then the shorter key first.
int CompareKeys(absl::string_view a, absl::string_view b);

// The shortest key s with left < s <= right, for a separator between two
// nodes. REQUIRES: left < right.
std::string ShortestSeparator(absl::string_view left, absl::string_view right);

// A key for error messages: C-escaped, quoted, cut after 40 bytes.
std::string ShowKey(absl::string_view key);

// A leaf entry's value: inline bytes, or a reference to overflow pages.
struct LeafValue {
  bool overflow = false;
  absl::string_view inline_bytes;  // when !overflow
  PageId first_page = 0;           // when overflow
  uint64_t length = 0;             // full value length
};

// A child pointer: the page and the LSN its header must hold.
struct ChildRef {
  PageId id = 0;
  Lsn lsn = 0;
};
inline constexpr size_t kChildRefSize = 16;

// Encodes cells (appending to *out).
void EncodeLeafCell(absl::string_view key, absl::string_view value, std::string* out);
void EncodeOverflowCell(absl::string_view key, PageId first_page, uint64_t length,
                        std::string* out);
void EncodeBranchCell(absl::string_view key, ChildRef child, std::string* out);

// The key of an encoded cell (as made by the Encode* functions); false if
// the cell is malformed.
bool DecodeCellKey(absl::string_view cell, bool leaf, absl::string_view* key);
// Head of key for a node whose keys share `prefix` bytes: key bytes
// [prefix, prefix + 4) as a big-endian integer, zero-padded.
uint32_t KeyHead(absl::string_view key, size_t prefix);
// The child of an encoded branch cell (its last 16 bytes).
ChildRef BranchCellChild(absl::string_view cell);
// Bytes a node of this page size has for slots and cells.
inline size_t NodeCapacity(uint32_t page_size) { return page_size - kNodeHeaderEnd; }

// Read-only view of a node page. Parse checks the header in O(1); cell
// accessors check their slot and every bound against the page and, on a
// malformed cell, return an empty value and remember it (corrupt() turns
// true), so a damaged page can never make a read go outside it. Validate
// checks every cell.
class NodeView {
 public:
  // DataLoss naming page_id if the header or slot array is invalid.
  static absl::StatusOr<NodeView> Parse(const char* page, uint32_t page_size,
                                        PageId page_id);

  bool is_leaf() const { return leaf_; }
  int count() const { return count_; }
  absl::string_view key(int i) const;
  LeafValue value(int i) const;     // REQUIRES: is_leaf()
  // Starts loading cell i's first line (no effect past either end): a scan
  // asks for a cell a few entries ahead, so that misses overlap.
  void PrefetchCell(int i) const {
    if (i >= 0 && i < count_) __builtin_prefetch(page_ + slot(i));
  }
  // Key and value of leaf entry i from one decode of its cell, written in
  // place; false (and corrupt()) if the cell is malformed or this is not a
  // leaf.
  bool entry(int i, absl::string_view* key, LeafValue* value) const;
  PageId child(int i) const;        // REQUIRES: !is_leaf(); i in [0, count]
  ChildRef child_ref(int i) const;  // the id and the LSN it must have
  // Bytes of cell i including its slot.
  size_t cell_size(int i) const;
  absl::string_view cell(int i) const;
  // First slot whose key is >= key (count() if none).
  int LowerBound(absl::string_view key) const;
  // Branch: index of the child to descend to for key, in [0, count].
  int ChildIndex(absl::string_view key) const;
  // Bytes used by live cells and slots (excludes header and free space),
  // from the header's counters.
  size_t used_bytes() const;
  uint32_t page_size() const { return page_size_; }
  // Bytes every key of the node starts with.
  size_t prefix_length() const { return prefix_; }
  bool corrupt() const { return corrupt_; }
  // Full check of every cell (for the checker and fuzzing).
  absl::Status Validate(PageId page_id) const;

 private:
  NodeView(const char* page, uint32_t page_size, bool leaf, int count, size_t used,
           uint32_t cell_start, size_t prefix)
      : page_(page),
        page_size_(page_size),
        leaf_(leaf),
        count_(count),
        used_(used),
        cell_start_(cell_start),
        prefix_(prefix) {}
  // Slot i's u16 cell offset and u32 head (inline: every probe reads one).
  uint32_t slot(int i) const { return DecodeFixed16(SlotAt(page_, i)); }
  uint32_t head(int i) const { return DecodeFixed32(SlotAt(page_, i) + 2); }
  // The first slot whose key is > target (upper) or >= target (!upper).
  int Search(absl::string_view target, bool upper) const;
  struct Cell {
    absl::string_view key, rest;  // rest: the value bytes, overflow id or ChildRef
    uint8_t kind = kInlineValue;
    uint64_t length = 0;
  };
  // DecodeCell that marks the view corrupt on failure.
  bool Decode(int i, Cell* c) const;
  // Decodes cell i's key and the bytes after it; false if malformed.
  bool DecodeCell(int i, absl::string_view* key, absl::string_view* rest,
                  uint8_t* kind, uint64_t* value_length) const;

  const char* page_;
  uint32_t page_size_;
  bool leaf_;
  int count_;
  size_t used_;
  uint32_t cell_start_;
  size_t prefix_;
  mutable bool corrupt_ = false;
};

// Edits a writable node page in place.
class NodeEditor {
 public:
  NodeEditor(char* page, uint32_t page_size) : page_(page), page_size_(page_size) {}

  // Turns the page into an empty node (header already initialized).
  void Clear(bool leaf, ChildRef leftmost_child);
  // Inserts an encoded cell at slot index; false if it does not fit even
  // after compaction (the caller splits). Shortens the node's prefix (and
  // rewrites every head) when the new key does not share all of it.
  bool Insert(int index, absl::string_view cell);
  // Fills an empty node (just Cleared) with cells [begin, end), which are
  // in key order, in one pass: the prefix is set once, from the first and
  // the last key. False, leaving the node empty, if they do not fit.
  bool Fill(const CellList& cells, size_t begin, size_t end);
  void Remove(int index);
  void SetLeftmostChild(ChildRef child);
  // Rewrites child pointer index (0: the leftmost; i: cell i - 1's).
  void SetChild(int index, ChildRef child);
  // Free bytes after compaction.
  size_t free_bytes() const;

 private:
  void Compact();
  uint16_t count() const;
  // Sets the prefix length and rewrites every slot's head for it.
  void SetPrefix(size_t prefix);

  char* page_;
  uint32_t page_size_;
};

// Child index of branch `parent` (page parent_id), fetched and checked
// against the LSN its pointer carries: DataLoss naming both pages if the
// pointer is malformed or the child holds another version.
absl::StatusOr<PageRef> FetchChild(Pager* pager, const NodeView& parent, PageId parent_id,
                                   int index);
// DataLoss naming both pages unless child holds the LSN expected of it.
absl::Status CheckChildVersion(const PageRef& child, ChildRef expected, PageId parent_id);

}  // namespace laura

#endif  // LAURA_BTREE_NODE_H_
