// ParseShellLine: splits a shell line into commands and their tokens, in
// the notation of text_escape.h (words, "escaped", 'raw', x'hex', ;, #).
#ifndef LAURA_TOOLS_SHELL_LEXER_H_
#define LAURA_TOOLS_SHELL_LEXER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace laura {

struct ShellToken {
  std::string text;
  // Some of it was quoted: never read as an option like --limit.
  bool quoted = false;
};
using ShellCommand = std::vector<ShellToken>;

// The commands of one line, empty ones dropped. InvalidArgument naming
// the problem and its column (from 1): an unterminated quote, a bad
// escape, a bad hex literal.
absl::StatusOr<std::vector<ShellCommand>> ParseShellLine(absl::string_view line);

}  // namespace laura

#endif  // LAURA_TOOLS_SHELL_LEXER_H_
