// The write-ahead log's on-disk format: segment files and records.
//
// A log is a directory's run of segment files named by their number,
// "<16 hex digits>.log" (for example 000000000000002a.log), each
// preallocated with zeros to its size so that a sync does not also journal
// a size change. Integers are little-endian.
//
// Segment header (bytes 0..31 of each segment):
//   0   8  magic "LauraLOG"
//   8   4  format version (1)
//   12  4  reserved, zero
//   16  8  segment number (equals the number in the file name)
//   24  8  XXH3-64 checksum of bytes 0..23
//
// Records follow from offset 32, each starting on an 8-byte boundary:
//   0   8  XXH3-64 checksum of bytes 8 .. 40 + length (header rest and
//          payload)
//   8   8  payload length in bytes
//   16  8  LSN: the commit sequence number, strictly increasing through the
//          log (it is also the B+tree transaction number)
//   24  8  durable LSN: every record up to this LSN was synced before this
//          one was written
//   32  1  type (kCommitRecord)
//   33  7  reserved, zero
//   40  .. payload, then zero bytes up to the next 8-byte boundary
// A zero word where a record would start ends the segment (the rest is the
// preallocated space). A record is one transaction: it applies whole or not
// at all.
//
// Torn tail or corruption: unsynced writes may reach the disk in any order,
// so after a crash a damaged (or zeroed) record may be followed by valid
// ones that were never synced either. The durable LSN tells them apart: if
// a valid record after damage at LSN n says LSN n was already durable, the
// damage hit synced data and is corruption (DataLoss); otherwise everything
// from the damage on is an unacknowledged tail and is cut off.
//
// Commit payload (a write batch): varint64 operation count, then per
// operation a kind byte (1 put, 2 delete), varint64 key length, key bytes,
// and for a put varint64 value length and value bytes.
#ifndef LAURA_WAL_LOG_FORMAT_H_
#define LAURA_WAL_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace laura {

inline constexpr char kLogMagic[8] = {'L', 'a', 'u', 'r', 'a', 'L', 'O', 'G'};
inline constexpr uint32_t kLogVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 40;
inline constexpr uint8_t kCommitRecord = 1;

inline constexpr uint8_t kBatchPut = 1;
inline constexpr uint8_t kBatchDelete = 2;

// "<16 hex digits>.log" for segment number n.
std::string SegmentFileName(uint64_t n);
// Suffix of a segment being created (LogWriter): never read as part of
// the log, removed by the next writer.
inline constexpr const char* kCreatingSuffix = ".creating";
// The segment number of a file name; false if it is not a segment name.
bool ParseSegmentFileName(absl::string_view name, uint64_t* n);

void EncodeSegmentHeader(uint64_t number, char* out);  // 32 bytes
// DataLoss if the header is not a valid header of segment `number`.
absl::Status CheckSegmentHeader(const char* header, uint64_t number,
                                absl::string_view path);

// Bytes a record with this payload takes in the log, padding included.
inline uint64_t RecordSpan(uint64_t payload_length) {
  return (kRecordHeaderSize + payload_length + 7) & ~uint64_t{7};
}
// Encodes a whole record (header, payload, padding) into *out.
void EncodeRecord(uint64_t lsn, uint64_t durable_lsn, uint8_t type, absl::string_view payload,
                  std::string* out);

struct RecordHeader {
  uint64_t checksum = 0;
  uint64_t length = 0;
  uint64_t lsn = 0;
  uint64_t durable_lsn = 0;
  uint8_t type = 0;
};
RecordHeader DecodeRecordHeader(const char* header);  // kRecordHeaderSize bytes
// True if record (header and payload, without padding) matches its
// checksum and length, its reserved bytes are zero and its type is known.
bool RecordIsValid(absl::string_view record);

}  // namespace laura

#endif  // LAURA_WAL_LOG_FORMAT_H_
