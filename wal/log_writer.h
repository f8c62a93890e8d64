// LogWriter: appends commit records to the log and makes them durable,
// with group commit.
//
// Append adds a record to an in-memory buffer of the current segment and
// returns its end position, a byte count over the whole log; Flush writes
// the buffer into the preallocated file (one pwrite; not yet durable).
// SyncTo(position) returns once every record up to position is durable,
// with group commit: one sync runs at a time; its leader writes everything
// appended so far in one pwrite and fdatasyncs it outside the lock, and the
// callers whose records it covers wait for it. A record appended while it
// runs waits for it to end, and then one of the waiting callers leads the
// next sync, which covers all of them. Appends go on throughout.
//
// Gathering: before it writes, a leader waits up to gather_limit until as
// many records were appended since the last sync ended as that sync
// covered: the committers it released usually commit again within
// microseconds, and one sync then serves them all. A lone committer never
// waits (the last sync released only it); when released committers do not
// come back, the next commit waits gather_limit once, and the one after it
// not at all. Measured on the project machine with 4 committers: about 4
// commits per sync and about 3-3.5x the rate of one committer, against 1.6
// per sync and 2.1-2.7x when two syncs could overlap without gathering
// (two overlapping fdatasyncs take 150-200 us each there, one alone about
// 100 us). A caller waiting for a sync polls for it (SpinUntil) up to
// kSyncSpin before it sleeps: a sleeper's wake-up costs as much as a sync
// here, and the committers it delays are the next group. A segment that
// is full is synced and a new one, preallocated to segment_size, is
// started.
//
// Write-back ahead of the roll: the sync of a full segment is on the
// writer's path (the next segment takes no record before it), and without
// commit syncs the OS keeps up to a whole segment dirty until then: a
// writer that logs faster than the OS writes back waited for up to
// segment_size bytes at every roll (37% of a sequential fill's time on the
// project machine). Flush therefore asks the OS to start writing each
// kWriteBackChunk of whole pages back as it fills (File::StartWriteBack,
// which neither waits nor promises durability), so the roll's sync finds
// at most about a chunk left (LogTest.FlushStartsTheWriteBackOfEachChunkAsASegmentFills
// checks the ranges asked for). Measured in bench/README.md.
//
// Segments are made at the first Append that needs one, never at Create,
// so opening a database takes no disk space until it commits. A segment
// is created as NAME.creating (preallocated, header written and synced)
// and renamed to NAME with the directory synced: a file with a segment's
// name always has a whole header, and a crash or a full disk while one is
// made leaves only a .creating file, which the next Create removes (as it
// removes empty segments that older versions left behind). Proven by
// LogTest.FailedSegmentCreationLeavesNoSegment and
// DBTest and LauraCliTest.FullDiskNeverMakesTheDatabaseUnopenable.
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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/env.h"
#include "storage/mutex.h"
#include "wal/log_format.h"

namespace laura {

// Bytes of a segment written before Flush starts their write-back, and
// the unit it counts in (the OS's page; segments are sized in it too).
inline constexpr uint64_t kWriteBackChunk = uint64_t{1} << 20;
inline constexpr uint64_t kLogPageSize = 4096;

// Size of the first segment a LogWriter makes (see LogOptions).
inline constexpr uint64_t kFirstSegmentSize = 64 * 1024;

struct LogOptions {
  // All I/O goes through this Env. Default: nullptr, meaning Env::Default().
  Env* env = nullptr;
  // Bytes preallocated per segment (a larger record gets a larger segment).
  // The first segment a writer makes is kFirstSegmentSize (or segment_size
  // if smaller) and each next one twice the one before, up to segment_size,
  // so a database that commits little keeps a small log.
  // Default: 64 MiB.
  uint64_t segment_size = uint64_t{64} << 20;
  // Group commit: how long a sync's leader waits at most for the
  // committers the last sync released (see above). 0 turns it off.
  // Default: 50 us, a few times what a released committer needs here to
  // commit again, half a sync.
  std::chrono::microseconds gather_limit{50};
};

// A segment and the LSNs it holds (0, 0 when it holds no record).
struct SegmentInfo {
  uint64_t number = 0;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
};

class LogWriter {
 public:
  // A writer whose first segment will be `number`, in dir (which must
  // exist), after the existing segments listed in `existing` (as the
  // reader found them; they are dropped by DropSegmentsThrough once a
  // checkpoint covers them). Writes nothing but removes leftovers of
  // segments never completely created.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Create(
      const std::string& dir, uint64_t number, std::vector<SegmentInfo> existing,
      const LogOptions& options);
  ~LogWriter();

  // Appends a commit record for lsn (greater than any appended before);
  // returns the log position after it.
  absl::StatusOr<uint64_t> Append(uint64_t lsn, absl::string_view payload);
  // Makes every record up to position durable (group commit), for a
  // committer waiting on its own record.
  absl::Status SyncTo(uint64_t position);
  // Makes every record appended so far durable, for a caller that is not
  // such a committer (a timer, a user's Sync): it joins a running sync
  // like SyncTo, but leads its own at once, without gathering.
  absl::Status SyncAll();
  // Writes the appended records to the file without syncing them.
  absl::Status Flush();
  // Deletes the segments whose records all have LSN <= lsn, except the
  // one being appended to: a checkpoint at lsn no longer needs them.
  absl::Status DropSegmentsThrough(uint64_t lsn);
  // The same, the segment being appended to included (when every record
  // in it is covered): for a close, so that a cleanly closed database has
  // no log to read at the next open. A later Append starts a new segment.
  absl::Status DropAllSegmentsThrough(uint64_t lsn);

  uint64_t appended_position() const;
  uint64_t synced_position() const;
  uint64_t syncs() const;  // fdatasync calls made for commits
  std::vector<SegmentInfo> segments() const;

 private:
  struct Segment {
    SegmentInfo info;
    std::shared_ptr<File> file;
    uint64_t size = 0;  // bytes written into the segment
    uint64_t written_back = 0;  // bytes before this offset had their write-back started
  };
  LogWriter(std::string dir, const LogOptions& options) : dir_(std::move(dir)), options_(options) {}
  absl::Status StartSegment(uint64_t number, uint64_t min_size)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Fail(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SyncTo and SyncAll: SyncTo's leader gathers first, SyncAll's does not.
  absl::Status Sync(uint64_t position, bool gather);

  const std::string dir_;
  const LogOptions options_;
  mutable Mutex mu_;
  std::vector<Segment> segments_ ABSL_GUARDED_BY(mu_);  // oldest first; last is current
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = 0;          // of the current segment
  uint64_t next_number_ ABSL_GUARDED_BY(mu_) = 0;       // of the next segment made
  uint64_t next_size_ ABSL_GUARDED_BY(mu_) = 0;         // of the next segment made
  absl::Status DropSegments(uint64_t lsn, bool also_current);
  // Whether segments_.back() is open for appending (made by this writer).
  bool HasOpenSegment() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !segments_.empty() && segments_.back().file != nullptr;
  }
  // Deletes .creating files and segments too short for a header.
  absl::Status RemoveUnfinishedSegments(const std::vector<SegmentInfo>& existing);
  uint64_t position_ ABSL_GUARDED_BY(mu_) = 0;          // appended
  // Written under mu_; atomic so that waiters can poll without it.
  std::atomic<uint64_t> synced_{0};
  uint64_t last_lsn_ ABSL_GUARDED_BY(mu_) = 0;    // appended
  uint64_t synced_lsn_ ABSL_GUARDED_BY(mu_) = 0;  // durable
  // Group commit (SyncTo). Written under mu_; atomic so that a waiting
  // committer can poll without it.
  static constexpr std::chrono::microseconds kSyncSpin{200};
  std::atomic<bool> syncing_{false};     // a leader gathers or syncs
  std::atomic<uint64_t> appends_{0};     // records appended
  uint64_t synced_appends_ ABSL_GUARDED_BY(mu_) = 0;       // of them durable
  uint64_t last_group_ ABSL_GUARDED_BY(mu_) = 0;           // records the last sync covered
  uint64_t appends_at_sync_end_ ABSL_GUARDED_BY(mu_) = 0;  // appends_ when it ended
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // appended, not yet written
};

}  // namespace laura

#endif  // LAURA_WAL_LOG_WRITER_H_
