// The csv format (record_format.h, RFC 4180): parser and writer.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/record_format.h"

namespace laura {
namespace {

class CsvParser final : public RecordParser {
 public:
  explicit CsvParser(bool header) : skip_header_(header) {}

  Step Parse(absl::string_view input, bool at_end, std::string* key,
             std::string* value) override {
    Step step;
    size_t i = 0;
    int fields = 0;
    // A lone line break is a blank line.
    if (input[0] == '\n' || (input[0] == '\r' && input.size() > 1 && input[1] == '\n')) {
      step.consumed = input[0] == '\n' ? 1 : 2;
      step.newlines = 1;
      step.outcome = Outcome::kSkip;
      return step;
    }
    while (true) {
      std::string* out = fields == 0 ? key : value;
      std::string scratch;
      if (fields >= 2) out = &scratch;
      out->clear();
      ++fields;
      if (i < input.size() && input[i] == '"') {
        ++i;
        while (true) {
          if (i >= input.size()) {
            if (!at_end) return NeedMore();
            return Fail(absl::StrCat("unterminated quoted field in field ", fields));
          }
          const char c = input[i];
          if (c == '"') {
            if (i + 1 >= input.size() && !at_end) return NeedMore();
            if (i + 1 < input.size() && input[i + 1] == '"') {
              out->push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++step.newlines;
          out->push_back(c);
          ++i;
        }
      } else {
        while (i < input.size() && input[i] != ',' && input[i] != '\n' &&
               !(input[i] == '\r' && (i + 1 >= input.size() || input[i + 1] == '\n'))) {
          if (input[i] == '"') {
            return Fail(absl::StrCat("quote inside unquoted field ", fields,
                                     " (quote the field and double the quote)"));
          }
          out->push_back(input[i++]);
        }
      }
      // After a field: a comma, a line break, or the end of input.
      if (i >= input.size()) {
        if (!at_end) return NeedMore();
        break;
      }
      if (input[i] == ',') {
        ++i;
        continue;
      }
      if (input[i] == '\r') {
        if (i + 1 >= input.size() && !at_end) return NeedMore();
        if (i + 1 < input.size() && input[i + 1] == '\n') ++i;
        else if (i + 1 < input.size()) return Fail("a CR not followed by LF after a field");
      }
      if (input[i] == '\n' || input[i] == '\r') {
        ++i;
        ++step.newlines;
        break;
      }
      return Fail(absl::StrCat("unexpected character after the closing quote of field ",
                               fields));
    }
    if (fields != 2) {
      return Fail(absl::StrCat("expected 2 fields (key,value), found ", fields));
    }
    step.consumed = i;
    step.outcome = Outcome::kRecord;
    if (skip_header_) {
      skip_header_ = false;
      step.outcome = Outcome::kSkip;
    }
    return step;
  }

 private:
  static Step NeedMore() {
    Step step;
    step.outcome = Outcome::kNeedMore;
    return step;
  }
  bool skip_header_;
};

bool NeedsQuotes(absl::string_view field) {
  for (unsigned char c : field) {
    if (c == ',' || c == '"' || c < 0x20 || c == 0x7f) return true;
  }
  return field.empty();  // "" keeps an empty key distinct from a blank line
}

void AppendCsvField(absl::string_view field, std::string* out) {
  if (!NeedsQuotes(field)) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

class CsvWriter final : public RecordWriter {
 public:
  explicit CsvWriter(bool header) : header_(header) {}
  void Begin(std::string* out) override {
    if (header_) out->append("key,value\r\n");
  }
  void Write(absl::string_view key, absl::string_view value, std::string* out) override {
    AppendCsvField(key, out);
    out->push_back(',');
    AppendCsvField(value, out);
    out->append("\r\n");
  }

 private:
  const bool header_;
};

}  // namespace

std::unique_ptr<RecordParser> NewCsvParser(bool header) {
  return std::make_unique<CsvParser>(header);
}
std::unique_ptr<RecordWriter> NewCsvWriter(bool header) {
  return std::make_unique<CsvWriter>(header);
}

}  // namespace laura
