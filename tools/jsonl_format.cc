// The jsonl format (record_format.h): parser and writer. The parser takes
// exactly what the format allows: one object per line whose members are
// strings named key, key_hex, value and value_hex.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"
#include "tools/line_parser.h"
#include "tools/text_escape.h"

namespace laura {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// A cursor over one line of JSON.
class JsonLine {
 public:
  explicit JsonLine(absl::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  size_t column() const { return pos_ + 1; }

  // A JSON string into out (UTF-8). Error text on failure.
  absl::Status String(std::string* out) {
    out->clear();
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '"') return Bad("expected a string");
    ++pos_;
    const size_t start = pos_;
    while (true) {
      if (pos_ >= text_.size()) return Bad("unterminated string");
      const unsigned char c = text_[pos_];
      if (c == '"') break;
      if (c < 0x20) return Bad("control character inside a string (escape it)");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      if (++pos_ >= text_.size()) return Bad("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          LAURA_RETURN_IF_ERROR(Hex4(&cp));
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (pos_ + 1 >= text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
              return Bad("high surrogate without a low one");
            }
            pos_ += 2;
            LAURA_RETURN_IF_ERROR(Hex4(&low));
            if (low < 0xdc00 || low > 0xdfff) return Bad("high surrogate without a low one");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return Bad("low surrogate without a high one");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Bad("unknown escape in a string");
      }
    }
    if (!IsValidUtf8(absl::string_view(text_.data() + start, pos_ - start))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "string is not valid UTF-8 (carry bytes in key_hex / value_hex) at column ", start));
    }
    ++pos_;
    return absl::OkStatus();
  }

  absl::Status Bad(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(what, " at column ", pos_ + 1));
  }

 private:
  absl::Status Hex4(uint32_t* cp) {
    if (pos_ + 4 > text_.size()) return Bad("\\u needs four hex digits");
    *cp = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = HexDigit(text_[pos_ + k]);
      if (d < 0) return Bad("\\u needs four hex digits");
      *cp = *cp * 16 + d;
    }
    pos_ += 4;
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

class JsonlParser final : public LineParser {
 protected:
  Outcome ParseLine(absl::string_view line, std::string* key, std::string* value) override {
    JsonLine json(line);
    json.SkipSpace();
    if (json.AtEnd()) return Outcome::kSkip;
    if (!json.Consume('{')) return Error(std::string(json.Bad("expected '{'").message()));
    bool have_key = false, have_value = false;
    if (!json.Consume('}')) {
      do {
        absl::Status s = json.String(&name_);
        if (!s.ok()) return Error(std::string(s.message()));
        if (!json.Consume(':')) return Error(std::string(json.Bad("expected ':'").message()));
        const bool is_key = name_ == "key" || name_ == "key_hex";
        const bool is_value = name_ == "value" || name_ == "value_hex";
        if (!is_key && !is_value) {
          return Error(absl::StrCat("unknown member \"", name_,
                                    "\" (expected key or key_hex, value or value_hex)"));
        }
        bool& have = is_key ? have_key : have_value;
        if (have) return Error(absl::StrCat("more than one ", is_key ? "key" : "value", " member"));
        have = true;
        const bool hex = name_.size() > 4 && name_.substr(name_.size() - 4) == "_hex";
        std::string* out = is_key ? key : value;
        s = json.String(hex ? &text_ : out);
        if (s.ok() && hex) {
          s = HexDecode(text_, out);
          if (!s.ok()) s = json.Bad(absl::StrCat(name_, ": ", s.message()));
        }
        if (!s.ok()) return Error(std::string(s.message()));
      } while (json.Consume(','));
      if (!json.Consume('}')) return Error(std::string(json.Bad("expected ',' or '}'").message()));
    }
    json.SkipSpace();
    if (!json.AtEnd()) return Error(std::string(json.Bad("text after the object").message()));
    if (!have_key) return Error("the object has no key (or key_hex) member");
    if (!have_value) return Error("the object has no value (or value_hex) member");
    return Outcome::kRecord;
  }

 private:
  std::string name_, text_;
};

void AppendJsonMember(absl::string_view name, absl::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  out->append(name.data(), name.size());
  if (!IsValidUtf8(bytes)) {
    out->append("_hex\": \"");
    HexEncode(bytes, out);
    out->push_back('"');
    return;
  }
  out->append("\": \"");
  for (unsigned char c : bytes) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

class JsonlWriter final : public RecordWriter {
 public:
  void Write(absl::string_view key, absl::string_view value, std::string* out) override {
    out->push_back('{');
    AppendJsonMember("key", key, out);
    out->append(", ");
    AppendJsonMember("value", value, out);
    out->append("}\n");
  }
};

}  // namespace

std::unique_ptr<RecordParser> NewJsonlParser() { return std::make_unique<JsonlParser>(); }
std::unique_ptr<RecordWriter> NewJsonlWriter() { return std::make_unique<JsonlWriter>(); }

}  // namespace laura
