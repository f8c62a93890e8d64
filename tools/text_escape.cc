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

}  // namespace

std::string ShellQuote(absl::string_view bytes) {
  bool word = !bytes.empty();
  for (unsigned char c : bytes) word = word && IsShellWordChar(c);
  // A word starting with # would read as a comment.
  if (word && bytes[0] != '#') {
    return std::string(bytes);
  }
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (char e = NamedEscape(c); e != 0) {
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
