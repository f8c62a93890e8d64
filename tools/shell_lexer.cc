// The shell's tokenizer (shell_lexer.h).
#include "tools/shell_lexer.h"

#include "absl/strings/str_cat.h"
#include "tools/text_escape.h"

namespace laura {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool EndsWord(char c) { return IsSpace(c) || c == ';' || c == '"' || c == '\''; }

absl::Status At(size_t column, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " at column ", column + 1));
}

// Reads the quoted piece starting at line[*i] (a quote) into out.
absl::Status ReadQuoted(absl::string_view line, size_t* i, bool hex, std::string* out) {
  const size_t start = *i;
  const char quote = line[*i];
  size_t j = *i + 1;
  std::string raw;
  while (j < line.size() && line[j] != quote) {
    if (quote == '"' && line[j] == '\\' && j + 1 < line.size()) raw.push_back(line[j++]);
    raw.push_back(line[j++]);
  }
  if (j >= line.size()) {
    return At(start, hex ? "unterminated hex literal" : "unterminated quote");
  }
  *i = j + 1;
  std::string bytes;
  absl::Status s = absl::OkStatus();
  if (hex) {
    s = HexDecode(raw, &bytes);
  } else if (quote == '"') {
    s = BackslashUnescape(raw, &bytes);
  } else {
    bytes = std::move(raw);
  }
  if (!s.ok()) return At(start, s.message());
  out->append(bytes);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ShellCommand>> ParseShellLine(absl::string_view line) {
  std::vector<ShellCommand> commands(1);
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == ';') {
      if (!commands.back().empty()) commands.emplace_back();
      ++i;
      continue;
    }
    if (c == '#') break;  // a comment to the end of the line
    ShellToken token;
    while (i < line.size() && !IsSpace(line[i]) && line[i] != ';') {
      if (line[i] == '"' || line[i] == '\'') {
        if (absl::Status s = ReadQuoted(line, &i, /*hex=*/false, &token.text); !s.ok()) return s;
        token.quoted = true;
      } else if (line[i] == 'x' && token.text.empty() && !token.quoted &&
                 i + 1 < line.size() && line[i + 1] == '\'') {
        ++i;
        if (absl::Status s = ReadQuoted(line, &i, /*hex=*/true, &token.text); !s.ok()) return s;
        token.quoted = true;
      } else {
        while (i < line.size() && !EndsWord(line[i])) token.text.push_back(line[i++]);
      }
    }
    commands.back().push_back(std::move(token));
  }
  if (commands.back().empty()) commands.pop_back();
  return commands;
}

}  // namespace laura
