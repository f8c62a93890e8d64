// Fuzz target: one import parser (the format is fixed at compile time by
// LAURA_IMPORT_FORMAT, one binary per format). The first input byte picks
// the csv header option and the size of the pieces the input arrives in;
// the rest is the file. Checks, beyond "no crash, no out-of-bounds read":
//   - the parser gives the same records and the same error (at the same
//     line) whether the file arrives whole or in small pieces, as it does
//     from a pipe;
//   - every record it accepts, written back by the same format's writer,
//     parses again to the same key and value;
//   - skipping bad records (--skip-bad) always makes progress.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/record_format.h"
#include "tools/record_reader.h"

namespace {

constexpr laura::Format kFormat = laura::Format::LAURA_IMPORT_FORMAT;

struct Outcome {
  std::vector<std::pair<std::string, std::string>> records;
  std::string error;  // "" when the whole input parsed
  bool operator==(const Outcome&) const = default;
};

// Feeds the parser as RecordReader does, but widening the visible input
// by `piece` bytes each time the parser asks for more.
Outcome ParseInPieces(const std::string& text, size_t piece, const laura::FormatOptions& options) {
  std::unique_ptr<laura::RecordParser> parser = laura::NewRecordParser(kFormat, options);
  Outcome outcome;
  uint64_t line = 1;
  size_t begin = 0, end = std::min(text.size(), piece);
  std::string key, value;
  while (begin < text.size()) {
    const bool at_end = end == text.size();
    const laura::RecordParser::Step step =
        parser->Parse(absl::string_view(text).substr(begin, end - begin), at_end, &key, &value);
    using O = laura::RecordParser::Outcome;
    if (step.outcome == O::kNeedMore) {
      if (at_end) std::abort();  // asked for more when told there is none
      end = std::min(text.size(), end + piece);
      continue;
    }
    if (step.outcome == O::kError) {
      outcome.error = std::to_string(line) + ": " + parser->error();
      return outcome;
    }
    if (step.consumed == 0 || step.consumed > end - begin) std::abort();
    begin += step.consumed;
    line += step.newlines;
    if (end < begin) end = begin;
    if (end == begin) end = std::min(text.size(), begin + piece);
    if (step.outcome == O::kRecord) outcome.records.emplace_back(key, value);
  }
  if (absl::Status s = parser->Finish(); !s.ok()) {
    outcome.error = std::to_string(line) + ": " + std::string(s.message());
  }
  return outcome;
}

// The same through RecordReader, with the file whole in memory.
Outcome ParseWhole(const std::string& text, const laura::FormatOptions& options) {
  auto reader = laura::RecordReader::FromString("f", text, kFormat, options);
  Outcome outcome;
  std::string key, value;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&key, &value);
    if (!more.ok()) {
      // "f:LINE: what" -> "LINE: what", as ParseInPieces words it.
      outcome.error = std::string(more.status().message()).substr(2);
      return outcome;
    }
    if (!*more) return outcome;
    outcome.records.emplace_back(key, value);
  }
}

// With --skip-bad the reader reaches the end of any input: each skip
// moves past at least one byte, so the calls are bounded by its size.
void SkipBadRecordsToTheEnd(const std::string& text, const laura::FormatOptions& options) {
  auto reader = laura::RecordReader::FromString("f", text, kFormat, options);
  std::string key, value;
  for (size_t calls = 0; calls <= 2 * text.size() + 2; ++calls) {
    absl::StatusOr<bool> more = reader->Next(&key, &value);
    if (more.ok() && !*more) return;
    if (!more.ok()) reader->SkipBadRecord();
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  laura::FormatOptions options;
  options.csv_header = (data[0] & 0x80) != 0;
  const size_t piece = 1 + (data[0] & 0x0f);
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = ParseWhole(text, options);
  const Outcome pieces = ParseInPieces(text, piece, options);
  if (!(whole == pieces)) std::abort();

  if (whole.error.empty()) {
    std::unique_ptr<laura::RecordWriter> writer = laura::NewRecordWriter(kFormat, options);
    std::string written;
    writer->Begin(&written);
    for (const auto& [key, value] : whole.records) writer->Write(key, value, &written);
    writer->End(whole.records.size(), &written);
    const Outcome again = ParseWhole(written, options);
    if (!again.error.empty() || again.records != whole.records) std::abort();
  }
  SkipBadRecordsToTheEnd(text, options);
  return 0;
}
