// Fuzz target: the B+tree node decoder on arbitrary page bytes. The input's
// first 4 KiB (zero-padded) is the page, the rest a search key. Parsing
// must return an error or a view whose every accessor stays inside the
// page; a node that validates must search like a linear scan and take
// edits without breaking.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "btree/node.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint32_t kPage = laura::kMinPageSize;
  std::string page(kPage, '\0');
  std::memcpy(page.data(), data, size < kPage ? size : kPage);
  const std::string key = size > kPage ? std::string(reinterpret_cast<const char*>(data) + kPage,
                                                     size - kPage)
                                       : std::string("k");
  auto view = laura::NodeView::Parse(page.data(), kPage, 2);
  if (!view.ok()) return 0;
  size_t sink = view->used_bytes();
  for (int i = 0; i < view->count(); ++i) {
    sink += view->key(i).size() + view->cell_size(i);
    if (view->is_leaf()) {
      const laura::LeafValue v = view->value(i);
      sink += v.inline_bytes.size() + v.length;
      // The one-decode accessor a cursor and a get use reads what key()
      // and value() read, or fails where they fail.
      absl::string_view entry_key;
      laura::LeafValue entry_value;
      const bool fine = view->entry(i, &entry_key, &entry_value);
      if (fine && (entry_key != view->key(i) || entry_value.length != v.length ||
                   entry_value.inline_bytes != v.inline_bytes ||
                   entry_value.overflow != v.overflow)) {
        __builtin_trap();
      }
      if (!fine && !view->corrupt()) __builtin_trap();
    }
  }
  if (!view->is_leaf()) {
    for (int i = 0; i <= view->count(); ++i) sink += view->child(i);
    sink += view->ChildIndex(key);
  }
  sink += view->LowerBound(key);
  if (!view->Validate(2).ok()) return static_cast<int>(sink & 0);
  // A sound node's head-guided searches agree with a linear scan.
  int below = 0, at_or_below = 0;
  for (int i = 0; i < view->count(); ++i) {
    const int c = laura::CompareKeys(view->key(i), key);
    below += c < 0;
    at_or_below += c <= 0;
  }
  if (view->LowerBound(key) != below || view->ChildIndex(key) != at_or_below) __builtin_trap();
  // A sound node: an insert either fits or is refused, and the node stays
  // sound; removing the first cell too.
  std::string cell;
  if (view->is_leaf()) {
    laura::EncodeLeafCell(key, "value", &cell);
  } else {
    laura::EncodeBranchCell(key, {3, 1}, &cell);
  }
  laura::NodeEditor editor(page.data(), kPage);
  if (cell.size() + laura::kSlotSize <= laura::MaxCellSize(kPage) &&
      editor.Insert(view->LowerBound(key), cell)) {
    auto after = laura::NodeView::Parse(page.data(), kPage, 2);
    if (!after.ok()) __builtin_trap();
    (void)after->Validate(2);  // duplicate keys are possible; no crash
  }
  auto again = laura::NodeView::Parse(page.data(), kPage, 2);
  if (again.ok() && again->count() > 0) editor.Remove(0);
  return static_cast<int>(sink & 0);
}
