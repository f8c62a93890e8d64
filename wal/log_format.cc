// Log segment and record encoding (format in log_format.h).
#include "wal/log_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/checksum.h"
#include "storage/coding.h"

namespace laura {

std::string SegmentFileName(uint64_t n) { return absl::StrFormat("%016x.log", n); }

bool ParseSegmentFileName(absl::string_view name, uint64_t* n) {
  if (name.size() != 20 || name.substr(16) != ".log") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 16)) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *n = v;
  return true;
}

void EncodeSegmentHeader(uint64_t number, char* out) {
  std::memset(out, 0, kSegmentHeaderSize);
  std::memcpy(out, kLogMagic, 8);
  EncodeFixed32(out + 8, kLogVersion);
  EncodeFixed64(out + 16, number);
  EncodeFixed64(out + 24, Checksum(out, 24));
}

absl::Status CheckSegmentHeader(const char* header, uint64_t number,
                                absl::string_view path) {
  if (std::memcmp(header, kLogMagic, 8) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a LauraDB log segment"));
  }
  if (DecodeFixed64(header + 24) != Checksum(header, 24)) {
    return absl::DataLossError(absl::StrCat(path, ": segment header checksum mismatch"));
  }
  if (DecodeFixed32(header + 8) != kLogVersion) {
    return absl::DataLossError(absl::StrCat(path, ": unknown log format version ",
                                            DecodeFixed32(header + 8)));
  }
  if (DecodeFixed64(header + 16) != number) {
    return absl::DataLossError(absl::StrCat(path, ": header says segment ",
                                            DecodeFixed64(header + 16)));
  }
  return absl::OkStatus();
}

void EncodeRecord(uint64_t lsn, uint64_t durable_lsn, uint8_t type, absl::string_view payload,
                  std::string* out) {
  const size_t start = out->size();
  out->resize(start + RecordSpan(payload.size()), '\0');
  char* rec = out->data() + start;
  EncodeFixed64(rec + 8, payload.size());
  EncodeFixed64(rec + 16, lsn);
  EncodeFixed64(rec + 24, durable_lsn);
  rec[32] = static_cast<char>(type);
  std::memcpy(rec + kRecordHeaderSize, payload.data(), payload.size());
  EncodeFixed64(rec, Checksum(rec + 8, kRecordHeaderSize - 8 + payload.size()));
}

RecordHeader DecodeRecordHeader(const char* header) {
  RecordHeader h;
  h.checksum = DecodeFixed64(header);
  h.length = DecodeFixed64(header + 8);
  h.lsn = DecodeFixed64(header + 16);
  h.durable_lsn = DecodeFixed64(header + 24);
  h.type = static_cast<uint8_t>(header[32]);
  return h;
}

bool RecordIsValid(absl::string_view record) {
  if (record.size() < kRecordHeaderSize) return false;
  const RecordHeader h = DecodeRecordHeader(record.data());
  if (h.type != kCommitRecord || h.length != record.size() - kRecordHeaderSize) return false;
  if (h.durable_lsn >= h.lsn) return false;
  for (size_t i = 33; i < kRecordHeaderSize; ++i) {
    if (record[i] != 0) return false;
  }
  return Checksum(record.data() + 8, record.size() - 8) == h.checksum;
}

}  // namespace laura
