// Import and export between a database and files in the formats of
// record_format.h.
//
// Import runs as one load (DB::BeginLoad): all or nothing. Sorted input
// into an empty database is bulk loaded bottom-up under the sequential
// hint; otherwise keys are inserted. Either way the log is bypassed and
// the records appear at once, durably, when the import commits. An error
// (a malformed record, a repeated key, a key too large) names the file and
// line and leaves the database as it was, unless skip_bad skips and counts
// such records.
#ifndef LAURA_TOOLS_IMPORT_EXPORT_H_
#define LAURA_TOOLS_IMPORT_EXPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "laura/db.h"
#include "tools/record_format.h"

namespace laura {

struct ImportOptions {
  // The format of every file; by default each file's is taken from its
  // extension (FormatForPath).
  std::optional<Format> format;
  FormatOptions format_options;
  // A key repeated in the input or already in the database: the last value
  // wins (true) or it is an error (false).
  bool last_wins = false;
  // Skip malformed and refused records, counting them, instead of failing.
  bool skip_bad = false;
  // Draw a progress line on standard error.
  bool progress = false;
  // The key space loaded into (default: the default space).
  KeySpace space;
};

struct ImportResult {
  uint64_t records = 0;  // distinct keys written
  uint64_t skipped = 0;  // bad records skipped (skip_bad)
  uint64_t bytes = 0;    // input bytes read
  bool bulk = false;     // built bottom-up by the bulk loader
  double seconds = 0;
  // "imported N records from F files (bulk load) in S s (R records/s)"
  std::string ToString() const;
};

// Imports files ("-" is standard input) into db in one load.
absl::StatusOr<ImportResult> ImportFiles(DB& db, const std::vector<std::string>& files,
                                         const ImportOptions& options);

struct ExportOptions {
  Format format = Format::kLaura;
  FormatOptions format_options;
  // Keys in [from, to); unset: from the first / to the last.
  std::optional<std::string> from, to;
  bool progress = false;
};

// Writes the records of `it` (an iterator over the snapshot to export) to
// path ("-" is standard output), in key order; returns the record count.
// A regular file is written under a temporary name beside it and renamed
// into place at the end, so a failed export leaves the path as it was
// (removing only its temporary file); a device or pipe is written
// straight and never removed. Proven by LauraCliTest.FailedExportLeaves*.
absl::StatusOr<uint64_t> ExportRecords(Iterator& it, const std::string& path,
                                       const ExportOptions& options);

}  // namespace laura

#endif  // LAURA_TOOLS_IMPORT_EXPORT_H_
