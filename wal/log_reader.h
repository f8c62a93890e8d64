// LogReader: reads the records of a log directory in order, for recovery.
//
// The log ends at the first place where no valid record starts: a zero
// word (unused preallocated space) or a record that fails its checks (a
// torn write at the moment of a crash). A torn tail is cut off silently;
// but if a valid record after the damage (later in the segment, or in a
// later segment) says the damaged place was already durable (its durable
// LSN, see log_format.h), the damage is corruption, not a crash, and Next
// returns DataLoss naming the segment and offset: the reader never drops
// acknowledged records silently. A segment file shorter than a segment
// header was never completely created (older versions made segments in
// place, and a full disk could stop them at 0 bytes): it holds no record
// and is skipped (LogTest.EmptySegmentsLeftByAFullDiskAreSkippedAndRemoved).
#ifndef LAURA_WAL_LOG_READER_H_
#define LAURA_WAL_LOG_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/env.h"
#include "wal/log_writer.h"

namespace laura {

struct LogRecord {
  uint64_t lsn = 0;
  std::string payload;
  uint64_t segment = 0;  // where the record starts
  uint64_t offset = 0;
};

class LogReader {
 public:
  // The segments of dir in order. A missing directory is an empty log.
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(Env* env, const std::string& dir);

  // The next record into *record; false at the end of the log.
  absl::StatusOr<bool> Next(LogRecord* record);

  // After Next returned false: every segment with the LSNs it holds, and
  // the number a new segment should take.
  const std::vector<SegmentInfo>& segments() const { return infos_; }
  uint64_t next_segment_number() const;
  // True if the log ended at a torn record rather than at clean space.
  bool torn_tail() const { return torn_tail_; }

 private:
  LogReader(Env* env, std::string dir, std::vector<uint64_t> numbers)
      : env_(env), dir_(std::move(dir)), numbers_(std::move(numbers)) {}
  // Loads segment index_ (whole) into data_; false if its header is bad.
  absl::StatusOr<bool> LoadSegment();
  // A valid record at offset of data_ (of any LSN), for the damage check.
  bool ValidRecordAt(uint64_t offset) const;
  // DataLoss if a valid record from `offset` on in this segment says a
  // record after the last good one was durable.
  absl::Status CheckRestOfSegment(uint64_t offset, absl::string_view what,
                                  const std::string& where);
  // Also in a later segment: OK means the damage is a torn tail.
  absl::Status CheckNothingFollows(uint64_t offset, absl::string_view what);

  Env* const env_;
  const std::string dir_;
  const std::vector<uint64_t> numbers_;
  size_t index_ = 0;  // segment being read
  bool loaded_ = false;
  std::string data_;
  uint64_t offset_ = 0;
  uint64_t last_lsn_ = 0;
  bool done_ = false;
  bool torn_tail_ = false;
  std::vector<SegmentInfo> infos_;
};

}  // namespace laura

#endif  // LAURA_WAL_LOG_READER_H_
