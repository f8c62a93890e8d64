// laura: the LauraDB command. An interactive shell over a database, a
// script runner (-c, standard input) and subcommands for scripts:
//
//   laura [OPTIONS] [DBPATH]               shell (default DBPATH ./laura.db)
//   laura [OPTIONS] DBPATH -c "CMD; CMD"   run commands, then exit
//   laura [OPTIONS] DBPATH < FILE          run the commands in FILE
//   laura import [OPTIONS] DBPATH FILE...  load files (all or nothing)
//   laura export [OPTIONS] DBPATH          write records (laura format)
//   laura check [OPTIONS] DBPATH           structural check
//   laura stat [OPTIONS] DBPATH            page counts, depth, fill, sizes
//   laura compact [OPTIONS] DBPATH         move pages down, shrink the file
//   laura backup [OPTIONS] DBPATH DEST     consistent copy (--compact)
//   laura --version                        library version, storage format
//
// Exit status: 0 success, 1 a command failed, 2 bad usage.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "laura/db.h"
#include "laura/version.h"
#include "tools/import_export.h"
#include "tools/line_editor.h"
#include "tools/progress.h"
#include "tools/shell.h"
#include "tools/stat_report.h"

namespace laura {
namespace {

constexpr char kDefaultPath[] = "laura.db";

constexpr char kUsage[] = R"(usage:
  laura [OPTIONS] [DBPATH]               interactive shell (default DBPATH: ./laura.db)
  laura [OPTIONS] DBPATH -c "CMD; CMD"   run commands and exit
  laura [OPTIONS] DBPATH < SCRIPT        run commands from standard input
  laura import [OPTIONS] DBPATH FILE...  import tsv/csv/jsonl/laura files ("-": stdin)
  laura export [OPTIONS] DBPATH          export records (default: laura format to stdout)
  laura check [OPTIONS] DBPATH           check the database's structure
  laura stat [OPTIONS] DBPATH            page counts, depth, fill factor, sizes
  laura compact [OPTIONS] DBPATH         move pages in use down and shrink the file
  laura backup [OPTIONS] DBPATH DEST     write a consistent copy to the new directory DEST
  laura --version                        the library's version and storage format

options for every command:
  --mmap | --pread      disk manager (default mmap)
  --create              create DBPATH if it does not exist (./laura.db and
                        import targets are always created)
  --read-only           open for reading only
  --page-size N         page size of a new database (default 4096)
  --cache-size N        pread: buffer pool bytes; mmap: changed-page frames
                        before an early write (default 64M; K, M, G suffixes)
  --wait SECONDS        if another process holds the database, wait up to
                        SECONDS for it (default: fail at once, naming its pid)
shell:
  -c CMDS               run CMDS (separated by ';') and exit
  --keep-going          go on after a failing command (exit status still 1)
import:
  --format F            tsv, csv, jsonl or laura (default: from the extension)
  --header              csv: the first record is a header
  --last-wins           a repeated key takes its last value (default: error)
  --skip-bad            skip and count malformed records instead of failing
  --space NAME          into key space NAME (created if missing)
  --quiet               no progress line
export:
  --from A, --to B      only keys in [A, B)
  --format F            tsv, csv, jsonl or laura (default: -o's extension, else laura)
  --header              csv: write a header record
  -o FILE               write to FILE instead of standard output
  --space NAME          the keys of key space NAME
  --quiet               no progress line
backup:
  --compact             copy only the pages in use, renumbered and packed
Type help in the shell for its commands.
)";

struct Flags {
  std::string command;  // "", "import", "export", "check", "stat", "compact", "backup"
  std::vector<std::string> positional;
  Options db;
  bool create = false;
  std::optional<std::string> commands;  // -c
  bool keep_going = false;
  bool quiet = false;
  ImportOptions import;
  ExportOptions exported;
  std::string output = "-";
  bool format_given = false;
  bool compact_backup = false;  // backup --compact
  std::optional<std::string> space;  // import/export --space
};

int UsageError(const std::string& message) {
  std::cerr << "laura: " << message << "\n(laura --help shows the usage)\n";
  return 2;
}

bool ParseSize(const std::string& text, uint64_t* out) {
  uint64_t multiplier = 1;
  std::string digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': multiplier = uint64_t{1} << 10; break;
      case 'm': case 'M': multiplier = uint64_t{1} << 20; break;
      case 'g': case 'G': multiplier = uint64_t{1} << 30; break;
      default: break;
    }
    if (multiplier != 1) digits.pop_back();
  }
  uint64_t n;
  if (!absl::SimpleAtoi(digits, &n) || n == 0) return false;
  *out = n * multiplier;
  return true;
}

// Fills flags from argv; an error message, or "" when fine.
std::string ParseFlags(int argc, char** argv, Flags* f) {
  int i = 1;
  static const char* const kSubcommands[] = {"import", "export", "check", "stat", "compact",
                                             "backup"};
  if (argc > 1) {
    for (const char* sub : kSubcommands) {
      if (std::string(argv[1]) == sub) f->command = sub, i = 2;
    }
  }
  auto value = [&](const std::string& flag) -> std::optional<std::string> {
    if (i + 1 >= argc) return std::nullopt;
    return std::string(argv[++i]);
  };
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    std::optional<std::string> v;
    if (arg == "--mmap") {
      f->db.disk_manager = DiskManagerKind::kMmap;
    } else if (arg == "--pread") {
      f->db.disk_manager = DiskManagerKind::kPread;
    } else if (arg == "--create") {
      f->create = true;
    } else if (arg == "--read-only") {
      f->db.read_only = true;
    } else if (arg == "--page-size" || arg == "--cache-size") {
      uint64_t n;
      if (!(v = value(arg)) || !ParseSize(*v, &n)) return arg + " needs a size in bytes";
      if (arg == "--page-size") f->db.page_size = static_cast<uint32_t>(n);
      else f->db.cache_size = n;
    } else if (arg == "--wait") {
      double seconds;
      if (!(v = value(arg)) || !absl::SimpleAtod(*v, &seconds) || !(seconds >= 0) ||
          seconds > 86400) {
        return "--wait needs a number of seconds (0 to 86400)";
      }
      f->db.lock_timeout_ms = static_cast<uint32_t>(seconds * 1000);
    } else if (arg == "-c" && f->command.empty()) {
      if (!(v = value(arg))) return "-c needs the commands to run";
      f->commands = *v;
    } else if (arg == "--keep-going" && f->command.empty()) {
      f->keep_going = true;
    } else if (arg == "--space" && (f->command == "import" || f->command == "export")) {
      if (!(v = value(arg))) return "--space needs the name of a key space";
      f->space = *v;
    } else if (arg == "--quiet" && (f->command == "import" || f->command == "export")) {
      f->quiet = true;
    } else if (arg == "--format" && (f->command == "import" || f->command == "export")) {
      if (!(v = value(arg))) return "--format needs tsv, csv, jsonl or laura";
      absl::StatusOr<Format> format = ParseFormatName(*v);
      if (!format.ok()) return std::string(format.status().message());
      f->import.format = *format;
      f->exported.format = *format;
      f->format_given = true;
    } else if (arg == "--header" && (f->command == "import" || f->command == "export")) {
      f->import.format_options.csv_header = f->exported.format_options.csv_header = true;
    } else if (arg == "--last-wins" && f->command == "import") {
      f->import.last_wins = true;
    } else if (arg == "--skip-bad" && f->command == "import") {
      f->import.skip_bad = true;
    } else if ((arg == "--from" || arg == "--to") && f->command == "export") {
      if (!(v = value(arg))) return arg + " needs a key";
      (arg == "--from" ? f->exported.from : f->exported.to) = *v;
    } else if (arg == "-o" && f->command == "export") {
      if (!(v = value(arg))) return "-o needs a file name";
      f->output = *v;
    } else if (arg == "--compact" && f->command == "backup") {
      f->compact_backup = true;
    } else if (arg == "--") {
      for (++i; i < argc; ++i) f->positional.push_back(argv[i]);
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      return absl::StrCat("unknown option ", arg,
                          f->command.empty() ? "" : absl::StrCat(" for laura ", f->command));
    } else {
      f->positional.push_back(arg);
    }
  }
  if (f->command.empty() && f->positional.size() > 1) {
    return absl::StrCat("one DBPATH expected, got '", f->positional[1], "' too");
  }
  if (!f->command.empty() && f->positional.empty()) return "DBPATH missing";
  if (f->command == "import" && f->positional.size() < 2) return "no FILE to import";
  if ((f->command == "export" || f->command == "check" || f->command == "stat" ||
       f->command == "compact") &&
      f->positional.size() > 1) {
    return absl::StrCat("unexpected argument '", f->positional[1], "'");
  }
  if (f->command == "backup" && f->positional.size() != 2) {
    return f->positional.size() < 2 ? "backup needs DEST, a directory to create"
                                    : absl::StrCat("unexpected argument '", f->positional[2], "'");
  }
  return "";
}

// Opens the database; the commands that only read (export, check, stat,
// backup) open it read-only beside a writer process that holds it, and
// read the writer's latest commit (btree/shared_registry.h).
std::unique_ptr<DB> OpenOrReport(const Flags& f, const std::string& path, bool create) {
  Options options = f.db;
  options.create_if_missing = create && !options.read_only;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, path);
  const bool reads_only = f.command == "export" || f.command == "check" ||
                          f.command == "stat" || f.command == "backup";
  if (reads_only && !options.read_only && absl::IsFailedPrecondition(db.status()) &&
      absl::StrContains(db.status().message(), "locked by another process")) {
    options.read_only = true;
    options.create_if_missing = false;
    db = DB::Open(options, path);
  }
  if (!db.ok()) {
    std::cerr << "laura: " << db.status().message();
    if (absl::IsNotFound(db.status()) && !create) std::cerr << " (--create makes it)";
    std::cerr << "\n";
    return nullptr;
  }
  return std::move(*db);
}

int CloseAndReport(DB& db, int status) {
  if (absl::Status s = db.Close(); !s.ok()) {
    std::cerr << "laura: closing: " << s.message() << "\n";
    return 1;
  }
  return status;
}

int RunShell(const Flags& f) {
  const bool default_path = f.positional.empty();
  const std::string path = default_path ? kDefaultPath : f.positional[0];
  std::unique_ptr<DB> db = OpenOrReport(f, path, f.create || default_path);
  if (db == nullptr) return 1;
  Shell shell(db.get(), std::cout, std::cerr);
  bool ok = true;
  if (f.commands.has_value()) {
    ok = shell.ExecuteLine(*f.commands, f.keep_going);
  } else if (::isatty(STDIN_FILENO) != 1) {
    std::string line;
    while (!shell.quit() && std::getline(std::cin, line)) {
      if (!shell.ExecuteLine(line, f.keep_going)) {
        ok = false;
        if (!f.keep_going) break;
      }
    }
  } else {
    shell.set_progress(Progress::StderrIsTerminal());
    std::cout << "LauraDB shell on " << path << " ("
              << DiskManagerKindName(f.db.disk_manager)
              << (f.db.read_only ? ", read-only" : "")
              << "). Type help for the commands, quit or Ctrl-D to leave.\n";
    LineEditor editor(LineEditor::DefaultHistoryPath(), Shell::CommandNames());
    while (!shell.quit()) {
      std::optional<std::string> line =
          editor.ReadLine(shell.in_transaction() ? "laura*> " : "laura> ");
      if (!line.has_value()) break;
      shell.ExecuteLine(*line);  // errors are printed; the shell goes on
    }
  }
  shell.End();
  return CloseAndReport(*db, ok ? 0 : 1);
}

int RunImport(Flags& f) {
  std::unique_ptr<DB> db = OpenOrReport(f, f.positional[0], /*create=*/true);
  if (db == nullptr) return 1;
  f.import.progress = !f.quiet && Progress::StderrIsTerminal();
  if (f.space.has_value()) {
    absl::StatusOr<KeySpace> space = db->GetKeySpace(*f.space);
    if (absl::IsNotFound(space.status())) space = db->CreateKeySpace(*f.space);
    if (!space.ok()) {
      std::cerr << "laura: " << space.status().message() << "\n";
      return CloseAndReport(*db, 1);
    }
    f.import.space = *space;
  }
  const std::vector<std::string> files(f.positional.begin() + 1, f.positional.end());
  absl::StatusOr<ImportResult> result = ImportFiles(*db, files, f.import);
  if (!result.ok()) {
    std::cerr << "laura: import failed, the database is unchanged: "
              << result.status().message() << "\n";
    return CloseAndReport(*db, 1);
  }
  std::cerr << result->ToString() << "\n";
  return CloseAndReport(*db, 0);
}

int RunExport(Flags& f) {
  std::unique_ptr<DB> db = OpenOrReport(f, f.positional[0], f.create);
  if (db == nullptr) return 1;
  if (!f.format_given && f.output != "-") f.exported.format = FormatForPath(f.output);
  f.exported.progress = !f.quiet && f.output != "-" && Progress::StderrIsTerminal();
  KeySpace space;
  if (f.space.has_value()) {
    absl::StatusOr<KeySpace> named = db->GetKeySpace(*f.space);
    if (!named.ok()) {
      std::cerr << "laura: " << named.status().message() << "\n";
      return CloseAndReport(*db, 1);
    }
    space = *named;
  }
  std::unique_ptr<Iterator> it = db->NewIterator(space);
  db->AdviseSequential().IgnoreError();  // a hint only
  absl::StatusOr<uint64_t> records = ExportRecords(*it, f.output, f.exported);
  it.reset();
  if (!records.ok()) {
    std::cerr << "laura: export failed: " << records.status().message() << "\n";
    return CloseAndReport(*db, 1);
  }
  if (f.output != "-") std::cerr << "exported " << *records << " records to " << f.output << "\n";
  return CloseAndReport(*db, 0);
}

int RunCheckOrStat(const Flags& f) {
  std::unique_ptr<DB> db = OpenOrReport(f, f.positional[0], f.create);
  if (db == nullptr) return 1;
  bool sound = true;
  if (f.command == "stat") {
    std::cout << StatReport(*db, f.positional[0], &sound);
  } else {
    const CheckReport report = db->Check();
    sound = report.ok();
    if (sound) {
      std::cout << "OK: " << report.entries << " entries, depth " << report.depth << ", "
                << report.leaf_pages + report.branch_pages + report.overflow_pages
                << " tree pages\n";
    } else {
      std::cout << report.ToString();
    }
  }
  return CloseAndReport(*db, sound ? 0 : 1);
}

// laura compact: the data file's size before and after.
int RunCompact(const Flags& f) {
  std::unique_ptr<DB> db = OpenOrReport(f, f.positional[0], f.create);
  if (db == nullptr) return 1;
  const uint64_t before = db->Stats().disk.file_size;
  if (absl::Status s = db->Compact(); !s.ok()) {
    std::cerr << "laura: compact failed: " << s.message() << "\n";
    return CloseAndReport(*db, 1);
  }
  const int status = CloseAndReport(*db, 0);
  std::error_code ec;
  const uintmax_t after = std::filesystem::file_size(f.positional[0] + "/data.ldb", ec);
  std::cout << "compacted " << f.positional[0] << ": data file " << before << " -> "
            << (ec ? 0 : after) << " bytes\n";
  return status;
}

// laura backup: a consistent copy while other work goes on.
int RunBackup(const Flags& f) {
  std::unique_ptr<DB> db = OpenOrReport(f, f.positional[0], f.create);
  if (db == nullptr) return 1;
  absl::Status s = db->Backup(f.positional[1], {.compact = f.compact_backup});
  if (!s.ok()) {
    std::cerr << "laura: " << s.message() << "\n";
    return CloseAndReport(*db, 1);
  }
  std::cout << "backed up " << f.positional[0] << " to " << f.positional[1]
            << (f.compact_backup ? " (compacted)" : "") << "\n";
  return CloseAndReport(*db, 0);
}

}  // namespace
}  // namespace laura

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      std::cout << laura::kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "laura " << laura::Version() << " (storage format "
                << laura::FormatVersion() << ")\n";
      return 0;
    }
    if (arg == "-c") ++i;  // its value may be anything
  }
  laura::Flags flags;
  if (std::string error = laura::ParseFlags(argc, argv, &flags); !error.empty()) {
    return laura::UsageError(error);
  }
  if (flags.command.empty()) return laura::RunShell(flags);
  if (flags.command == "import") return laura::RunImport(flags);
  if (flags.command == "export") return laura::RunExport(flags);
  if (flags.command == "compact") return laura::RunCompact(flags);
  if (flags.command == "backup") return laura::RunBackup(flags);
  return laura::RunCheckOrStat(flags);
}
