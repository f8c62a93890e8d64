// LineParser: the base of the line-based formats (tsv, laura, jsonl): cuts
// the next line off the input and hands it to ParseLine.
#ifndef LAURA_TOOLS_LINE_PARSER_H_
#define LAURA_TOOLS_LINE_PARSER_H_

#include <cstring>
#include <string>

#include "tools/record_format.h"

namespace laura {

class LineParser : public RecordParser {
 public:
  Step Parse(absl::string_view input, bool at_end, std::string* key,
             std::string* value) final {
    const void* nl = std::memchr(input.data(), '\n', input.size());
    Step step;
    absl::string_view line;
    if (nl != nullptr) {
      line = input.substr(0, static_cast<const char*>(nl) - input.data());
      step.consumed = line.size() + 1;
      step.newlines = 1;
    } else if (!at_end) {
      step.outcome = Outcome::kNeedMore;
      return step;
    } else {
      line = input;
      step.consumed = input.size();
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Outcome outcome = ParseLine(line, key, value);
    if (outcome == Outcome::kError) return Step{};
    step.outcome = outcome;
    return step;
  }

 protected:
  // kRecord, kSkip, or kError after Fail.
  virtual Outcome ParseLine(absl::string_view line, std::string* key, std::string* value) = 0;
  Outcome Error(std::string message) {
    Fail(std::move(message));
    return Outcome::kError;
  }
};

}  // namespace laura

#endif  // LAURA_TOOLS_LINE_PARSER_H_
