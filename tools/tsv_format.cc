// The tsv and laura formats (record_format.h): parsers and writers.
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "tools/line_parser.h"
#include "tools/text_escape.h"

namespace laura {
namespace {

constexpr absl::string_view kLauraHeader = "# laura-export v1";
constexpr absl::string_view kLauraEndPrefix = "# end ";

// Decodes one escaped field; the common case (no backslash) is a copy.
bool DecodeField(absl::string_view field, std::string* out, std::string* error,
                 absl::string_view which) {
  if (std::memchr(field.data(), '\\', field.size()) == nullptr) {
    out->assign(field.data(), field.size());
    return true;
  }
  absl::Status s = BackslashUnescape(field, out);
  if (!s.ok()) *error = absl::StrCat(which, ": ", s.message());
  return s.ok();
}

// key TAB value, escaped.
RecordParser::Outcome ParseTsvLine(absl::string_view line, std::string* key,
                                   std::string* value, std::string* error) {
  const char* tab = static_cast<const char*>(std::memchr(line.data(), '\t', line.size()));
  if (tab == nullptr) {
    *error = "no tab between key and value";
    return RecordParser::Outcome::kError;
  }
  const size_t split = tab - line.data();
  const absl::string_view value_field = line.substr(split + 1);
  if (std::memchr(value_field.data(), '\t', value_field.size()) != nullptr) {
    *error = "more than one tab (a tab inside a field is written \\t)";
    return RecordParser::Outcome::kError;
  }
  if (!DecodeField(line.substr(0, split), key, error, "key") ||
      !DecodeField(value_field, value, error, "value")) {
    return RecordParser::Outcome::kError;
  }
  return RecordParser::Outcome::kRecord;
}

class TsvParser final : public LineParser {
 protected:
  Outcome ParseLine(absl::string_view line, std::string* key, std::string* value) override {
    if (line.empty()) return Outcome::kSkip;
    return ParseTsvLine(line, key, value, &error_);
  }
};

class LauraParser final : public LineParser {
 public:
  absl::Status Finish() override {
    if (state_ == State::kEnded) return absl::OkStatus();
    error_ = state_ == State::kHeader
                 ? "empty file: not a laura export"
                 : "truncated: the \"# end N\" line that ends a laura export is missing";
    return absl::InvalidArgumentError(error_);
  }

 protected:
  Outcome ParseLine(absl::string_view line, std::string* key, std::string* value) override {
    switch (state_) {
      case State::kHeader:
        if (line != kLauraHeader) {
          return Error(absl::StrCat("not a laura export: the first line must be \"",
                                    kLauraHeader, "\""));
        }
        state_ = State::kRecords;
        return Outcome::kSkip;
      case State::kEnded:
        if (line.empty()) return Outcome::kSkip;
        return Error("data after the \"# end\" line");
      case State::kRecords:
        break;
    }
    if (absl::StartsWith(line, kLauraEndPrefix) &&
        std::memchr(line.data(), '\t', line.size()) == nullptr) {
      uint64_t count;
      if (!absl::SimpleAtoi(line.substr(kLauraEndPrefix.size()), &count)) {
        return Error("bad end line: expected \"# end N\"");
      }
      if (count != records_) {
        return Error(absl::StrCat("the end line counts ", count, " records but the file has ",
                                  records_));
      }
      state_ = State::kEnded;
      return Outcome::kSkip;
    }
    const Outcome outcome = ParseTsvLine(line, key, value, &error_);
    if (outcome == Outcome::kRecord) ++records_;
    return outcome;
  }

 private:
  enum class State { kHeader, kRecords, kEnded };
  State state_ = State::kHeader;
  uint64_t records_ = 0;
};

class TsvWriter : public RecordWriter {
 public:
  void Write(absl::string_view key, absl::string_view value, std::string* out) override {
    BackslashEscape(key, out);
    out->push_back('\t');
    BackslashEscape(value, out);
    out->push_back('\n');
  }
};

class LauraWriter final : public TsvWriter {
 public:
  void Begin(std::string* out) override { absl::StrAppend(out, kLauraHeader, "\n"); }
  void End(uint64_t records, std::string* out) override {
    absl::StrAppend(out, kLauraEndPrefix, records, "\n");
  }
};

}  // namespace

std::unique_ptr<RecordParser> NewTsvParser() { return std::make_unique<TsvParser>(); }
std::unique_ptr<RecordParser> NewLauraParser() { return std::make_unique<LauraParser>(); }
std::unique_ptr<RecordWriter> NewTsvWriter() { return std::make_unique<TsvWriter>(); }
std::unique_ptr<RecordWriter> NewLauraWriter() { return std::make_unique<LauraWriter>(); }

}  // namespace laura
