// Tests for the byte notations and the import/export formats: shell
// quoting and tokenizing round trips, each format's writer read back by
// its parser for awkward bytes (tabs, newlines, quotes, NUL, non-UTF-8),
// and malformed inputs rejected with the right line number.
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/record_format.h"
#include "tools/record_reader.h"
#include "tools/shell_lexer.h"
#include "tools/text_escape.h"

namespace laura {
namespace {

constexpr uint32_t kSeed = 20261125;

std::string RandomBytes(std::mt19937& rng, size_t max_len) {
  static const std::string kAwkward = std::string("\t\n\r\"'\\,;# x{}:", 15) + std::string(1, '\0');
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) {
    switch (rng() % 3) {
      case 0: c = static_cast<char>(rng() % 256); break;
      case 1: c = kAwkward[rng() % kAwkward.size()]; break;
      default: c = static_cast<char>('a' + rng() % 26); break;
    }
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> AwkwardRecords() {
  std::vector<std::pair<std::string, std::string>> records = {
      {"plain", "value"},
      {"", "empty key"},
      {"empty value", ""},
      {"tab\there", "new\nline"},
      {"cr\r\nlf", "quote \" and ''"},
      {std::string("nul\0byte", 8), std::string("\0", 1)},
      {"\xff\xfe not utf-8", "\xc3\xa9t\xc3\xa9 (utf-8)"},
      {"comma,key", "\"quoted\",\"csv\""},
      {"back\\slash", "\\x41 is not A"},
      {"# end 3", "looks like a trailer"},
      {"# laura-export v1", "looks like a header"},
      {"{\"key\": 1}", "json-looking"},
  };
  std::mt19937 rng(kSeed);
  for (int i = 0; i < 200; ++i) records.emplace_back(RandomBytes(rng, 40), RandomBytes(rng, 60));
  return records;
}

std::vector<std::pair<std::string, std::string>> ReadAll(const std::string& text, Format format,
                                                         FormatOptions options = {}) {
  auto reader = RecordReader::FromString("input", text, format, options);
  std::vector<std::pair<std::string, std::string>> out;
  std::string key, value;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&key, &value);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.emplace_back(key, value);
  }
  return out;
}

// The error a malformed input stops with.
std::string FirstError(const std::string& text, Format format, FormatOptions options = {}) {
  auto reader = RecordReader::FromString("in.txt", text, format, options);
  std::string key, value;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&key, &value);
    if (!more.ok()) {
      EXPECT_TRUE(absl::IsInvalidArgument(more.status())) << more.status();
      return std::string(more.status().message());
    }
    if (!*more) return "no error";
  }
}

TEST(ShellNotationTest, QuotedBytesTokenizeBackExactly) {
  std::printf("seed %u\n", kSeed);
  for (const auto& [key, value] : AwkwardRecords()) {
    const std::string line = "put " + ShellQuote(key) + " " + ShellQuote(value) + " ; get x";
    absl::StatusOr<std::vector<ShellCommand>> commands = ParseShellLine(line);
    ASSERT_TRUE(commands.ok()) << line << ": " << commands.status();
    ASSERT_EQ(commands->size(), 2u) << line;
    ASSERT_EQ((*commands)[0].size(), 3u) << line;
    EXPECT_EQ((*commands)[0][1].text, key) << line;
    EXPECT_EQ((*commands)[0][2].text, value) << line;
  }
}

TEST(ShellNotationTest, WordsQuotesHexAndComments) {
  auto commands = ParseShellLine(R"(put a"b c"'d e' x'00ff41' -- ; ;get #comment "x)");
  ASSERT_TRUE(commands.ok()) << commands.status();
  ASSERT_EQ(commands->size(), 2u);
  const ShellCommand& put = (*commands)[0];
  ASSERT_EQ(put.size(), 4u);
  EXPECT_EQ(put[1].text, "ab cd e");
  EXPECT_TRUE(put[1].quoted);
  EXPECT_EQ(put[2].text, std::string("\0\xff" "A", 3));
  EXPECT_EQ(put[3].text, "--");
  EXPECT_FALSE(put[3].quoted);
  EXPECT_EQ((*commands)[1].size(), 1u);
  EXPECT_EQ(ShellQuote("user/1"), "user/1");
  EXPECT_EQ(ShellQuote("#x"), "\"#x\"");
  EXPECT_EQ(ShellQuote(""), "\"\"");
}

TEST(ShellNotationTest, ValidUtf8IsPrintedAsText) {
  EXPECT_EQ(ShellQuote("caf\xc3\xa9"), "caf\xc3\xa9");                         // café
  EXPECT_EQ(ShellQuote("caf\xc3\xa9 \xe2\x98\x83"), "\"caf\xc3\xa9 \xe2\x98\x83\"");  // "café ☃"
  EXPECT_EQ(ShellQuote("\xf0\x9f\x90\xa7"), "\xf0\x9f\x90\xa7");                // an emoji
  // Not text: a cut sequence, an overlong form, a surrogate, a C1 control,
  // bytes that never start a sequence; a non-ASCII space is quoted.
  EXPECT_EQ(ShellQuote("\xc3"), "\"\\xc3\"");
  EXPECT_EQ(ShellQuote("\xc0\xaf"), "\"\\xc0\\xaf\"");
  EXPECT_EQ(ShellQuote("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");
  EXPECT_EQ(ShellQuote("\xc2\x85"), "\"\\xc2\\x85\"");
  EXPECT_EQ(ShellQuote("\xff\xfe"), "\"\\xff\\xfe\"");
  EXPECT_EQ(ShellQuote("a\xc2\xa0" "b"), "\"a\xc2\xa0" "b\"");
  for (const std::string text : {"caf\xc3\xa9 \xe2\x98\x83", "a\xc2\xa0" "b", "\xc3(\xa9"}) {
    absl::StatusOr<std::vector<ShellCommand>> back = ParseShellLine("get " + ShellQuote(text));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ((*back)[0][1].text, text);
  }
}

TEST(ShellNotationTest, BadInputNamesTheProblemAndColumn) {
  EXPECT_EQ(ParseShellLine("put a \"open").status().message(), "unterminated quote at column 7");
  EXPECT_EQ(ParseShellLine("put 'a").status().message(), "unterminated quote at column 5");
  EXPECT_EQ(ParseShellLine("get x'abc'").status().message(),
            "hex literal has an odd number of digits at column 6");
  EXPECT_EQ(ParseShellLine("get x'zz'").status().message(), "'z' is not a hex digit at column 6");
  EXPECT_EQ(ParseShellLine(R"(get "\q")").status().message(), "unknown escape \\q at column 5");
  EXPECT_EQ(ParseShellLine(R"(get "\x4")").status().message(),
            "\\x must be followed by two hex digits at column 5");
}

class FormatRoundTripTest : public ::testing::TestWithParam<Format> {};

TEST_P(FormatRoundTripTest, WriterOutputParsesBackExactly) {
  for (bool header : {false, true}) {
    if (header && GetParam() != Format::kCsv) continue;
    const FormatOptions options{.csv_header = header};
    const auto records = AwkwardRecords();
    auto writer = NewRecordWriter(GetParam(), options);
    std::string text;
    writer->Begin(&text);
    for (const auto& [k, v] : records) writer->Write(k, v, &text);
    writer->End(records.size(), &text);
    EXPECT_EQ(ReadAll(text, GetParam(), options), records);
  }
}

TEST_P(FormatRoundTripTest, RecordsLargerThanTheReadBufferParse) {
  // A 3 MiB value makes the reader grow its 1 MiB buffer.
  const std::vector<std::pair<std::string, std::string>> records = {
      {"big", std::string(3 << 20, 'v') + "\n\t\""}, {"small", "s"}};
  auto writer = NewRecordWriter(GetParam());
  std::string text;
  writer->Begin(&text);
  for (const auto& [k, v] : records) writer->Write(k, v, &text);
  writer->End(records.size(), &text);
  TempDir dir;  // ctest runs the four formats at once: each needs its own file
  const std::string path = dir.File("big_record");
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), f), text.size());
  std::fclose(f);
  auto reader = RecordReader::Open(path, GetParam(), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string key, value;
  for (const auto& [k, v] : records) {
    absl::StatusOr<bool> more = (*reader)->Next(&key, &value);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    EXPECT_EQ(key, k);
    EXPECT_EQ(value, v);
  }
  absl::StatusOr<bool> more = (*reader)->Next(&key, &value);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

INSTANTIATE_TEST_SUITE_P(Formats, FormatRoundTripTest,
                         ::testing::Values(Format::kTsv, Format::kCsv, Format::kJsonl,
                                           Format::kLaura),
                         [](const auto& info) { return std::string(FormatName(info.param)); });

TEST(TsvTest, MalformedLinesNameTheLine) {
  EXPECT_EQ(FirstError("a\t1\nb\t2\nno tab here\n", Format::kTsv),
            "in.txt:3: no tab between key and value");
  EXPECT_EQ(FirstError("a\t1\n\nb\t2\tc\n", Format::kTsv),
            "in.txt:3: more than one tab (a tab inside a field is written \\t)");
  EXPECT_EQ(FirstError("a\\q\t1\n", Format::kTsv), "in.txt:1: key: unknown escape \\q");
  EXPECT_EQ(FirstError("a\t1\\\n", Format::kTsv), "in.txt:1: value: backslash at the end of a field");
  EXPECT_EQ(ReadAll("a\t1\r\nb\t2", Format::kTsv),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}}));
}

TEST(CsvTest, MalformedRecordsNameTheirFirstLine) {
  EXPECT_EQ(FirstError("a,1\nb\n", Format::kCsv),
            "in.txt:2: expected 2 fields (key,value), found 1");
  EXPECT_EQ(FirstError("a,1\nb,2,3\n", Format::kCsv),
            "in.txt:2: expected 2 fields (key,value), found 3");
  EXPECT_EQ(FirstError("a,1\n\"multi\nline\",x\nb,\"open\n", Format::kCsv),
            "in.txt:4: unterminated quoted field in field 2");
  EXPECT_EQ(FirstError("a,b\"c\n", Format::kCsv),
            "in.txt:1: quote inside unquoted field 2 (quote the field and double the quote)");
  EXPECT_EQ(FirstError("\"a\"x,1\n", Format::kCsv),
            "in.txt:1: unexpected character after the closing quote of field 1");
  EXPECT_EQ(ReadAll("key,value\r\n\"a,\"\"b\",1\r\n\r\nc,\n", Format::kCsv, {.csv_header = true}),
            (std::vector<std::pair<std::string, std::string>>{{"a,\"b", "1"}, {"c", ""}}));
}

TEST(JsonlTest, MalformedObjectsNameTheLine) {
  EXPECT_EQ(FirstError("{\"key\": \"a\", \"value\": \"1\"}\n[1]\n", Format::kJsonl),
            "in.txt:2: expected '{' at column 1");
  EXPECT_EQ(FirstError("{\"key\": \"a\"}\n", Format::kJsonl),
            "in.txt:1: the object has no value (or value_hex) member");
  EXPECT_EQ(FirstError("{\"key\": \"a\", \"value\": 1}\n", Format::kJsonl),
            "in.txt:1: expected a string at column 23");
  EXPECT_EQ(FirstError("{\"key\": \"a\", \"key_hex\": \"61\", \"value\": \"\"}\n", Format::kJsonl),
            "in.txt:1: more than one key member");
  EXPECT_EQ(FirstError("{\"key\": \"a\", \"val\": \"1\"}\n", Format::kJsonl),
            "in.txt:1: unknown member \"val\" (expected key or key_hex, value or value_hex)");
  EXPECT_EQ(FirstError("{\"key\": \"\xff\", \"value\": \"1\"}\n", Format::kJsonl),
            "in.txt:1: string is not valid UTF-8 (carry bytes in key_hex / value_hex) at column 9");
  EXPECT_EQ(FirstError("{\"key\": \"\\ud800\", \"value\": \"1\"}\n", Format::kJsonl),
            "in.txt:1: high surrogate without a low one at column 16");
  EXPECT_EQ(FirstError("{\"key_hex\": \"6\", \"value\": \"1\"}\n", Format::kJsonl),
            "in.txt:1: key_hex: hex literal has an odd number of digits at column 16");
  EXPECT_EQ(FirstError("{\"key\": \"a\", \"value\": \"1\"} x\n", Format::kJsonl),
            "in.txt:1: text after the object at column 28");
  EXPECT_EQ(ReadAll(" {\"value\":\"\\u00e9\\ud83d\\ude00\",\"key\":\"k\\n\"} \n\n", Format::kJsonl),
            (std::vector<std::pair<std::string, std::string>>{
                {"k\n", "\xc3\xa9\xf0\x9f\x98\x80"}}));
}

TEST(LauraFormatTest, HeaderTrailerAndTruncation) {
  EXPECT_EQ(FirstError("a\t1\n", Format::kLaura),
            "in.txt:1: not a laura export: the first line must be \"# laura-export v1\"");
  EXPECT_EQ(FirstError("# laura-export v1\na\t1\nb\t2\n", Format::kLaura),
            "in.txt:4: truncated: the \"# end N\" line that ends a laura export is missing");
  EXPECT_EQ(FirstError("# laura-export v1\na\t1\n# end 2\n", Format::kLaura),
            "in.txt:3: the end line counts 2 records but the file has 1");
  EXPECT_EQ(FirstError("# laura-export v1\na\t1\n# end 1\nb\t2\n", Format::kLaura),
            "in.txt:4: data after the \"# end\" line");
  EXPECT_EQ(FirstError("", Format::kLaura), "in.txt:1: empty file: not a laura export");
}

}  // namespace
}  // namespace laura
