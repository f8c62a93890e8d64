// LogWriter: appending, segment switching, group commit (see log_writer.h).
#include "wal/log_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"

namespace laura {

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Create(
    const std::string& dir, uint64_t number, std::vector<SegmentInfo> existing,
    const LogOptions& options) {
  LogOptions o = options;
  if (o.env == nullptr) o.env = Env::Default();
  if (o.segment_size < kLogPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("log segment size ", o.segment_size, " is below ", kLogPageSize, " bytes"));
  }
  std::unique_ptr<LogWriter> w(new LogWriter(dir, o));
  MutexLock lock(&w->mu_);
  for (const SegmentInfo& info : existing) {
    if (info.number >= number) {
      return absl::InvalidArgumentError(absl::StrCat(
          "new log segment ", number, " is not after existing segment ", info.number));
    }
    w->segments_.push_back(Segment{info, nullptr, 0});
    // Records read back from the existing segments are on disk: durable.
    w->last_lsn_ = std::max(w->last_lsn_, info.last_lsn);
    w->synced_lsn_ = w->last_lsn_;
  }
  w->next_number_ = number;
  LAURA_RETURN_IF_ERROR(w->RemoveUnfinishedSegments(existing));
  return w;
}

absl::Status LogWriter::RemoveUnfinishedSegments(const std::vector<SegmentInfo>& existing) {
  LAURA_ASSIGN_OR_RETURN(std::vector<std::string> names, options_.env->ListDir(dir_));
  bool removed = false;
  for (const std::string& name : names) {
    const std::string path = dir_ + "/" + name;
    uint64_t number;
    bool unfinished = absl::EndsWith(name, kCreatingSuffix);
    if (!unfinished && ParseSegmentFileName(name, &number)) {
      const bool listed = std::any_of(existing.begin(), existing.end(),
                                      [&](const SegmentInfo& i) { return i.number == number; });
      absl::StatusOr<uint64_t> size = options_.env->FileSize(path);
      unfinished = !listed && size.ok() && *size < kSegmentHeaderSize;
    }
    if (!unfinished) continue;
    LAURA_RETURN_IF_ERROR(options_.env->DeleteFile(path));
    removed = true;
  }
  return removed ? options_.env->SyncDir(dir_) : absl::OkStatus();
}

LogWriter::~LogWriter() {
  MutexLock lock(&mu_);
  FlushLocked().IgnoreError();  // records appended but never flushed
}

absl::Status LogWriter::Fail(absl::Status s) {
  if (failed_.ok()) {
    failed_ = absl::Status(s.code(), absl::StrCat("the log failed (", s.message(),
                                                  "); writes are refused until the "
                                                  "database is reopened"));
  }
  return failed_;
}

// Creates, preallocates and syncs a new segment under a temporary name,
// then renames it into place and makes the name durable, so that a record
// in it is never lost with the directory entry and a segment's name never
// holds a partial header (see the file comment).
absl::Status LogWriter::StartSegment(uint64_t number, uint64_t min_size) {
  const std::string path = dir_ + "/" + SegmentFileName(number);
  const std::string temp = path + kCreatingSuffix;
  if (next_size_ == 0) next_size_ = std::min(kFirstSegmentSize, options_.segment_size);
  const uint64_t size = std::max<uint64_t>(next_size_, (min_size + kLogPageSize - 1) / kLogPageSize * kLogPageSize);
  if (options_.env->FileExists(temp)) LAURA_RETURN_IF_ERROR(options_.env->DeleteFile(temp));
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         options_.env->OpenFile(temp, {.create = true, .exclusive = true}));
  char header[kSegmentHeaderSize];
  EncodeSegmentHeader(number, header);
  absl::Status s = file->Allocate(0, size);
  if (s.ok()) s = file->Write(0, absl::string_view(header, sizeof(header)));
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = options_.env->RenameFile(temp, path);
  if (!s.ok()) {
    file.reset();
    options_.env->DeleteFile(temp).IgnoreError();  // gives the space back; Create retries
    return s;
  }
  LAURA_RETURN_IF_ERROR(options_.env->SyncDir(dir_));
  segments_.push_back(Segment{SegmentInfo{number, 0, 0}, std::move(file), kSegmentHeaderSize});
  capacity_ = size;
  next_number_ = number + 1;
  next_size_ = std::min(2 * next_size_, options_.segment_size);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> LogWriter::Append(uint64_t lsn, absl::string_view payload) {
  MutexLock lock(&mu_);
  LAURA_RETURN_IF_ERROR(failed_);
  if (lsn <= last_lsn_) {
    return absl::InvalidArgumentError(
        absl::StrCat("log LSN ", lsn, " does not follow LSN ", last_lsn_));
  }
  if (!HasOpenSegment()) {
    // The first record of this writer: nothing was written yet, so a
    // failure (a full disk) leaves the log as it was.
    LAURA_RETURN_IF_ERROR(StartSegment(next_number_, kSegmentHeaderSize + RecordSpan(payload.size())));
  }
  Segment* seg = &segments_.back();
  if (seg->size + RecordSpan(payload.size()) > capacity_) {
    // The full segment is made durable before records go to the next one,
    // so the log never has a hole before a durable record.
    if (absl::Status s = FlushLocked(); !s.ok()) return s;
    if (absl::Status s = seg->file->Sync(); !s.ok()) return Fail(s);
    if (absl::Status s =
            StartSegment(seg->info.number + 1, kSegmentHeaderSize + RecordSpan(payload.size()));
        !s.ok()) {
      return Fail(s);
    }
    seg = &segments_.back();
    synced_ = position_;
    synced_lsn_ = last_lsn_;
    synced_appends_ = appends_;
  }
  // Buffered: the next Flush or SyncTo writes it (one pwrite per group).
  const size_t before = pending_.size();
  EncodeRecord(lsn, synced_lsn_, kCommitRecord, payload, &pending_);
  const size_t span = pending_.size() - before;
  seg->size += span;
  if (seg->info.first_lsn == 0) seg->info.first_lsn = lsn;
  seg->info.last_lsn = lsn;
  position_ += span;
  last_lsn_ = lsn;
  ++appends_;
  return position_;
}

absl::Status LogWriter::FlushLocked() {
  LAURA_RETURN_IF_ERROR(failed_);
  if (pending_.empty()) return absl::OkStatus();
  Segment& seg = segments_.back();
  if (absl::Status s = seg.file->Write(seg.size - pending_.size(), pending_); !s.ok()) {
    return Fail(s);
  }
  pending_.clear();
  // Whole pages only: a partial last page would be written again.
  const uint64_t whole = seg.size / kLogPageSize * kLogPageSize;
  if (whole >= seg.written_back + kWriteBackChunk) {
    // A hint: if the OS refuses, the roll's sync writes these bytes.
    seg.file->StartWriteBack(seg.written_back, whole - seg.written_back).IgnoreError();
    seg.written_back = whole;
  }
  return absl::OkStatus();
}

absl::Status LogWriter::Flush() {
  MutexLock lock(&mu_);
  return FlushLocked();
}

absl::Status LogWriter::SyncTo(uint64_t position) { return Sync(position, /*gather=*/true); }

absl::Status LogWriter::SyncAll() { return Sync(appended_position(), /*gather=*/false); }

absl::Status LogWriter::Sync(uint64_t position, bool gather) {
  MutexLock lock(&mu_);
  while (true) {
    LAURA_RETURN_IF_ERROR(failed_);
    if (synced_ >= position) return absl::OkStatus();
    if (!syncing_) break;  // lead the next sync
    // A sync runs: it covers this record, or this record waits for the
    // next one. Poll, then sleep, until it ends.
    mu_.SpinUnlocked([&] { return synced_ >= position || !syncing_; }, kSyncSpin);
    struct Moved {
      LogWriter* writer;
      uint64_t position;
      static bool Check(Moved* m) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        LogWriter* w = m->writer;
        return w->synced_ >= m->position || !w->failed_.ok() || !w->syncing_;
      }
    } moved{this, position};
    mu_.Await(absl::Condition(&Moved::Check, &moved));
  }
  // Lead. First (SyncTo only) gather: the committers the last sync
  // released usually append again within microseconds, and one sync then
  // serves them all.
  syncing_ = true;
  const uint64_t gather_to = appends_at_sync_end_ + last_group_;
  if (gather && appends_ < gather_to) {
    mu_.SpinUnlocked([&] { return appends_ >= gather_to; }, options_.gather_limit);
  }
  // Then write everything appended so far and sync it outside the lock,
  // so appends go on meanwhile.
  if (absl::Status s = FlushLocked(); !s.ok()) {
    syncing_ = false;
    return s;
  }
  const uint64_t target = position_;
  const uint64_t target_lsn = last_lsn_;
  const uint64_t target_appends = appends_;
  std::shared_ptr<File> file = segments_.back().file;
  mu_.Unlock();
  const absl::Status s = file->Sync();
  mu_.Lock();
  syncing_ = false;
  ++syncs_;
  if (!s.ok()) return Fail(s);
  synced_ = std::max<uint64_t>(synced_, target);
  synced_lsn_ = std::max(synced_lsn_, target_lsn);
  last_group_ = target_appends - std::min(synced_appends_, target_appends);
  synced_appends_ = std::max(synced_appends_, target_appends);
  appends_at_sync_end_ = appends_;
  return synced_ >= position ? absl::OkStatus() : failed_;
}

absl::Status LogWriter::DropSegmentsThrough(uint64_t lsn) {
  return DropSegments(lsn, /*also_current=*/false);
}

absl::Status LogWriter::DropAllSegmentsThrough(uint64_t lsn) {
  return DropSegments(lsn, /*also_current=*/true);
}

absl::Status LogWriter::DropSegments(uint64_t lsn, bool also_current) {
  std::vector<std::string> doomed;
  {
    MutexLock lock(&mu_);
    if (also_current && HasOpenSegment() && segments_.back().info.last_lsn <= lsn) {
      // Everything appended is covered: nothing is left to write.
      LAURA_RETURN_IF_ERROR(FlushLocked());
      segments_.back().file.reset();  // closed; the next Append starts a segment
    }
    // Every segment the checkpoint covers, except one still appended to.
    while (!segments_.empty() && segments_.front().info.last_lsn <= lsn &&
           (segments_.size() > 1 || !HasOpenSegment())) {
      doomed.push_back(dir_ + "/" + SegmentFileName(segments_.front().info.number));
      segments_.erase(segments_.begin());
    }
  }
  for (const std::string& path : doomed) {
    LAURA_RETURN_IF_ERROR(options_.env->DeleteFile(path));
  }
  if (!doomed.empty()) LAURA_RETURN_IF_ERROR(options_.env->SyncDir(dir_));
  return absl::OkStatus();
}

uint64_t LogWriter::appended_position() const {
  MutexLock lock(&mu_);
  return position_;
}

uint64_t LogWriter::synced_position() const {
  MutexLock lock(&mu_);
  return synced_;
}

uint64_t LogWriter::syncs() const {
  MutexLock lock(&mu_);
  return syncs_;
}

std::vector<SegmentInfo> LogWriter::segments() const {
  MutexLock lock(&mu_);
  std::vector<SegmentInfo> out;
  for (const Segment& s : segments_) out.push_back(s.info);
  return out;
}

}  // namespace laura
