// How the shell and the text formats write bytes that are not plain text.
//
// Shell tokens (ParseShellLine) and shell output (ShellQuote):
//   word          a run of characters other than space, tab, ; " and ',
//                 not starting with #, taken as is  put user/1 ada
//   "text"        double quotes with backslash escapes: \\ \" \n \t \r \0
//                 and \xHH (any byte)               put k "two words\n"
//   'text'        single quotes, taken as is        put k 'say "hi"'
//   x'00ff'       hex literal: the bytes written in hex (even count)
//   ;             ends a command; # starting a word starts a comment
// Adjacent pieces make one token: key"\t"1 is key, a tab, then 1.
// ShellQuote prints a word as is when it is one, otherwise in double
// quotes with those escapes; printable UTF-8 stays text, and every other
// byte outside printable ASCII is written \xHH, so whatever the shell
// prints can be typed back to mean the same bytes.
//
// TSV and the export format escape a field with BackslashEscape: \\ \t \n
// \r \0 are written so, other bytes below 0x20 and 0x7f as \xHH, all
// else (UTF-8 or not) as is; BackslashUnescape reverses it and names the
// first bad escape.
#ifndef LAURA_TOOLS_TEXT_ESCAPE_H_
#define LAURA_TOOLS_TEXT_ESCAPE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace laura {

// The shell's printed form of bytes (see above).
std::string ShellQuote(absl::string_view bytes);

// Appends the TSV form of field to out.
void BackslashEscape(absl::string_view field, std::string* out);
// Decodes an escaped field into out. InvalidArgument naming the bad escape.
absl::Status BackslashUnescape(absl::string_view field, std::string* out);

// Appends two lowercase hex digits per byte.
void HexEncode(absl::string_view bytes, std::string* out);
// InvalidArgument for an odd count or a non-hex digit.
absl::Status HexDecode(absl::string_view hex, std::string* out);

// Whether bytes are well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(absl::string_view bytes);

}  // namespace laura

#endif  // LAURA_TOOLS_TEXT_ESCAPE_H_
