// The import/export formats: one parser and one writer per format.
//
//   tsv    key TAB value LF per record; both fields escaped as in
//          text_escape.h (\t \n \r \\ \0 \xHH), so a field holds any byte.
//          A CR before the LF is dropped; empty lines are skipped.
//   csv    RFC 4180: two fields per record, separated by a comma, ended by
//          LF or CRLF; a field with a comma, quote, CR or LF (or any byte,
//          NUL included) is written in double quotes, a quote inside as "".
//          Optional header record (skipped on import, "key,value" on export).
//   jsonl  one JSON object per line: {"key": "...", "value": "..."}. Bytes
//          that are not valid UTF-8 travel as lowercase hex in "key_hex" /
//          "value_hex" instead. Each object has exactly one key member and
//          one value member; nothing else.
//   laura  the export format: the line "# laura-export v1", then tsv
//          records, then the line "# end N" with the record count, so a
//          truncated file is detected. Export then import reproduces any
//          database exactly.
#ifndef LAURA_TOOLS_RECORD_FORMAT_H_
#define LAURA_TOOLS_RECORD_FORMAT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace laura {

enum class Format { kTsv, kCsv, kJsonl, kLaura };

// "tsv", "csv", "jsonl", "laura"; InvalidArgument naming the choices.
absl::StatusOr<Format> ParseFormatName(absl::string_view name);
absl::string_view FormatName(Format format);
// By file extension (.tsv .csv .jsonl .ndjson .laura); kLaura otherwise.
Format FormatForPath(absl::string_view path);

struct FormatOptions {
  // csv: the first record is a header (skipped on import, written on export).
  bool csv_header = false;
};

// Parses records from the front of a buffer; the caller (RecordReader)
// refills it. Keys and values are decoded into the caller's strings.
class RecordParser {
 public:
  enum class Outcome {
    kRecord,    // key and value hold a record
    kSkip,      // a line that holds no record (blank, header, trailer)
    kNeedMore,  // input ends inside a record: call again with more
    kError,     // error() says what is wrong
  };
  struct Step {
    Outcome outcome = Outcome::kError;
    size_t consumed = 0;    // bytes of input used
    uint64_t newlines = 0;  // line breaks among them
  };

  virtual ~RecordParser() = default;
  // at_end: no input follows this buffer.
  virtual Step Parse(absl::string_view input, bool at_end, std::string* key,
                     std::string* value) = 0;
  // After the last record: an error if the input ended too soon.
  virtual absl::Status Finish() { return absl::OkStatus(); }
  // The problem found by the last kError step (or Finish).
  const std::string& error() const { return error_; }

 protected:
  Step Fail(std::string message) {
    error_ = std::move(message);
    return Step{};
  }
  std::string error_;
};

std::unique_ptr<RecordParser> NewRecordParser(Format format, const FormatOptions& options = {});

// Appends records in a format to a string the caller writes out.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void Begin(std::string* out) { (void)out; }
  virtual void Write(absl::string_view key, absl::string_view value, std::string* out) = 0;
  virtual void End(uint64_t records, std::string* out) {
    (void)records;
    (void)out;
  }
};

std::unique_ptr<RecordWriter> NewRecordWriter(Format format, const FormatOptions& options = {});

}  // namespace laura

#endif  // LAURA_TOOLS_RECORD_FORMAT_H_
