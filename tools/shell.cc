// The shell's command table and commands (shell.h).
#include "tools/shell.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "storage/status_macros.h"
#include "tools/import_export.h"
#include "tools/stat_report.h"
#include "tools/text_escape.h"

namespace laura {

struct Shell::Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--limit" -> "10"; flags -> ""
  bool has(absl::string_view option) const { return options.count(std::string(option)) > 0; }
  std::string get(absl::string_view option) const {
    auto it = options.find(std::string(option));
    return it == options.end() ? std::string() : it->second;
  }
};

struct Shell::Command {
  const char* name;
  const char* usage;  // name and arguments
  const char* help;   // one line
  int min_args, max_args;
  std::vector<std::pair<const char*, bool>> options;  // name, takes a value
  absl::Status (Shell::*run)(const Args&);
};

const std::vector<Shell::Command>& Shell::Commands() {
  static const std::vector<Shell::Command>* const commands = new std::vector<Shell::Command>{
      {"get", "get KEY", "print the value of KEY", 1, 1, {}, &Shell::Get},
      {"put", "put KEY VALUE", "set KEY to VALUE", 2, 2, {}, &Shell::Put},
      {"del", "del KEY", "delete KEY (no error if absent)", 1, 1, {}, &Shell::Del},
      {"scan", "scan [FROM [TO]] [--limit N] [--reverse]",
       "print keys and values in [FROM, TO), in order or reversed", 0, 2,
       {{"--limit", true}, {"--reverse", false}}, &Shell::Scan},
      {"prefix", "prefix P [--limit N]", "print keys starting with P and their values", 1, 1,
       {{"--limit", true}}, &Shell::Prefix},
      {"count", "count [FROM TO]", "count keys (in [FROM, TO))", 0, 2, {}, &Shell::Count},
      {"begin", "begin", "start a write transaction spanning several commands", 0, 0, {},
       &Shell::Begin},
      {"commit", "commit", "commit the write transaction", 0, 0, {}, &Shell::Commit},
      {"rollback", "rollback", "discard the write transaction", 0, 0, {}, &Shell::Rollback},
      {"stats", "stats", "print database statistics", 0, 0, {}, &Shell::Stats},
      {"check", "check", "run the structural checker over the latest commit", 0, 0, {},
       &Shell::Check},
      {"checkpoint", "checkpoint", "write a checkpoint and drop the log before it", 0, 0, {},
       &Shell::Checkpoint},
      {"sync", "sync", "make every commit durable", 0, 0, {}, &Shell::Sync},
      {"advise", "advise random|sequential|willneed [FROM TO]",
       "access hint for the data file (willneed: keys in [FROM, TO))", 1, 3, {},
       &Shell::Advise},
      {"import", "import FILE... [--format F] [--header] [--last-wins] [--skip-bad]",
       "load tsv/csv/jsonl/laura files, all or nothing", 1, 1 << 20,
       {{"--format", true}, {"--header", false}, {"--last-wins", false}, {"--skip-bad", false}},
       &Shell::Import},
      {"export", "export FILE [--from K] [--to K] [--format F] [--header]",
       "write the keys (in [--from, --to)) to FILE (- for the screen); default format laura", 1, 1,
       {{"--from", true}, {"--to", true}, {"--format", true}, {"--header", false}},
       &Shell::Export},
      {"use", "use [NAME]",
       "work in key space NAME from now on (no NAME: the default space)", 0, 1, {}, &Shell::Use},
      {"spaces", "spaces", "list the named key spaces and their key counts", 0, 0, {},
       &Shell::Spaces},
      {"create-space", "create-space NAME", "create a named key space", 1, 1, {},
       &Shell::CreateSpace},
      {"drop-space", "drop-space NAME", "drop a named key space and all its keys", 1, 1, {},
       &Shell::DropSpace},
      {"timer", "timer on|off", "print how long each command takes", 1, 1, {}, &Shell::Timer},
      {"help", "help [COMMAND]", "list the commands, or explain one", 0, 1, {}, &Shell::Help},
      {"quit", "quit", "leave the shell (also: exit, Ctrl-D)", 0, 0, {}, &Shell::Quit},
  };
  return *commands;
}

namespace {

const Shell::Command* FindCommand(absl::string_view name) {
  if (name == "exit") name = "quit";
  for (const Shell::Command& c : Shell::Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

absl::Status ParseLimit(const std::string& text, uint64_t* limit) {
  if (!absl::SimpleAtoi(text, limit) || *limit == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit needs a positive number, not '", text, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string NearestCommand(absl::string_view name) {
  std::string best;
  size_t best_distance = 3;  // farther than 2 edits is no suggestion
  for (const Shell::Command& c : Shell::Commands()) {
    const size_t d = EditDistance(name, c.name);
    if (d < best_distance) best = c.name, best_distance = d;
  }
  return best;
}

std::vector<std::string> Shell::CommandNames() {
  std::vector<std::string> names;
  for (const Command& c : Commands()) names.push_back(c.name);
  names.push_back("exit");
  return names;
}

Shell::Shell(DB* db, std::ostream& out, std::ostream& err) : db_(db), out_(out), err_(err) {}

Shell::~Shell() { End(); }

void Shell::End() {
  if (txn_ == nullptr) return;
  absl::Status s = txn_->Abort();
  txn_.reset();
  err_ << "note: the open write transaction was rolled back"
       << (s.ok() ? "" : absl::StrCat(" (", s.message(), ")")) << "\n";
  err_.flush();
}

bool Shell::ExecuteLine(absl::string_view line, bool keep_going) {
  absl::StatusOr<std::vector<ShellCommand>> commands = ParseShellLine(line);
  if (!commands.ok()) {
    err_ << "error: " << commands.status().message() << "\n";
    err_.flush();
    return false;
  }
  bool all_ok = true;
  for (const ShellCommand& command : *commands) {
    const auto start = std::chrono::steady_clock::now();
    absl::Status s = Execute(command);
    if (timer_) {
      const double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start)
                            .count();
      out_ << absl::StrFormat("time: %.3f ms\n", ms);
    }
    out_.flush();
    if (!s.ok()) {
      err_ << "error: " << s.message() << "\n";
      err_.flush();
      all_ok = false;
      if (!keep_going) break;
    }
    if (quit_) break;
  }
  return all_ok;
}

absl::Status Shell::Execute(const ShellCommand& tokens) {
  const std::string& name = tokens[0].text;
  const Command* command = tokens[0].quoted ? nullptr : FindCommand(name);
  if (command == nullptr) {
    const std::string nearest = NearestCommand(name);
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown command '", ShellQuote(name), "'",
        nearest.empty() ? " (type help for the list)" : absl::StrCat(" (did you mean '", nearest, "'?)")));
  }
  const std::string usage = absl::StrCat("usage: ", command->usage);
  Args args;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const ShellToken& t = tokens[i];
    if (t.quoted || t.text.size() < 3 || t.text.compare(0, 2, "--") != 0) {
      args.positional.push_back(t.text);
      continue;
    }
    auto option = std::find_if(command->options.begin(), command->options.end(),
                               [&](const auto& o) { return t.text == o.first; });
    if (option == command->options.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", t.text, " for ", command->name, " (", usage,
                       "; quote a key that starts with --)"));
    }
    std::string value;
    if (option->second) {
      if (++i == tokens.size()) {
        return absl::InvalidArgumentError(absl::StrCat(t.text, " needs a value (", usage, ")"));
      }
      value = tokens[i].text;
    }
    args.options[t.text] = value;
  }
  const int n = static_cast<int>(args.positional.size());
  if (n < command->min_args || n > command->max_args) {
    return absl::InvalidArgumentError(
        absl::StrCat(command->name, ": wrong number of arguments (", usage, ")"));
  }
  return (this->*command->run)(args);
}

absl::Status Shell::NotInTransaction(absl::string_view command) const {
  if (txn_ == nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(command, " cannot run inside a transaction: commit or rollback first"));
}

std::unique_ptr<Iterator> Shell::NewIterator() {
  return txn_ != nullptr ? txn_->NewIterator(space_) : db_->NewIterator(space_);
}

absl::Status Shell::Get(const Args& a) {
  const std::string& key = a.positional[0];
  absl::StatusOr<std::string> value =
      txn_ != nullptr ? txn_->Get(space_, key) : db_->Get(space_, key);
  if (absl::IsNotFound(value.status())) {
    return absl::NotFoundError(absl::StrCat("key ", ShellQuote(key), " not found"));
  }
  if (!value.ok()) return value.status();
  out_ << ShellQuote(*value) << "\n";
  return absl::OkStatus();
}

absl::Status Shell::Put(const Args& a) {
  const std::string &key = a.positional[0], &value = a.positional[1];
  return txn_ != nullptr ? txn_->Put(space_, key, value) : db_->Put(space_, key, value);
}

absl::Status Shell::Del(const Args& a) {
  const std::string& key = a.positional[0];
  return txn_ != nullptr ? txn_->Delete(space_, key) : db_->Delete(space_, key);
}

absl::Status Shell::PrintRange(const std::string& from, const std::string& to,
                               const std::string& prefix, uint64_t limit, bool reverse) {
  std::unique_ptr<Iterator> it = NewIterator();
  auto in_range = [&](absl::string_view key) {
    return (to.empty() || key < to) && key >= from &&
           key.substr(0, prefix.size()) == prefix;
  };
  if (!reverse) {
    it->Seek(from);
  } else if (to.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(to);
    if (it->Valid() && it->key() == to) it->Prev();
  }
  for (uint64_t shown = 0; it->Valid() && shown < limit && in_range(it->key()); ++shown) {
    out_ << ShellQuote(it->key()) << " " << ShellQuote(it->value()) << "\n";
    if (reverse) it->Prev(); else it->Next();
  }
  return it->status();
}

absl::Status Shell::Scan(const Args& a) {
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  if (a.has("--limit")) LAURA_RETURN_IF_ERROR(ParseLimit(a.get("--limit"), &limit));
  const std::string from = a.positional.size() > 0 ? a.positional[0] : "";
  const std::string to = a.positional.size() > 1 ? a.positional[1] : "";
  return PrintRange(from, to, "", limit, a.has("--reverse"));
}

absl::Status Shell::Prefix(const Args& a) {
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  if (a.has("--limit")) LAURA_RETURN_IF_ERROR(ParseLimit(a.get("--limit"), &limit));
  const std::string& prefix = a.positional[0];
  return PrintRange(prefix, PrefixEnd(prefix).value_or(""), prefix, limit, false);
}

absl::Status Shell::Count(const Args& a) {
  if (a.positional.size() == 1) {
    return absl::InvalidArgumentError("count: give both FROM and TO, or neither");
  }
  const std::string from = a.positional.empty() ? "" : a.positional[0];
  const std::string to = a.positional.empty() ? "" : a.positional[1];
  std::unique_ptr<Iterator> it = NewIterator();
  uint64_t n = 0;
  for (it->Seek(from); it->Valid() && (to.empty() || it->key() < to); it->Next()) ++n;
  LAURA_RETURN_IF_ERROR(it->status());
  out_ << n << "\n";
  return absl::OkStatus();
}

absl::Status Shell::Use(const Args& a) {
  if (a.positional.empty()) {
    space_ = KeySpace();
    return absl::OkStatus();
  }
  LAURA_ASSIGN_OR_RETURN(space_, db_->GetKeySpace(a.positional[0]));
  return absl::OkStatus();
}

absl::Status Shell::Spaces(const Args&) {
  LAURA_ASSIGN_OR_RETURN(const std::vector<std::string> names, db_->ListKeySpaces());
  for (const std::string& name : names) {
    LAURA_ASSIGN_OR_RETURN(const KeySpace space, db_->GetKeySpace(name));
    LAURA_ASSIGN_OR_RETURN(const uint64_t keys, CountKeys(*db_, space));
    out_ << ShellQuote(name) << " " << keys << " keys" << (name == space_.name() ? " (in use)" : "")
         << "\n";
  }
  return absl::OkStatus();
}

absl::Status Shell::CreateSpace(const Args& a) {
  LAURA_RETURN_IF_ERROR(NotInTransaction("create-space"));
  return db_->CreateKeySpace(a.positional[0]).status();
}

absl::Status Shell::DropSpace(const Args& a) {
  LAURA_RETURN_IF_ERROR(NotInTransaction("drop-space"));
  LAURA_RETURN_IF_ERROR(db_->DropKeySpace(a.positional[0]));
  if (space_.name() == a.positional[0]) space_ = KeySpace();  // back to the default
  return absl::OkStatus();
}

absl::Status Shell::Begin(const Args&) {
  if (txn_ != nullptr) return absl::FailedPreconditionError("a transaction is already open");
  LAURA_ASSIGN_OR_RETURN(txn_, db_->BeginWrite(/*wait=*/false));
  return absl::OkStatus();
}

absl::Status Shell::Commit(const Args&) {
  if (txn_ == nullptr) return absl::FailedPreconditionError("no transaction is open (begin one)");
  absl::Status s = txn_->Commit();
  txn_.reset();
  return s;
}

absl::Status Shell::Rollback(const Args&) {
  if (txn_ == nullptr) return absl::FailedPreconditionError("no transaction is open (begin one)");
  absl::Status s = txn_->Abort();
  txn_.reset();
  return s;
}

absl::Status Shell::Stats(const Args&) {
  out_ << db_->Stats().ToString();
  return absl::OkStatus();
}

absl::Status Shell::Check(const Args&) {
  LAURA_RETURN_IF_ERROR(NotInTransaction("check"));
  const CheckReport report = db_->Check();
  if (!report.ok()) {
    out_ << report.ToString();
    return absl::DataLossError(
        absl::StrCat("check found ", report.problems.size(), " problems"));
  }
  out_ << absl::StrFormat("OK: %d entries, depth %d, %d leaf + %d branch + %d overflow pages\n",
                          report.entries, report.depth, report.leaf_pages, report.branch_pages,
                          report.overflow_pages);
  return absl::OkStatus();
}

absl::Status Shell::Checkpoint(const Args&) {
  LAURA_RETURN_IF_ERROR(NotInTransaction("checkpoint"));
  return db_->Checkpoint();
}

absl::Status Shell::Sync(const Args&) { return db_->Sync(); }

absl::Status Shell::Advise(const Args& a) {
  const std::string& kind = a.positional[0];
  if (kind == "willneed") {
    if (a.positional.size() != 3) {
      return absl::InvalidArgumentError("advise willneed needs FROM and TO");
    }
    return db_->AdviseWillNeed(a.positional[1], a.positional[2]);
  }
  if (a.positional.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("advise ", kind, " takes no keys"));
  }
  if (kind == "random") return db_->AdviseRandom();
  if (kind == "sequential") return db_->AdviseSequential();
  return absl::InvalidArgumentError(
      absl::StrCat("advise: unknown hint '", kind, "' (random, sequential or willneed)"));
}

absl::Status Shell::Import(const Args& a) {
  LAURA_RETURN_IF_ERROR(NotInTransaction("import"));
  ImportOptions options;
  if (a.has("--format")) {
    LAURA_ASSIGN_OR_RETURN(options.format, ParseFormatName(a.get("--format")));
  }
  options.format_options.csv_header = a.has("--header");
  options.last_wins = a.has("--last-wins");
  options.skip_bad = a.has("--skip-bad");
  options.progress = progress_;
  options.space = space_;
  LAURA_ASSIGN_OR_RETURN(ImportResult result, ImportFiles(*db_, a.positional, options));
  out_ << result.ToString() << "\n";
  return absl::OkStatus();
}

absl::Status Shell::Export(const Args& a) {
  const std::string& path = a.positional[0];
  ExportOptions options;
  options.format = FormatForPath(path);
  if (a.has("--format")) {
    LAURA_ASSIGN_OR_RETURN(options.format, ParseFormatName(a.get("--format")));
  }
  options.format_options.csv_header = a.has("--header");
  if (a.has("--from")) options.from = a.get("--from");
  if (a.has("--to")) options.to = a.get("--to");
  options.progress = progress_ && path != "-";
  std::unique_ptr<Iterator> it = NewIterator();
  db_->AdviseSequential().IgnoreError();  // a hint only
  absl::StatusOr<uint64_t> records = ExportRecords(*it, path, options);
  db_->AdviseRandom().IgnoreError();
  if (!records.ok()) return records.status();
  if (path != "-") out_ << "exported " << *records << " records to " << path << "\n";
  return absl::OkStatus();
}

absl::Status Shell::Timer(const Args& a) {
  const std::string& v = a.positional[0];
  if (v != "on" && v != "off") return absl::InvalidArgumentError("usage: timer on|off");
  timer_ = v == "on";
  return absl::OkStatus();
}

absl::Status Shell::Help(const Args& a) {
  if (a.positional.empty()) {
    for (const Command& c : Commands()) {
      out_ << absl::StrFormat("  %-11s %s\n", c.name, c.help);
    }
    out_ << "Keys and values: word, \"text with \\n \\t \\\\ \\\" \\xHH escapes\", 'raw text', "
            "x'hex'.\nCommands are separated by ';'. help COMMAND shows its arguments.\n";
    return absl::OkStatus();
  }
  const Command* c = FindCommand(a.positional[0]);
  if (c == nullptr) {
    const std::string nearest = NearestCommand(a.positional[0]);
    return absl::InvalidArgumentError(absl::StrCat(
        "no command '", a.positional[0], "'",
        nearest.empty() ? "" : absl::StrCat(" (did you mean '", nearest, "'?)")));
  }
  out_ << c->usage << "\n  " << c->help << "\n";
  return absl::OkStatus();
}

absl::Status Shell::Quit(const Args&) {
  quit_ = true;
  return absl::OkStatus();
}

}  // namespace laura
