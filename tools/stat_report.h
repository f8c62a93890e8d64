// StatReport: the text of `laura stat` (in the manner of mdb_stat): page
// counts by type, tree depth, fill factor, pages in use and free, what
// compaction would reclaim, file and log sizes.
#ifndef LAURA_TOOLS_STAT_REPORT_H_
#define LAURA_TOOLS_STAT_REPORT_H_

#include <string>

#include "laura/db.h"

namespace laura {

// Walks the latest commit's tree (with the structural checker). Also
// returns whether the walk found the tree sound.
std::string StatReport(DB& db, const std::string& path, bool* sound);

}  // namespace laura

#endif  // LAURA_TOOLS_STAT_REPORT_H_
