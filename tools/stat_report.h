// StatReport: the text of `laura stat` (in the manner of mdb_stat): page
// counts by type, tree depth, fill factor, pages in use and free, what
// compaction would reclaim, file and log sizes.
#ifndef LAURA_TOOLS_STAT_REPORT_H_
#define LAURA_TOOLS_STAT_REPORT_H_

#include <cstdint>
#include <string>

#include "laura/db.h"

namespace laura {

// Walks the latest commit's tree (with the structural checker). Also
// returns whether the walk found the tree sound.
std::string StatReport(DB& db, const std::string& path, bool* sound);

// The keys of a space in the latest commit, counted by a scan (`laura stat`
// and the shell's `spaces`).
absl::StatusOr<uint64_t> CountKeys(DB& db, const KeySpace& space);

}  // namespace laura

#endif  // LAURA_TOOLS_STAT_REPORT_H_
