// StatReport and CountKeys (stat_report.h).
#include "tools/stat_report.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_format.h"
#include "storage/status_macros.h"

namespace laura {

std::string StatReport(DB& db, const std::string& path, bool* sound) {
  const DBStats stats = db.Stats();
  const CheckReport tree = db.Check();
  *sound = tree.ok();
  uint64_t log_bytes = 0, log_files = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path + "/log", ec)) {
    std::error_code size_ec;
    const uintmax_t size = entry.file_size(size_ec);
    if (!size_ec) log_bytes += size, ++log_files;
  }
  const uint64_t page_size = stats.disk.page_size;
  const uint64_t nodes = tree.leaf_pages + tree.branch_pages;
  const uint64_t in_use = nodes + tree.overflow_pages + stats.disk.free_pages;
  const double fill = tree.capacity_bytes > 0 ? 100.0 * tree.used_bytes / tree.capacity_bytes : 0;
  std::string s = absl::StrFormat("Database %s\n", path);
  absl::StrAppendFormat(&s, "  Page size: %d\n", page_size);
  absl::StrAppendFormat(&s, "  Data file: %d bytes, %d pages\n", stats.disk.file_size,
                        stats.disk.page_count);
  absl::StrAppendFormat(&s, "  Tree depth: %d\n", tree.depth);
  absl::StrAppendFormat(&s, "  Entries: %d\n", tree.entries);
  absl::StrAppendFormat(&s, "  Leaf pages: %d\n  Branch pages: %d\n  Overflow pages: %d\n",
                        tree.leaf_pages, tree.branch_pages, tree.overflow_pages);
  absl::StrAppendFormat(&s, "  Pages in use: %d\n",
                        stats.disk.page_count - std::min(stats.disk.page_count,
                                                         stats.disk.free_pages));
  absl::StrAppendFormat(&s, "  Free pages: %d (%d reusable after the next checkpoint)\n",
                        stats.disk.free_pages, stats.disk.pinned_pages);
  absl::StrAppendFormat(&s, "  Compaction would reclaim: %d pages (%d bytes)\n",
                        stats.compactable_pages, stats.compactable_pages * page_size);
  absl::StrAppendFormat(&s, "  Other pages (meta, free list, unused): %d\n",
                        stats.disk.page_count > in_use ? stats.disk.page_count - in_use : 0);
  absl::StrAppendFormat(&s, "  Fill factor: %.1f%% of leaf and branch page space\n", fill);
  absl::StrAppendFormat(&s, "  Log: %d segments, %d bytes\n", log_files, log_bytes);
  // Per key space: its keys (counted by a scan).
  if (absl::StatusOr<std::vector<std::string>> names = db.ListKeySpaces(); names.ok()) {
    absl::StrAppendFormat(&s, "  Key spaces: %d named", names->size());
    if (stats.dropping_spaces > 0) {
      absl::StrAppendFormat(&s, ", %d dropped and being deleted", stats.dropping_spaces);
    }
    s += "\n";
    auto count = [&](const std::string& label, const KeySpace& space) {
      absl::StatusOr<uint64_t> keys = CountKeys(db, space);
      if (keys.ok()) {
        absl::StrAppendFormat(&s, "    %s: %d keys\n", label, *keys);
      } else {
        absl::StrAppendFormat(&s, "    %s: %s\n", label, keys.status().message());
      }
    };
    count("(default)", KeySpace());
    for (const std::string& name : *names) {
      if (absl::StatusOr<KeySpace> space = db.GetKeySpace(name); space.ok()) count(name, *space);
    }
  }
  absl::StrAppendFormat(&s, "  Open read snapshots: %d\n", stats.open_snapshots.size());
  for (const SnapshotStats& snap : stats.open_snapshots) {
    absl::StrAppendFormat(&s, "    commit %d, %.1f s old, holding %d replaced pages (pid %d)\n",
                          snap.lsn, snap.age_seconds, snap.pages_held, snap.pid);
  }
  absl::StrAppendFormat(&s, "  Last LSN: %d, checkpoint LSN: %d\n", stats.last_lsn,
                        stats.checkpoint_lsn);
  if (!tree.ok()) s += "  Problems:\n" + tree.ToString();
  return s;
}

absl::StatusOr<uint64_t> CountKeys(DB& db, const KeySpace& space) {
  std::unique_ptr<Iterator> it = db.NewIterator(space);
  uint64_t keys = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
  LAURA_RETURN_IF_ERROR(it->status());
  return keys;
}

}  // namespace laura
