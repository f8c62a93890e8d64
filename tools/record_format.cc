// Format names and the parser/writer factories (record_format.h).
#include "tools/record_format.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace laura {

// Defined with their formats in tsv_format.cc, csv_format.cc and
// jsonl_format.cc.
std::unique_ptr<RecordParser> NewTsvParser();
std::unique_ptr<RecordParser> NewLauraParser();
std::unique_ptr<RecordParser> NewCsvParser(bool header);
std::unique_ptr<RecordParser> NewJsonlParser();
std::unique_ptr<RecordWriter> NewTsvWriter();
std::unique_ptr<RecordWriter> NewLauraWriter();
std::unique_ptr<RecordWriter> NewCsvWriter(bool header);
std::unique_ptr<RecordWriter> NewJsonlWriter();

absl::StatusOr<Format> ParseFormatName(absl::string_view name) {
  if (name == "tsv") return Format::kTsv;
  if (name == "csv") return Format::kCsv;
  if (name == "jsonl") return Format::kJsonl;
  if (name == "laura") return Format::kLaura;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "' (choose tsv, csv, jsonl or laura)"));
}

absl::string_view FormatName(Format format) {
  switch (format) {
    case Format::kTsv: return "tsv";
    case Format::kCsv: return "csv";
    case Format::kJsonl: return "jsonl";
    case Format::kLaura: return "laura";
  }
  return "?";
}

Format FormatForPath(absl::string_view path) {
  if (absl::EndsWithIgnoreCase(path, ".tsv")) return Format::kTsv;
  if (absl::EndsWithIgnoreCase(path, ".csv")) return Format::kCsv;
  if (absl::EndsWithIgnoreCase(path, ".jsonl") || absl::EndsWithIgnoreCase(path, ".ndjson")) {
    return Format::kJsonl;
  }
  return Format::kLaura;
}

std::unique_ptr<RecordParser> NewRecordParser(Format format, const FormatOptions& options) {
  switch (format) {
    case Format::kTsv: return NewTsvParser();
    case Format::kCsv: return NewCsvParser(options.csv_header);
    case Format::kJsonl: return NewJsonlParser();
    case Format::kLaura: return NewLauraParser();
  }
  return nullptr;
}

std::unique_ptr<RecordWriter> NewRecordWriter(Format format, const FormatOptions& options) {
  switch (format) {
    case Format::kTsv: return NewTsvWriter();
    case Format::kCsv: return NewCsvWriter(options.csv_header);
    case Format::kJsonl: return NewJsonlWriter();
    case Format::kLaura: return NewLauraWriter();
  }
  return nullptr;
}

}  // namespace laura
