// ImportFiles and ExportRecords (import_export.h).
#include "tools/import_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/progress.h"
#include "tools/record_reader.h"

namespace laura {

std::string ImportResult::ToString() const {
  std::string s = absl::StrFormat("imported %d records", records);
  if (skipped > 0) absl::StrAppendFormat(&s, ", skipped %d bad records", skipped);
  absl::StrAppendFormat(&s, " (%s) in %.2f s", bulk ? "bulk load" : "inserts", seconds);
  if (seconds > 0) absl::StrAppendFormat(&s, ", %.0f records/s", records / seconds);
  return s;
}

absl::StatusOr<ImportResult> ImportFiles(DB& db, const std::vector<std::string>& files,
                                         const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  // Open every file first, so a missing one fails before any work.
  std::vector<std::unique_ptr<RecordReader>> readers;
  uint64_t total = 0;
  for (const std::string& file : files) {
    absl::StatusOr<std::unique_ptr<RecordReader>> reader = RecordReader::Open(
        file, options.format.value_or(FormatForPath(file)), options.format_options);
    if (!reader.ok()) return reader.status();
    total += (*reader)->size();
    readers.push_back(std::move(*reader));
  }
  absl::StatusOr<std::unique_ptr<Loader>> loader =
      db.BeginLoad({.space = options.space, .overwrite = options.last_wins});
  if (!loader.ok()) return loader.status();
  Progress progress(options.progress, "import", total);
  ImportResult result;
  uint64_t done_bytes = 0;  // of finished files
  std::string key, value;
  for (auto& reader : readers) {
    while (true) {
      const uint64_t line = reader->line();
      absl::StatusOr<bool> more = reader->Next(&key, &value);
      absl::Status s = more.ok() ? absl::OkStatus() : more.status();
      if (s.ok() && !*more) break;
      if (s.ok()) {
        s = (*loader)->Put(key, value);
        // The loader's own errors get the record's place.
        if (!s.ok()) {
          s = absl::Status(s.code(),
                           absl::StrCat(reader->path(), ":", line, ": ", s.message()));
        }
      } else if (absl::IsInvalidArgument(s)) {
        reader->SkipBadRecord();
      }
      if (!s.ok()) {
        const bool bad_record = absl::IsInvalidArgument(s) || absl::IsAlreadyExists(s);
        if (!(options.skip_bad && bad_record)) {
          (*loader)->Abort().IgnoreError();
          return s;
        }
        ++result.skipped;
        continue;
      }
      progress.Update(done_bytes + reader->bytes_consumed(), (*loader)->count());
    }
    done_bytes += reader->bytes_consumed();
  }
  result.records = (*loader)->count();
  result.bulk = (*loader)->bulk();
  if (absl::Status s = (*loader)->Commit(); !s.ok()) return s;
  progress.Finish(done_bytes, result.records);
  result.bytes = done_bytes;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

namespace {

// Buffered output to a file descriptor, with errors kept. A regular file
// (or a new one) is written under a temporary name in the same directory
// and renamed into place by Commit, so a failed export leaves whatever was
// at the path untouched; anything else (a device, a pipe) is written
// straight, and never removed.
class Output {
 public:
  static absl::StatusOr<Output> Open(const std::string& path) {
    if (path == "-") return Output("<stdout>", STDOUT_FILENO, false, "");
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return OpenError(path);
      return Output(path, fd, true, "");
    }
    std::string temp = path + ".exporting-XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return OpenError(path);
    ::fchmod(fd, 0644 & ~CurrentUmask());
    return Output(path, fd, true, std::move(temp));
  }
  Output(Output&& o) noexcept
      : path_(o.path_), fd_(o.fd_), owned_(o.owned_), temp_(std::move(o.temp_)) {
    o.fd_ = -1;
    o.temp_.clear();
  }
  // Without a Commit, removes the temporary file (and nothing else).
  ~Output() {
    if (owned_ && fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  std::string& buffer() { return buffer_; }
  absl::Status FlushIfFull() { return buffer_.size() >= (1 << 20) ? Flush() : absl::OkStatus(); }
  absl::Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error("write failed");
      done += n;
    }
    written_ += buffer_.size();
    buffer_.clear();
    return absl::OkStatus();
  }
  // Flushes and closes; a temporary file is synced and renamed to the path.
  absl::Status Commit() {
    if (absl::Status s = Flush(); !s.ok()) return s;
    if (!temp_.empty() && ::fsync(fd_) != 0) return Error("sync failed");
    const int fd = std::exchange(fd_, -1);
    if (owned_ && ::close(fd) != 0) return Error("close failed");
    if (temp_.empty()) return absl::OkStatus();
    if (::rename(temp_.c_str(), path_.c_str()) != 0) return Error("cannot rename into place");
    temp_.clear();
    return absl::OkStatus();
  }
  uint64_t written() const { return written_ + buffer_.size(); }

 private:
  Output(std::string path, int fd, bool owned, std::string temp)
      : path_(std::move(path)), fd_(fd), owned_(owned), temp_(std::move(temp)) {}
  static absl::Status OpenError(const std::string& path) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  absl::Status Error(absl::string_view what) const {
    return absl::Status(errno == ENOSPC ? absl::StatusCode::kResourceExhausted
                                        : absl::StatusCode::kUnavailable,
                        absl::StrCat(path_, ": ", what, ": ", std::strerror(errno)));
  }
  static mode_t CurrentUmask() {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return mask;
  }
  std::string path_;
  int fd_;
  bool owned_;
  std::string temp_;  // the temporary file until Commit renames it, or ""
  std::string buffer_;
  uint64_t written_ = 0;
};

}  // namespace

absl::StatusOr<uint64_t> ExportRecords(Iterator& it, const std::string& path,
                                       const ExportOptions& options) {
  absl::StatusOr<Output> out = Output::Open(path);
  if (!out.ok()) return out.status();
  std::unique_ptr<RecordWriter> writer = NewRecordWriter(options.format, options.format_options);
  Progress progress(options.progress, "export", 0);
  uint64_t records = 0;
  absl::Status s;
  writer->Begin(&out->buffer());
  if (options.from.has_value()) {
    it.Seek(*options.from);
  } else {
    it.SeekToFirst();
  }
  for (; s.ok() && it.Valid(); it.Next()) {
    if (options.to.has_value() && it.key() >= absl::string_view(*options.to)) break;
    writer->Write(it.key(), it.value(), &out->buffer());
    ++records;
    s = out->FlushIfFull();
    progress.Update(out->written(), records);
  }
  if (s.ok()) s = it.status();
  if (s.ok()) {
    writer->End(records, &out->buffer());
    s = out->Commit();
  }
  if (!s.ok()) return s;  // out removes its temporary file, if any
  progress.Finish(out->written(), records);
  return records;
}

}  // namespace laura
