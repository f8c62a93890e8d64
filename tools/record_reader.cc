// RecordReader (record_reader.h).
#include "tools/record_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace laura {
namespace {

constexpr size_t kInitialBuffer = size_t{1} << 20;

absl::Status ErrnoError(const std::string& path, absl::string_view what, int err) {
  const std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                                 Format format,
                                                                 const FormatOptions& options) {
  int fd = 0;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(path, "cannot open", errno);
  }
  struct stat st;
  uint64_t size = 0;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) size = st.st_size;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  if (size > 0) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<RecordReader>(
      new RecordReader(path == "-" ? "<stdin>" : path, fd, size, format, options));
}

std::unique_ptr<RecordReader> RecordReader::FromString(std::string name, std::string data,
                                                       Format format,
                                                       const FormatOptions& options) {
  std::unique_ptr<RecordReader> reader(
      new RecordReader(std::move(name), -1, data.size(), format, options));
  reader->buffer_.assign(data.begin(), data.end());
  reader->end_ = data.size();
  reader->eof_ = true;
  return reader;
}

RecordReader::RecordReader(std::string path, int fd, uint64_t size, Format format,
                           const FormatOptions& options)
    : path_(std::move(path)), fd_(fd), size_(size), parser_(NewRecordParser(format, options)) {
  if (fd_ >= 0) buffer_.resize(kInitialBuffer);
}

RecordReader::~RecordReader() {
  if (fd_ > 0) ::close(fd_);
}

absl::StatusOr<bool> RecordReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= kMaxRecordBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ":", line_, ": record longer than ", kMaxRecordBytes, " bytes"));
    }
    buffer_.resize(std::min(buffer_.size() * 2, kMaxRecordBytes));
  }
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(path_, "read failed", errno);
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += n;
    return true;
  }
}

absl::StatusOr<bool> RecordReader::Next(std::string* key, std::string* value) {
  while (true) {
    if (begin_ == end_) {
      absl::StatusOr<bool> more = Fill();
      if (!more.ok()) return more.status();
      if (!*more) {
        if (finished_) return false;
        finished_ = true;
        if (absl::Status s = parser_->Finish(); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(path_, ":", line_, ": ", s.message()));
        }
        return false;
      }
    }
    const RecordParser::Step step = parser_->Parse(
        absl::string_view(buffer_.data() + begin_, end_ - begin_), eof_, key, value);
    switch (step.outcome) {
      case RecordParser::Outcome::kNeedMore: {
        absl::StatusOr<bool> more = Fill();
        if (!more.ok()) return more.status();
        continue;  // parsed again, with at_end set if nothing came
      }
      case RecordParser::Outcome::kError:
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ":", line_, ": ", parser_->error()));
      case RecordParser::Outcome::kSkip:
      case RecordParser::Outcome::kRecord:
        begin_ += step.consumed;
        consumed_ += step.consumed;
        line_ += step.newlines;
        if (step.outcome == RecordParser::Outcome::kRecord) return true;
        continue;
    }
  }
}

void RecordReader::SkipBadRecord() {
  while (true) {
    // memchr must not see a null pointer, even for 0 bytes (an empty buffer).
    const void* nl =
        begin_ < end_ ? std::memchr(buffer_.data() + begin_, '\n', end_ - begin_) : nullptr;
    if (nl != nullptr) {
      const size_t skip = static_cast<const char*>(nl) - (buffer_.data() + begin_) + 1;
      begin_ += skip;
      consumed_ += skip;
      ++line_;
      return;
    }
    consumed_ += end_ - begin_;
    begin_ = end_;
    absl::StatusOr<bool> more = Fill();
    if (!more.ok() || !*more) return;
  }
}

}  // namespace laura
