// LogWriter: appends commit records to the log and makes them durable,
// with group commit.
//
// Append adds a record to an in-memory buffer of the current segment and
// returns its end position, a byte count over the whole log; Flush writes
// the buffer into the preallocated file (one pwrite; not yet durable).
// SyncTo(position) returns once every record up to position is durable:
// concurrent callers share one write and one fdatasync (the first becomes
// the leader and writes and syncs everything appended so far; the others
// wait for it), and appends go on while the sync runs. When the last sync
// covered several committers, a new leader first waits briefly (up to a
// quarter of the last sync's duration) for them and for those that
// appended during that sync to append again: without it, groups alternate
// between one record and the rest. A segment that is full is
// synced and a new one, preallocated to segment_size, is started.
//
// Failure: if a write or sync fails, the writer fails for good: every
// later call returns that error (a failed fsync cannot be retried safely;
// the database must be reopened and recovered).
//
// Thread safety: Append from one thread at a time (the database's
// writer); DropSegmentsThrough from one thread at a time (a checkpoint),
// concurrently with Append; SyncTo and Flush from any thread.
#ifndef LAURA_WAL_LOG_WRITER_H_
#define LAURA_WAL_LOG_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/env.h"
#include "storage/mutex.h"
#include "wal/log_format.h"

namespace laura {

struct LogOptions {
  // All I/O goes through this Env. Default: nullptr, meaning Env::Default().
  Env* env = nullptr;
  // Bytes preallocated per segment (a larger record gets a larger segment).
  // Default: 64 MiB.
  uint64_t segment_size = uint64_t{64} << 20;
};

// A segment and the LSNs it holds (0, 0 when it holds no record).
struct SegmentInfo {
  uint64_t number = 0;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
};

class LogWriter {
 public:
  // Starts segment `number` in dir (which must exist), after the existing
  // segments listed in `existing` (as the reader found them; they are
  // dropped by DropSegmentsThrough once a checkpoint covers them).
  static absl::StatusOr<std::unique_ptr<LogWriter>> Create(
      const std::string& dir, uint64_t number, std::vector<SegmentInfo> existing,
      const LogOptions& options);
  ~LogWriter();

  // Appends a commit record for lsn (greater than any appended before);
  // returns the log position after it.
  absl::StatusOr<uint64_t> Append(uint64_t lsn, absl::string_view payload);
  // Makes every record up to position durable (group commit).
  absl::Status SyncTo(uint64_t position);
  // Writes the appended records to the file without syncing them.
  absl::Status Flush();
  // Deletes the segments whose records all have LSN <= lsn, except the
  // current one: a checkpoint at lsn no longer needs them.
  absl::Status DropSegmentsThrough(uint64_t lsn);

  uint64_t appended_position() const;
  uint64_t synced_position() const;
  uint64_t syncs() const;  // fdatasync calls made for commits
  std::vector<SegmentInfo> segments() const;

 private:
  struct Segment {
    SegmentInfo info;
    std::shared_ptr<File> file;
    uint64_t size = 0;  // bytes written into the segment
  };
  LogWriter(std::string dir, const LogOptions& options) : dir_(std::move(dir)), options_(options) {}
  absl::Status StartSegment(uint64_t number, uint64_t min_size)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Fail(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const LogOptions options_;
  mutable Mutex mu_;
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);  // oldest first; last is current
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = 0;          // of the current segment
  uint64_t position_ ABSL_GUARDED_BY(mu_) = 0;          // appended
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_lsn_ ABSL_GUARDED_BY(mu_) = 0;    // appended
  uint64_t synced_lsn_ ABSL_GUARDED_BY(mu_) = 0;  // durable
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  // Group commit: records appended, records the last sync covered, how
  // many records the next sync expects, and how long the last sync took.
  uint64_t appended_records_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_records_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t expected_group_ ABSL_GUARDED_BY(mu_) = 1;
  absl::Duration last_sync_duration_ ABSL_GUARDED_BY(mu_);
  // Waits (syncing_ held) until expected_group_ records past the last
  // sync were appended, or a quarter of the last sync's duration passed.
  void GatherGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // appended, not yet written
};

}  // namespace laura

#endif  // LAURA_WAL_LOG_WRITER_H_
