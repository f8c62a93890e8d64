// Slotted node pages (format in node.h).
#include "btree/node.h"

#include <algorithm>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

constexpr size_t kCountOffset = 32;
constexpr size_t kPrefixOffset = 34;
constexpr size_t kCellStartOffset = 36;
constexpr size_t kFragmentedOffset = 40;
constexpr size_t kLeftmostOffset = 48;
constexpr size_t kLeftmostLsnOffset = 56;

// A varint length, with the one-byte case (every key length below 128)
// inline.
inline bool GetLength(absl::string_view* in, uint64_t* value) {
  if (!in->empty() && static_cast<unsigned char>((*in)[0]) < 0x80) {
    *value = static_cast<unsigned char>((*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  return GetVarint64(in, value);
}

// Length of the common prefix of a and b, compared 8 bytes at a time.
size_t CommonPrefix(absl::string_view a, absl::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t x = DecodeFixed64(a.data() + i) ^ DecodeFixed64(b.data() + i);
    if (x != 0) return i + __builtin_ctzll(x) / 8;  // little-endian: lowest byte first
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

uint32_t KeyHead(absl::string_view key, size_t prefix) {
  if (key.size() >= prefix + 4) return __builtin_bswap32(DecodeFixed32(key.data() + prefix));
  uint32_t head = 0;
  for (size_t i = prefix; i < prefix + 4; ++i) {
    head = (head << 8) | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0);
  }
  return head;
}

int CompareKeys(absl::string_view a, absl::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

std::string ShortestSeparator(absl::string_view left, absl::string_view right) {
  size_t i = 0;
  while (i < left.size() && i < right.size() && left[i] == right[i]) ++i;
  return std::string(right.substr(0, i + 1));
}

std::string ShowKey(absl::string_view key) {
  constexpr size_t kMax = 40;
  std::string shown = absl::CHexEscape(key.substr(0, kMax));
  if (key.size() > kMax) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

void EncodeLeafCell(absl::string_view key, absl::string_view value, std::string* out) {
  out->push_back(static_cast<char>(kInlineValue));
  PutVarint64(out, key.size());
  PutVarint64(out, value.size());
  out->append(key.data(), key.size());
  out->append(value.data(), value.size());
}

void EncodeOverflowCell(absl::string_view key, PageId first_page, uint64_t length,
                        std::string* out) {
  out->push_back(static_cast<char>(kOverflowValue));
  PutVarint64(out, key.size());
  PutVarint64(out, length);
  out->append(key.data(), key.size());
  PutFixed64(out, first_page);
}

void EncodeBranchCell(absl::string_view key, ChildRef child, std::string* out) {
  PutVarint64(out, key.size());
  out->append(key.data(), key.size());
  PutFixed64(out, child.id);
  PutFixed64(out, child.lsn);
}

absl::StatusOr<NodeView> NodeView::Parse(const char* page, uint32_t page_size,
                                         PageId page_id) {
  auto bad = [page_id](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("node page ", page_id, ": ", what));
  };
  const auto type = static_cast<PageType>(page[kPageTypeOffset]);
  if (type != PageType::kLeaf && type != PageType::kBranch) {
    return bad("not a B+tree node");
  }
  const uint32_t count = DecodeFixed16(page + kCountOffset);
  const uint32_t cell_start = DecodeFixed32(page + kCellStartOffset);
  if (kNodeHeaderEnd + kSlotSize * count > cell_start || cell_start > page_size) {
    return bad(absl::StrCat(count, " slots do not fit before the cell area at ",
                            cell_start));
  }
  const uint32_t fragmented = DecodeFixed32(page + kFragmentedOffset);
  if (fragmented > page_size - cell_start) {
    return bad(absl::StrCat(fragmented, " fragmented bytes exceed the cell area"));
  }
  const size_t used = page_size - cell_start - fragmented + kSlotSize * count;
  const size_t prefix = DecodeFixed16(page + kPrefixOffset);
  NodeView view(page, page_size, type == PageType::kLeaf, static_cast<int>(count), used,
                cell_start, prefix);
  return view;
}

// Inlined into its two callers: every key, value and child read goes
// through it, and a call that returns four values through memory costs
// more than the decode in a scan.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool NodeView::DecodeCell(
    int i, absl::string_view* key, absl::string_view* rest, uint8_t* kind,
    uint64_t* value_length) const {
  if (i < 0 || i >= count_) return false;
  const uint32_t off = slot(i);
  if (off < cell_start_ || off >= page_size_) return false;  // outside the cell area
  absl::string_view in(page_ + off, page_size_ - off);
  *kind = kInlineValue;
  *value_length = 0;
  if (leaf_) {
    if (in.empty()) return false;
    *kind = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (*kind > kOverflowValue) return false;
  }
  uint64_t key_length;
  if (!GetLength(&in, &key_length)) return false;
  if (leaf_ && !GetLength(&in, value_length)) return false;
  if (key_length > in.size()) return false;
  *key = in.substr(0, key_length);
  in.remove_prefix(key_length);
  const uint64_t tail = !leaf_ ? kChildRefSize : *kind == kOverflowValue ? 8 : *value_length;
  if (tail > in.size()) return false;
  *rest = in.substr(0, tail);
  return true;
}

bool NodeView::Decode(int i, Cell* c) const {
  if (DecodeCell(i, &c->key, &c->rest, &c->kind, &c->length)) return true;
  corrupt_ = true;
  return false;
}

absl::string_view NodeView::key(int i) const {
  Cell c;
  return Decode(i, &c) ? c.key : absl::string_view();
}

LeafValue NodeView::value(int i) const {
  absl::string_view key;
  LeafValue v;
  entry(i, &key, &v);
  return v;
}

bool NodeView::entry(int i, absl::string_view* key, LeafValue* value) const {
  uint8_t kind;
  absl::string_view rest;
  if (!leaf_ || !DecodeCell(i, key, &rest, &kind, &value->length)) {
    corrupt_ = true;
    *key = {};
    *value = LeafValue();
    return false;
  }
  value->overflow = kind == kOverflowValue;
  value->first_page = value->overflow ? DecodeFixed64(rest.data()) : 0;
  value->inline_bytes = value->overflow ? absl::string_view() : rest;
  return true;
}

PageId NodeView::child(int i) const { return child_ref(i).id; }

ChildRef NodeView::child_ref(int i) const {
  if (leaf_ || i < 0 || i > count_) {
    corrupt_ = true;
    return {};
  }
  if (i == 0) {
    return {DecodeFixed64(page_ + kLeftmostOffset), DecodeFixed64(page_ + kLeftmostLsnOffset)};
  }
  Cell c;
  if (!Decode(i - 1, &c)) return {};
  return {DecodeFixed64(c.rest.data()), DecodeFixed64(c.rest.data() + 8)};
}

absl::StatusOr<PageRef> FetchChild(Pager* pager, const NodeView& parent, PageId parent_id,
                                   int index) {
  const ChildRef child = parent.child_ref(index);
  if (parent.corrupt() || child.id == 0) {
    return absl::DataLossError(absl::StrCat("node page ", parent_id, ": bad child pointer"));
  }
  LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Fetch(child.id));
  LAURA_RETURN_IF_ERROR(CheckChildVersion(ref, child, parent_id));
  return ref;
}

absl::Status CheckChildVersion(const PageRef& child, ChildRef expected, PageId parent_id) {
  if (child.lsn() == expected.lsn) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "page ", child.id(), " holds the version written at LSN ", child.lsn(),
      ", but its parent, node page ", parent_id, ", expects LSN ", expected.lsn,
      " (a lost or misdirected write)"));
}

absl::string_view NodeView::cell(int i) const {
  Cell c;
  if (!Decode(i, &c)) return {};
  const char* begin = page_ + slot(i);
  return absl::string_view(begin, c.rest.data() + c.rest.size() - begin);
}

size_t NodeView::cell_size(int i) const { return cell(i).size() + kSlotSize; }

int NodeView::Search(absl::string_view target, bool upper) const {
  if (count_ == 0) return 0;
  const uint32_t target_head = KeyHead(target, prefix_);
  int lo = 0, hi = count_;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    const uint32_t h = head(mid);
    const int c = h != target_head ? (h < target_head ? -1 : 1) : CompareKeys(key(mid), target);
    if (c < 0 || (upper && c == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (prefix_ == 0) return lo;
  // The heads order the target among the keys only if it starts with the
  // prefix every key shares; a target that differs there is below or above
  // them all. Any key holds the prefix: compare with the one the caller
  // decodes next (a branch's child pointer is in cell lo - 1, a leaf's
  // entry is cell lo), so the check costs no extra cell read.
  const int probe = upper ? std::max(lo - 1, 0) : std::min(lo, count_ - 1);
  const absl::string_view shared = key(probe);
  if (shared.size() < prefix_) {
    corrupt_ = true;
    return 0;
  }
  const int c = CompareKeys(target.substr(0, prefix_), shared.substr(0, prefix_));
  if (c == 0) return lo;
  return c < 0 ? 0 : count_;
}

int NodeView::LowerBound(absl::string_view target) const { return Search(target, false); }

// Child i+1 holds keys >= key(i): descend right of every key <= target.
int NodeView::ChildIndex(absl::string_view target) const { return Search(target, true); }

size_t NodeView::used_bytes() const { return used_; }

bool DecodeCellKey(absl::string_view cell, bool leaf, absl::string_view* key) {
  if (leaf) {
    if (cell.empty()) return false;
    cell.remove_prefix(1);
  }
  uint64_t key_length, value_length;
  if (!GetLength(&cell, &key_length)) return false;
  if (leaf && !GetLength(&cell, &value_length)) return false;
  if (key_length > cell.size()) return false;
  *key = cell.substr(0, key_length);
  return true;
}

ChildRef BranchCellChild(absl::string_view cell) {
  if (cell.size() < kChildRefSize) return {};
  const char* ref = cell.data() + cell.size() - kChildRefSize;
  return {DecodeFixed64(ref), DecodeFixed64(ref + 8)};
}

absl::Status NodeView::Validate(PageId page_id) const {
  size_t live = 0;
  for (int i = 0; i < count_; ++i) {
    live += cell_size(i);
    cell(i);
    if (corrupt_) {
      return absl::DataLossError(absl::StrCat("node page ", page_id, ": cell ", i,
                                              " is malformed"));
    }
    if (i > 0 && CompareKeys(key(i - 1), key(i)) >= 0) {
      return absl::DataLossError(absl::StrCat("node page ", page_id, ": key ", i,
                                              " is not above key ", i - 1));
    }
    if (CommonPrefix(key(i), key(0)) < prefix_) {
      return absl::DataLossError(absl::StrCat("node page ", page_id, ": key ", i,
                                              " does not start with the node's ", prefix_,
                                              "-byte prefix"));
    }
    if (head(i) != KeyHead(key(i), prefix_)) {
      return absl::DataLossError(
          absl::StrCat("node page ", page_id, ": slot ", i, " holds the wrong key head"));
    }
  }
  if (live != used_) {
    return absl::DataLossError(absl::StrCat("node page ", page_id, ": cells use ", live,
                                            " bytes but the header accounts for ", used_));
  }
  return absl::OkStatus();
}

// --- NodeEditor ------------------------------------------------------------

uint16_t NodeEditor::count() const { return DecodeFixed16(page_ + kCountOffset); }

void NodeEditor::Clear(bool leaf, ChildRef leftmost_child) {
  page_[kPageTypeOffset] = static_cast<char>(leaf ? PageType::kLeaf : PageType::kBranch);
  std::memset(page_ + kCountOffset, 0, kNodeHeaderEnd - kCountOffset);
  EncodeFixed32(page_ + kCellStartOffset, page_size_);
  SetLeftmostChild(leftmost_child);
}

size_t NodeEditor::free_bytes() const {
  const uint32_t cell_start = DecodeFixed32(page_ + kCellStartOffset);
  return cell_start - (kNodeHeaderEnd + kSlotSize * count()) +
         DecodeFixed32(page_ + kFragmentedOffset);
}

bool NodeEditor::Insert(int index, absl::string_view cell) {
  const uint16_t n = count();
  uint32_t cell_start = DecodeFixed32(page_ + kCellStartOffset);
  const size_t slots_end = kNodeHeaderEnd + kSlotSize * n;
  if (cell_start - slots_end < cell.size() + kSlotSize) {
    if (free_bytes() < cell.size() + kSlotSize) return false;
    Compact();
    cell_start = DecodeFixed32(page_ + kCellStartOffset);
  }
  absl::string_view key;
  DecodeCellKey(cell, static_cast<PageType>(page_[kPageTypeOffset]) == PageType::kLeaf, &key);
  if (n == 0) {
    SetPrefix(key.size());
  } else if (index == 0 || index == n) {
    // A key between two others shares every byte they share; only a new
    // first or last key can shorten the prefix.
    const size_t prefix = DecodeFixed16(page_ + kPrefixOffset);
    auto view = NodeView::Parse(page_, page_size_, 0);
    const size_t shared = CommonPrefix(key, view->key(0));
    if (shared < prefix) SetPrefix(shared);
  }
  cell_start -= static_cast<uint32_t>(cell.size());
  std::memcpy(page_ + cell_start, cell.data(), cell.size());
  char* slot = SlotAt(page_, index);
  std::memmove(slot + kSlotSize, slot, kSlotSize * (n - index));
  EncodeFixed16(slot, static_cast<uint16_t>(cell_start));
  EncodeFixed32(slot + 2, KeyHead(key, DecodeFixed16(page_ + kPrefixOffset)));
  EncodeFixed16(page_ + kCountOffset, n + 1);
  EncodeFixed32(page_ + kCellStartOffset, cell_start);
  return true;
}

bool NodeEditor::Fill(const CellList& cells, size_t begin, size_t end) {
  if (begin >= end) return true;
  size_t bytes = 0;
  for (size_t i = begin; i < end; ++i) bytes += cells[i].size() + kSlotSize;
  if (bytes > NodeCapacity(page_size_)) return false;
  const bool leaf = static_cast<PageType>(page_[kPageTypeOffset]) == PageType::kLeaf;
  // Sorted keys: what the first and the last share, all of them share.
  absl::string_view first, last;
  DecodeCellKey(cells[begin], leaf, &first);
  DecodeCellKey(cells[end - 1], leaf, &last);
  const size_t prefix = CommonPrefix(first, last);
  uint32_t cell_start = page_size_;
  for (size_t i = begin; i < end; ++i) {
    const absl::string_view cell = cells[i];
    absl::string_view key;
    DecodeCellKey(cell, leaf, &key);
    cell_start -= static_cast<uint32_t>(cell.size());
    std::memcpy(page_ + cell_start, cell.data(), cell.size());
    char* slot = SlotAt(page_, static_cast<int>(i - begin));
    EncodeFixed16(slot, static_cast<uint16_t>(cell_start));
    EncodeFixed32(slot + 2, KeyHead(key, prefix));
  }
  EncodeFixed16(page_ + kCountOffset, static_cast<uint16_t>(end - begin));
  EncodeFixed16(page_ + kPrefixOffset, static_cast<uint16_t>(prefix));
  EncodeFixed32(page_ + kCellStartOffset, cell_start);
  return true;
}

void NodeEditor::SetPrefix(size_t prefix) {
  EncodeFixed16(page_ + kPrefixOffset, static_cast<uint16_t>(prefix));
  auto view = NodeView::Parse(page_, page_size_, 0);
  for (int i = 0; i < view->count(); ++i) {
    EncodeFixed32(SlotAt(page_, i) + 2, KeyHead(view->key(i), prefix));
  }
}

void NodeEditor::Remove(int index) {
  const uint16_t n = count();
  auto view = NodeView::Parse(page_, page_size_, 0);
  const size_t size = view->cell(index).size();
  char* slot = SlotAt(page_, index);
  std::memmove(slot, slot + kSlotSize, kSlotSize * (n - index - 1));
  EncodeFixed16(page_ + kCountOffset, n - 1);
  EncodeFixed32(page_ + kFragmentedOffset,
                DecodeFixed32(page_ + kFragmentedOffset) + static_cast<uint32_t>(size));
}

void NodeEditor::SetLeftmostChild(ChildRef child) {
  EncodeFixed64(page_ + kLeftmostOffset, child.id);
  EncodeFixed64(page_ + kLeftmostLsnOffset, child.lsn);
}

void NodeEditor::SetChild(int index, ChildRef child) {
  if (index == 0) return SetLeftmostChild(child);
  auto view = NodeView::Parse(page_, page_size_, 0);
  absl::string_view cell = view->cell(index - 1);
  char* ref = const_cast<char*>(cell.data() + cell.size() - kChildRefSize);
  EncodeFixed64(ref, child.id);
  EncodeFixed64(ref + 8, child.lsn);
}

void NodeEditor::Compact() {
  const uint16_t n = count();
  auto view = NodeView::Parse(page_, page_size_, 0);
  std::string cells;
  std::vector<uint32_t> sizes(n);
  for (int i = 0; i < n; ++i) {
    absl::string_view c = view->cell(i);
    sizes[i] = static_cast<uint32_t>(c.size());
    cells.append(c.data(), c.size());
  }
  uint32_t cell_start = page_size_;
  size_t pos = 0;
  for (int i = 0; i < n; ++i) {
    cell_start -= sizes[i];
    std::memcpy(page_ + cell_start, cells.data() + pos, sizes[i]);
    pos += sizes[i];
    EncodeFixed16(SlotAt(page_, i), static_cast<uint16_t>(cell_start));  // the head stays
  }
  EncodeFixed32(page_ + kCellStartOffset, cell_start);
  EncodeFixed32(page_ + kFragmentedOffset, 0);
}

}  // namespace laura
