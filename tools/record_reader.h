// RecordReader: reads the records of one import file (or standard input)
// through a RecordParser, with bounded memory: a buffer that holds the
// record being parsed (it grows up to kMaxRecordBytes for one record).
#ifndef LAURA_TOOLS_RECORD_READER_H_
#define LAURA_TOOLS_RECORD_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/record_format.h"

namespace laura {

class RecordReader {
 public:
  // A record whose text is longer than this is refused.
  static constexpr size_t kMaxRecordBytes = size_t{1} << 30;

  // path "-" is standard input. NotFound / PermissionDenied name the path.
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(const std::string& path,
                                                            Format format,
                                                            const FormatOptions& options);
  // Reads from a string (tests and fuzz targets).
  static std::unique_ptr<RecordReader> FromString(std::string name, std::string data,
                                                  Format format,
                                                  const FormatOptions& options = {});
  ~RecordReader();

  // The next record into key and value: true, or false at the end.
  // A malformed record is InvalidArgument "PATH:LINE: what" (the line the
  // record starts on); SkipBadRecord then moves past it. Read errors are
  // returned as they come.
  absl::StatusOr<bool> Next(std::string* key, std::string* value);
  // After an InvalidArgument from Next: skips to the next line.
  void SkipBadRecord();

  const std::string& path() const { return path_; }
  uint64_t line() const { return line_; }              // of the next record
  uint64_t bytes_consumed() const { return consumed_; }
  uint64_t size() const { return size_; }              // 0 if unknown (a pipe)

 private:
  RecordReader(std::string path, int fd, uint64_t size, Format format,
               const FormatOptions& options);
  // Reads more input after the unparsed bytes. False at the end of input.
  absl::StatusOr<bool> Fill();

  const std::string path_;
  const int fd_;  // -1 when reading from memory
  const uint64_t size_;
  std::unique_ptr<RecordParser> parser_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unparsed bytes
  bool eof_ = false;
  bool finished_ = false;
  uint64_t line_ = 1;
  uint64_t consumed_ = 0;
};

}  // namespace laura

#endif  // LAURA_TOOLS_RECORD_READER_H_
