// LogReader (see log_reader.h).
#include "wal/log_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"

namespace laura {

absl::StatusOr<std::unique_ptr<LogReader>> LogReader::Open(Env* env, const std::string& dir) {
  if (env == nullptr) env = Env::Default();
  std::vector<uint64_t> numbers;
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir);
  if (!names.ok() && !absl::IsNotFound(names.status())) return names.status();
  if (names.ok()) {
    for (const std::string& name : *names) {
      uint64_t n;
      if (ParseSegmentFileName(name, &n)) numbers.push_back(n);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return std::unique_ptr<LogReader>(new LogReader(env, dir, std::move(numbers)));
}

uint64_t LogReader::next_segment_number() const {
  return numbers_.empty() ? 1 : numbers_.back() + 1;
}

absl::StatusOr<bool> LogReader::LoadSegment() {
  const std::string path = dir_ + "/" + SegmentFileName(numbers_[index_]);
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->OpenFile(path, {.read_only = true}));
  LAURA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  data_.resize(size);
  if (size > 0) LAURA_RETURN_IF_ERROR(file->Read(0, size, data_.data()));
  loaded_ = true;
  offset_ = kSegmentHeaderSize;
  infos_.push_back(SegmentInfo{numbers_[index_], 0, 0});
  return size >= kSegmentHeaderSize &&
         CheckSegmentHeader(data_.data(), numbers_[index_], path).ok();
}

bool LogReader::ValidRecordAt(uint64_t offset) const {
  if (offset + kRecordHeaderSize > data_.size()) return false;
  const RecordHeader h = DecodeRecordHeader(data_.data() + offset);
  if (h.length > data_.size() - offset - kRecordHeaderSize) return false;
  return RecordIsValid(absl::string_view(data_.data() + offset, kRecordHeaderSize + h.length));
}

absl::Status LogReader::CheckRestOfSegment(uint64_t offset, absl::string_view what,
                                           const std::string& where) {
  for (uint64_t o = offset; o + kRecordHeaderSize <= data_.size(); o += 8) {
    if (!ValidRecordAt(o)) continue;
    const RecordHeader h = DecodeRecordHeader(data_.data() + o);
    if (h.durable_lsn > last_lsn_) {
      return absl::DataLossError(absl::StrCat(
          where, ": ", what, ", but the record at offset ", o, " of segment ",
          SegmentFileName(numbers_[index_]), " says LSN ", h.durable_lsn,
          " was durable; records after LSN ", last_lsn_, " are lost"));
    }
  }
  return absl::OkStatus();
}

absl::Status LogReader::CheckNothingFollows(uint64_t offset, absl::string_view what) {
  const std::string where = absl::StrCat("log segment ", SegmentFileName(numbers_[index_]),
                                         " at offset ", offset);
  LAURA_RETURN_IF_ERROR(CheckRestOfSegment(offset + 8, what, where));
  for (size_t later = index_ + 1; later < numbers_.size(); ++later) {
    index_ = later;
    LAURA_ASSIGN_OR_RETURN(bool header_ok, LoadSegment());
    infos_.pop_back();
    if (header_ok) LAURA_RETURN_IF_ERROR(CheckRestOfSegment(kSegmentHeaderSize, what, where));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> LogReader::Next(LogRecord* record) {
  while (!done_) {
    if (index_ >= numbers_.size()) {
      done_ = true;
      break;
    }
    if (!loaded_) {
      LAURA_ASSIGN_OR_RETURN(bool header_ok, LoadSegment());
      if (data_.size() < kSegmentHeaderSize) {
        // Never completely created (a full disk under an older version,
        // which made segments in place): it holds no record.
        infos_.pop_back();
        ++index_;
        loaded_ = false;
        continue;
      }
      if (!header_ok) {  // a segment cut off while being created, or damage
        torn_tail_ = true;
        LAURA_RETURN_IF_ERROR(CheckNothingFollows(0, "the segment header is damaged"));
        done_ = true;
        break;
      }
    }
    if (offset_ + 8 > data_.size() || DecodeFixed64(data_.data() + offset_) == 0) {
      // Clean end of this segment; records go on in the next one.
      if (offset_ + 8 <= data_.size()) {
        LAURA_RETURN_IF_ERROR(CheckRestOfSegment(
            offset_ + 8, "the records stop",
            absl::StrCat("log segment ", SegmentFileName(numbers_[index_]), " at offset ",
                         offset_)));
      }
      ++index_;
      loaded_ = false;
      continue;
    }
    if (!ValidRecordAt(offset_)) {
      torn_tail_ = true;
      LAURA_RETURN_IF_ERROR(CheckNothingFollows(offset_, "a record is damaged"));
      done_ = true;
      break;
    }
    const RecordHeader h = DecodeRecordHeader(data_.data() + offset_);
    if (h.lsn <= last_lsn_) {
      return absl::DataLossError(absl::StrCat(
          "log segment ", SegmentFileName(numbers_[index_]), " at offset ", offset_,
          ": LSN ", h.lsn, " does not follow LSN ", last_lsn_));
    }
    record->lsn = h.lsn;
    record->payload.assign(data_.data() + offset_ + kRecordHeaderSize, h.length);
    record->segment = numbers_[index_];
    record->offset = offset_;
    SegmentInfo& info = infos_.back();
    if (info.first_lsn == 0) info.first_lsn = h.lsn;
    info.last_lsn = h.lsn;
    last_lsn_ = h.lsn;
    offset_ += RecordSpan(h.length);
    return true;
  }
  return false;
}

}  // namespace laura
