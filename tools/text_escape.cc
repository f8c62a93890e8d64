// Byte escapes shared by the shell and the text formats (text_escape.h).
#include "tools/text_escape.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace laura {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendHexByte(unsigned char c, std::string* out) {
  out->push_back(kHexDigits[c >> 4]);
  out->push_back(kHexDigits[c & 15]);
}

bool IsShellWordChar(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != ';' && c != '"' && c != '\'';
}

// The escape letter for a byte written as \<letter>, or 0.
char NamedEscape(unsigned char c) {
  switch (c) {
    case '\\': return '\\';
    case '\t': return 't';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\0': return '0';
    default: return 0;
  }
}

// The length (2 to 4) of the well-formed UTF-8 sequence at bytes[i] if it
// encodes a printable character (U+00A0 and up: no C1 control, no
// surrogate, no overlong form, at most U+10FFFF); 0 otherwise.
size_t PrintableUtf8At(absl::string_view bytes, size_t i, uint32_t* code_point = nullptr) {
  const unsigned char lead = static_cast<unsigned char>(bytes[i]);
  size_t n;
  uint32_t cp;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2, cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3, cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (bytes.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const unsigned char c = static_cast<unsigned char>(bytes[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (c & 0x3f);
  }
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[n] || cp < 0xa0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  if (code_point != nullptr) *code_point = cp;
  return n;
}

// Spaces outside ASCII: text, but a word holding one would look split.
bool IsUnicodeSpace(uint32_t cp) {
  return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

// Whether bytes read back as one shell word: word characters and
// printable UTF-8 other than spaces, not starting with # (a comment).
bool IsShellWord(absl::string_view bytes) {
  if (bytes.empty() || bytes[0] == '#') return false;
  for (size_t i = 0; i < bytes.size();) {
    if (IsShellWordChar(static_cast<unsigned char>(bytes[i]))) {
      ++i;
    } else if (uint32_t cp; size_t n = PrintableUtf8At(bytes, i, &cp)) {
      if (IsUnicodeSpace(cp)) return false;
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ShellQuote(absl::string_view bytes) {
  if (IsShellWord(bytes)) return std::string(bytes);
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (size_t n = c >= 0x80 ? PrintableUtf8At(bytes, i) : 0; n > 0) {
      out.append(bytes.data() + i, n);  // text stays text
      i += n - 1;
    } else if (char e = NamedEscape(c); e != 0) {
      out.push_back('\\');
      out.push_back(e);
    } else if (c == '"') {
      out += "\\\"";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      AppendHexByte(c, &out);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

void BackslashEscape(absl::string_view field, std::string* out) {
  for (unsigned char c : field) {
    if (char e = NamedEscape(c); e != 0) {
      out->push_back('\\');
      out->push_back(e);
    } else if (c < 0x20 || c == 0x7f) {
      out->append("\\x");
      AppendHexByte(c, out);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

absl::Status BackslashUnescape(absl::string_view field, std::string* out) {
  out->clear();
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i == field.size()) return absl::InvalidArgumentError("backslash at the end of a field");
    switch (field[i]) {
      case '\\': out->push_back('\\'); break;
      case 't': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case '0': out->push_back('\0'); break;
      case '"': out->push_back('"'); break;
      case 'x': {
        const int hi = i + 1 < field.size() ? HexValue(field[i + 1]) : -1;
        const int lo = i + 2 < field.size() ? HexValue(field[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return absl::InvalidArgumentError("\\x must be followed by two hex digits");
        }
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default: {
        const unsigned char bad = field[i];
        std::string shown(1, static_cast<char>(bad));
        if (bad < 0x20 || bad >= 0x7f) {
          shown = "x";
          AppendHexByte(bad, &shown);
        }
        return absl::InvalidArgumentError(absl::StrCat("unknown escape \\", shown));
      }
    }
  }
  return absl::OkStatus();
}

void HexEncode(absl::string_view bytes, std::string* out) {
  for (unsigned char c : bytes) AppendHexByte(c, out);
}

absl::Status HexDecode(absl::string_view hex, std::string* out) {
  out->clear();
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("hex literal has an odd number of digits");
  }
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", hex.substr(hi < 0 ? i : i + 1, 1), "' is not a hex digit"));
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((p[k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += extra + 1;
  }
  return true;
}

}  // namespace laura
