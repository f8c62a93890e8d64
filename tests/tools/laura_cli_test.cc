// Tests of the laura program itself, run as a child process: every shell
// command through -c and standard input, quoting and escapes, one-line
// errors, exit status, transactions rolled back at the end of input, the
// lock held by another process, the import/export subcommands in every
// format, failed imports leaving the database unchanged, SIGKILL during an
// import, and the interactive shell on a pseudo-terminal (editing keys,
// completion, history across runs).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "laura/version.h"
#include "storage/meta.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tools/record_format.h"

namespace laura {
namespace {

constexpr uint32_t kSeed = 1125;

class LauraCliTest : public ::testing::Test {
 protected:
  ProgramResult Laura(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), LAURA_BINARY);
    return RunProgram(args, input, {"HOME=" + dir_.path()});
  }
  // Runs shell commands on db_ with -c; expects success.
  std::string Commands(const std::string& commands) {
    ProgramResult r = Laura({"--create", db_, "-c", commands});
    EXPECT_EQ(r.exit_status, 0) << commands << "\n" << r.err;
    return r.out;
  }
  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The database's whole contents in the laura format.
  std::string Dump(const std::string& db) {
    ProgramResult r = Laura({"export", db});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    return r.out;
  }

  TempDir dir_;
  const std::string db_ = dir_.File("db");
};

TEST_F(LauraCliTest, EveryCommandThroughDashC) {
  EXPECT_EQ(Commands("put a 1; put b 2; put c 3; get b"), "2\n");
  EXPECT_EQ(Commands("scan"), "a 1\nb 2\nc 3\n");
  EXPECT_EQ(Commands("scan b"), "b 2\nc 3\n");
  EXPECT_EQ(Commands("scan a c"), "a 1\nb 2\n");
  EXPECT_EQ(Commands("scan --reverse"), "c 3\nb 2\na 1\n");
  EXPECT_EQ(Commands("scan a c --reverse"), "b 2\na 1\n");
  EXPECT_EQ(Commands("scan --limit 2"), "a 1\nb 2\n");
  EXPECT_EQ(Commands("put ab x; put abc y; put ac z; prefix ab"), "ab x\nabc y\n");
  EXPECT_EQ(Commands("prefix a --limit 1"), "a 1\n");
  EXPECT_EQ(Commands("count"), "6\n");
  EXPECT_EQ(Commands("count a b"), "4\n");
  EXPECT_EQ(Commands("del ab; del missing; count"), "5\n");
  EXPECT_EQ(Commands("checkpoint; sync; advise random; advise sequential; "
                     "advise willneed a z; get a"),
            "1\n");
  EXPECT_NE(Commands("stats").find("db: commits="), std::string::npos);
  EXPECT_EQ(Commands("check").rfind("OK: 5 entries", 0), 0u);
  const std::string timed = Commands("timer on; get a");
  EXPECT_NE(timed.find("1\ntime: "), std::string::npos) << timed;
  const std::string help = Commands("help");
  for (const char* name : {"get", "put", "del", "scan", "prefix", "count", "begin", "commit",
                           "rollback", "stats", "check", "checkpoint", "sync", "advise",
                           "import", "export", "timer", "help", "quit"}) {
    EXPECT_NE(help.find(absl::StrFormat("  %-11s ", name)), std::string::npos) << name;
  }
  EXPECT_EQ(Commands("help scan"),
            "scan [FROM [TO]] [--limit N] [--reverse]\n"
            "  print keys and values in [FROM, TO), in order or reversed\n");
  EXPECT_EQ(Commands("get a; quit; get b"), "1\n");
}

TEST_F(LauraCliTest, QuotingAndEscapesRoundTrip) {
  EXPECT_EQ(Commands(R"(put "two words" "tab\there"; put x'00ff' 'single "q"'; )"
                     R"(put "#hash" "new\nline"; put a"b"c x'41')"),
            "");
  const std::string scan = Commands("scan");
  EXPECT_EQ(scan,
            "\"\\0\\xff\" \"single \\\"q\\\"\"\n"
            "\"#hash\" \"new\\nline\"\n"
            "abc A\n"
            "\"two words\" \"tab\\there\"\n");
  // What scan prints can be typed back: re-put every line into a new database.
  std::string script;
  std::istringstream lines(scan);
  for (std::string line; std::getline(lines, line);) script += "put " + line + "\n";
  const std::string other = dir_.File("other");
  ProgramResult r = Laura({"--create", other}, script);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(Dump(other), Dump(db_));
  EXPECT_EQ(Commands("get x'00ff'"), "\"single \\\"q\\\"\"\n");
}

TEST_F(LauraCliTest, ErrorsAreOneLineAndExitStatusIsOne) {
  Commands("put a 1");
  struct Case {
    std::string line, error;
  } cases[] = {
      {"gte a", "error: unknown command 'gte' (did you mean 'get'?)\n"},
      {"frobnicate", "error: unknown command 'frobnicate' (type help for the list)\n"},
      {"get", "error: get: wrong number of arguments (usage: get KEY)\n"},
      {"put a", "error: put: wrong number of arguments (usage: put KEY VALUE)\n"},
      {"get \"a", "error: unterminated quote at column 5\n"},
      {"scan --lim 3",
       "error: unknown option --lim for scan (usage: scan [FROM [TO]] [--limit N] [--reverse]; "
       "quote a key that starts with --)\n"},
      {"scan --limit x", "error: --limit needs a positive number, not 'x'\n"},
      {"get nope", "error: key nope not found\n"},
      {"commit", "error: no transaction is open (begin one)\n"},
      {"advise often", "error: advise: unknown hint 'often' (random, sequential or willneed)\n"},
      {"put " + std::string(5000, 'k') + " v",
       "error: key of 5000 bytes is larger than the limit of 1312 bytes for 4096-byte pages\n"},
      {"import /nonexistent/file.tsv",
       "error: /nonexistent/file.tsv: cannot open: No such file or directory\n"},
  };
  for (const Case& c : cases) {
    ProgramResult r = Laura({db_, "-c", c.line});
    EXPECT_EQ(r.exit_status, 1) << c.line;
    EXPECT_EQ(r.err, c.error) << c.line;
  }
  // Standard input: the first failure stops the script, unless --keep-going.
  ProgramResult r = Laura({db_}, "put b 2\nbogus\nput c 3\n");
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(Commands("count"), "2\n");
  r = Laura({db_, "--keep-going"}, "bogus\nput c 3\nget zz\nget c\n");
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "3\n");
  EXPECT_EQ(r.err,
            "error: unknown command 'bogus' (type help for the list)\nerror: key zz not found\n");
  r = Laura({"--create", "--bogus", db_});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "laura: unknown option --bogus");
  r = Laura({dir_.File("missing")});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("does not exist (--create makes it)"), std::string::npos) << r.err;
}

TEST_F(LauraCliTest, TransactionsCommitRollBackAndEndRolledBack) {
  EXPECT_EQ(Commands("begin; put a 1; put b 2; get a; commit; count"), "1\n2\n");
  EXPECT_EQ(Commands("begin; del a; count; rollback; count"), "1\n2\n");
  ProgramResult r = Laura({db_}, "begin\nput c 3\nscan\n");
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "a 1\nb 2\nc 3\n");
  EXPECT_EQ(r.err, "note: the open write transaction was rolled back\n");
  EXPECT_EQ(Commands("count"), "2\n");
  r = Laura({db_, "-c", "begin; checkpoint"});
  EXPECT_EQ(r.err,
            "error: checkpoint cannot run inside a transaction: commit or rollback first\n"
            "note: the open write transaction was rolled back\n");
}

TEST_F(LauraCliTest, DatabaseLockedByAnotherProcess) {
  Commands("put a 1");
  {
    auto db = DB::Open(Options{}, db_);
    ASSERT_TRUE(db.ok()) << db.status();
    ProgramResult r = Laura({db_, "-c", "get a"});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(r.err.find("locked by another process"), std::string::npos) << r.err;
  }
  EXPECT_EQ(Commands("get a"), "1\n");
}

TEST_F(LauraCliTest, ReadOnlyRefusesWrites) {
  Commands("put a 1");
  ProgramResult r = Laura({"--read-only", db_, "-c", "get a; put b 2"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
}

// Records with every awkward byte, written as a laura export file.
std::string AwkwardExport(int n) {
  std::mt19937 rng(kSeed);
  auto writer = NewRecordWriter(Format::kLaura);
  std::string text;
  writer->Begin(&text);
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    std::string key = absl::StrFormat("k%05d", i);
    std::string value(rng() % 50, '\0');
    for (char& c : value) c = static_cast<char>(rng() % 256);
    if (i % 7 == 0) key += std::string("\t\n\r\",\0\xff", 7);
    writer->Write(key, value + "\n\t\"\\,", &text);
  }
  writer->End(n, &text);
  return text;
}

TEST_F(LauraCliTest, ExportImportRoundTripsInEveryFormat) {
  std::printf("seed %u\n", kSeed);
  const std::string source = dir_.File("source.laura");
  WriteFile(source, AwkwardExport(3000));
  ProgramResult r = Laura({"import", db_, source});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("imported 3000 records (bulk load)"), std::string::npos) << r.err;
  const std::string original = Dump(db_);
  EXPECT_EQ(original, ReadFile(source));
  for (const char* format : {"tsv", "csv", "jsonl", "laura"}) {
    const std::string file = dir_.File(std::string("out.") + format);
    r = Laura({"export", db_, "-o", file});
    ASSERT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.err, absl::StrFormat("exported 3000 records to %s\n", file));
    const std::string copy = dir_.File(std::string("copy_") + format);
    r = Laura({"import", copy, file});
    ASSERT_EQ(r.exit_status, 0) << format << ": " << r.err;
    EXPECT_EQ(Dump(copy), original) << format;
  }
  // A range, a format by name, csv with a header, the shell's own commands.
  r = Laura({"export", db_, "--from", "k00010", "--to", "k00013", "--format", "csv", "--header"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 11), "key,value\r\n");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n') >= 4, true);
  const std::string shell_copy = dir_.File("shell_copy");
  const std::string tsv = dir_.File("shell.tsv");
  EXPECT_EQ(Commands("export " + tsv), absl::StrFormat("exported 3000 records to %s\n", tsv));
  r = Laura({"--create", shell_copy, "-c", "import " + tsv + "; check"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(Dump(shell_copy), original);
  EXPECT_EQ(Laura({"check", shell_copy}).exit_status, 0);
}

TEST_F(LauraCliTest, MalformedImportsLeaveTheDatabaseUnchanged) {
  Commands("put keep me");
  const std::string before = Dump(db_);
  struct Case {
    std::string name, text, error;
  } cases[] = {
      {"bad.tsv", "a\t1\nb\t2\nc 3\n", "bad.tsv:3: no tab between key and value"},
      {"bad.csv", "a,1\n\"b\n\",2\nc,\"3\n", "bad.csv:4: unterminated quoted field in field 2"},
      {"bad.jsonl", "{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\"}\n",
       "bad.jsonl:2: the object has no value (or value_hex) member"},
      {"bad.laura", "# laura-export v1\na\t1\n",
       "bad.laura:3: truncated: the \"# end N\" line that ends a laura export is missing"},
      {"dup.tsv", "a\t1\nb\t2\na\t3\n", "dup.tsv:3: key \"a\" is already in the database or the load"},
      {"existing.tsv", "keep\tyou\n", "existing.tsv:1: key \"keep\" is already in the database or the load"},
      {"big.tsv", "a\t1\n" + std::string(3000, 'k') + "\tv\n",
       "big.tsv:2: key of 3000 bytes is larger than the limit of 1312 bytes for 4096-byte pages"},
  };
  for (const Case& c : cases) {
    const std::string path = dir_.File(c.name);
    WriteFile(path, c.text);
    ProgramResult r = Laura({"import", db_, path});
    EXPECT_EQ(r.exit_status, 1) << c.name;
    EXPECT_EQ(r.err, "laura: import failed, the database is unchanged: " + dir_.path() + "/" +
                         c.error + "\n")
        << c.name;
    EXPECT_EQ(Dump(db_), before) << c.name;
  }
  // --skip-bad counts the bad records; --last-wins takes repeated keys.
  const std::string path = dir_.File("mixed.tsv");
  WriteFile(path, "a\t1\nbroken\nb\t2\na\t3\n");
  ProgramResult r = Laura({"import", "--skip-bad", db_, path});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("imported 2 records, skipped 2 bad records"), std::string::npos) << r.err;
  EXPECT_EQ(Commands("get a; get b"), "1\n2\n");
  WriteFile(path, "a\t4\nkeep\tnew\n");
  r = Laura({"import", "--last-wins", db_, path});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(Commands("get a; get keep"), "4\nnew\n");
}

TEST_F(LauraCliTest, KillDuringImportLeavesTheDatabaseAsBefore) {
  Commands("put before 1");
  const std::string before = Dump(db_);
  // Unsorted records into a non-empty database, fed through a pipe so the
  // import cannot end before the kill: SIGKILL after a random number of
  // records, while it reads or inserts; the last round closes the input
  // first, so the kill lands before, in or after the final commit.
  constexpr uint64_t kRecords = 200000;
  std::string input;
  for (uint64_t i = 0; i < kRecords; ++i) {
    input += absl::StrFormat("key%09d\tvalue-%d\n", (i * 7919) % kRecords, i);
  }
  std::mt19937 rng(kSeed);
  std::printf("seed %u\n", kSeed);
  ::signal(SIGPIPE, SIG_IGN);
  constexpr int kKills = 5;
  for (int kill = 0; kill < kKills; ++kill) {
    const bool last = kill == kKills - 1;
    int pipe_fd = -1;
    const pid_t pid =
        StartProgram({LAURA_BINARY, "import", "--quiet", "--format", "tsv", db_, "-"}, &pipe_fd);
    ASSERT_GT(pid, 0);
    const size_t cut = last ? input.size() : input.find('\n', rng() % input.size()) + 1;
    for (size_t done = 0; done < cut;) {
      const ssize_t n = ::write(pipe_fd, input.data() + done, cut - done);
      if (n <= 0) break;
      done += n;
    }
    if (last) ::close(pipe_fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(last ? rng() % 300 : 20 + rng() % 100));
    ::kill(pid, SIGKILL);
    if (!last) ::close(pipe_fd);
    int wstatus;
    ::waitpid(pid, &wstatus, 0);
    const std::string after = Dump(db_);
    if (last && WIFEXITED(wstatus)) {
      EXPECT_EQ(WEXITSTATUS(wstatus), 0);
    }
    if (!last) {
      EXPECT_TRUE(WIFSIGNALED(wstatus));
    }
    // With its input still open the import cannot commit, so the database
    // is as before. In the last round the kill may land before, during or
    // after the final commit (a busy machine decides which): the import
    // is atomic, so the database is as before or holds all of it.
    const bool all = last && after != before && Commands("count") == absl::StrCat(kRecords + 1, "\n");
    EXPECT_TRUE(after == before || all)
        << "killed after " << cut << " bytes of input: the database has " << after.size()
        << " bytes of export instead of " << before.size();
    EXPECT_EQ(Laura({"check", db_}).exit_status, 0);
  }
  if (Commands("count") == "1\n") {
    const std::string path = dir_.File("input.tsv");
    WriteFile(path, input);
    ProgramResult r = Laura({"import", db_, path});
    ASSERT_EQ(r.exit_status, 0) << r.err;
  }
  EXPECT_EQ(Commands(absl::StrCat("count; get key", absl::StrFormat("%09d", 7919))),
            absl::StrCat(kRecords + 1, "\nvalue-1\n"));
}

// A database of 3000 records whose leaf holding record 2000's value has
// one byte flipped: an export fails with DataLoss part way.
void MakeDamagedDatabase(const std::string& db, const std::string& dir) {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += absl::StrFormat("key%06d\tvalue-%06d-payload\n", i, i);
  const std::string source = dir + "/source.tsv";
  std::ofstream(source, std::ios::binary) << input;
  ASSERT_EQ(RunProgram({LAURA_BINARY, "import", "--quiet", "--create", db, source}, "", {})
                .exit_status,
            0);
  const std::string data = db + "/data.ldb";
  std::ifstream in(data, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t at = bytes.find("value-002000-payload");
  ASSERT_NE(at, std::string::npos);
  std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(at + 3);
  f.put('#');
}

// The integrity issue's first report, on the default (mmap) manager: the
// damaged value is never printed, a put into its leaf is refused, and the
// checker still sees the damage afterwards.
TEST_F(LauraCliTest, DamagedLeafIsAnErrorForGetPutAndCheck) {
  MakeDamagedDatabase(db_, dir_.path());
  ProgramResult get = Laura({db_, "-c", "get key002000"});
  EXPECT_EQ(get.exit_status, 1);
  EXPECT_NE(get.err.find("checksum mismatch on page"), std::string::npos) << get.err;
  EXPECT_EQ(get.out, "");
  ProgramResult put = Laura({db_, "-c", "put key002000x new"});
  EXPECT_EQ(put.exit_status, 1);
  EXPECT_NE(put.err.find("checksum mismatch on page"), std::string::npos) << put.err;
  for (const char* manager : {"--mmap", "--pread"}) {
    ProgramResult check = Laura({"check", manager, db_});
    EXPECT_NE(check.exit_status, 0) << manager;
    EXPECT_NE((check.out + check.err).find("checksum mismatch"), std::string::npos)
        << manager << ": " << check.out << check.err;
  }
}

TEST_F(LauraCliTest, FailedExportLeavesAnExistingFileUntouched) {
  MakeDamagedDatabase(db_, dir_.path());
  const std::string out = dir_.File("precious.tsv");
  WriteFile(out, "precious\n");
  ProgramResult r = Laura({"export", "-o", out, db_});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(out), "precious\n");
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".exporting-"), std::string::npos)
        << "temporary file left behind: " << entry.path();
  }
  // A good export replaces the file whole.
  const std::string good = dir_.File("good");
  ASSERT_EQ(Laura({"--create", good, "-c", "put a 1"}).exit_status, 0);
  ProgramResult ok = Laura({"export", "-o", out, good});
  ASSERT_EQ(ok.exit_status, 0) << ok.err;
  EXPECT_EQ(ReadFile(out), "a\t1\n");
}

TEST_F(LauraCliTest, FailedExportLeavesAPipeInPlace) {
  MakeDamagedDatabase(db_, dir_.path());
  const std::string fifo = dir_.File("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // so the export's open returns
  ASSERT_GE(reader, 0);
  ProgramResult r = Laura({"export", "-o", fifo, db_});
  ::close(reader);
  EXPECT_EQ(r.exit_status, 1);
  struct stat st;
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0) << "the export removed the pipe";
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// The integrity issue's full-disk report, on a real filesystem: a 40 MiB
// tmpfs mounted in a private mount namespace (unshare). Reads work on the
// full disk, a commit fails cleanly, and once space is back the database
// opens, commits and checks clean (before, each open on the full disk
// left an empty log segment behind, and after the next commit every open
// failed). Skipped, saying why, where no tmpfs can be mounted.
TEST_F(LauraCliTest, FullDiskNeverMakesTheDatabaseUnopenable) {
  const std::string mnt = dir_.File("mnt");
  std::filesystem::create_directory(mnt);
  const std::string script = absl::StrCat(
      "L=", LAURA_BINARY, "; M=", mnt, "; D=$M/db\n",
      "mount -t tmpfs -o size=40m tmpfs $M || exit 77\n"
      "$L --create $D -c 'put a 1' || exit 10\n"
      "dd if=/dev/zero of=$M/fill bs=1M count=100 2>/dev/null\n"
      "$L $D -c 'get a'; echo get1=$?\n"
      "$L $D -c 'get a'; echo get2=$?\n"
      // The opens above dropped the log segment their checkpoint covered:
      // fill that space too.
      "dd if=/dev/zero of=$M/fill2 bs=1M count=100 2>/dev/null\n"
      "$L $D -c 'put b 2' 2>&1; echo putfull=$?\n"
      "rm $M/fill $M/fill2\n"
      "$L $D -c 'put c 3'; echo put=$?\n"
      "$L $D -c 'get a; get c'; echo final=$?\n"
      "$L check $D >/dev/null; echo check=$?\n");
  const std::vector<std::string> unshare =
      ::geteuid() == 0 ? std::vector<std::string>{"/usr/bin/unshare", "-m"}
                       : std::vector<std::string>{"/usr/bin/unshare", "-Urm"};
  if (!std::filesystem::exists(unshare[0])) GTEST_SKIP() << "no " << unshare[0] << " here";
  std::vector<std::string> argv = unshare;
  argv.insert(argv.end(), {"/bin/sh", "-c", script});
  ProgramResult r = RunProgram(argv);
  if (r.exit_status == 77 || r.err.find("unshare") != std::string::npos) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here: " << r.err;
  }
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1\nget1=0\n1\nget2=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("putfull=1\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("put=0\n1\n3\nfinal=0\ncheck=0\n"), std::string::npos)
      << r.out << r.err;
}

// A file-size limit (ulimit -f) is an error like a full disk, not the end
// of the process by SIGXFSZ.
TEST_F(LauraCliTest, FileSizeLimitIsAnErrorNotACrash) {
  ProgramResult r = RunProgram(
      {"/bin/sh", "-c", absl::StrCat("ulimit -f 64 && exec ", LAURA_BINARY, " --create ", db_,
                                " -c 'put a 1'")});
  EXPECT_EQ(r.exit_status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
}

TEST_F(LauraCliTest, StatReportsPagesAndDepth) {
  const std::string source = dir_.File("source.laura");
  WriteFile(source, AwkwardExport(3000));
  ASSERT_EQ(Laura({"import", db_, source}).exit_status, 0);
  ProgramResult r = Laura({"stat", db_});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  for (const char* line : {"  Tree depth: 2\n", "  Entries: 3000\n", "  Leaf pages: ",
                           "  Branch pages: 1\n", "  Free pages: ", "  Fill factor: ", "  Log: "}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST_F(LauraCliTest, VersionNamesTheLibraryAndTheStorageFormat) {
  ProgramResult r = Laura({"--version"});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, absl::StrCat("laura ", LAURA_VERSION_MAJOR, ".", LAURA_VERSION_MINOR, ".",
                                LAURA_VERSION_PATCH, " (storage format ", kFormatVersion, ")\n"));
  EXPECT_STREQ(Version(), LAURA_VERSION_STRING);
}

TEST_F(LauraCliTest, ALockedDatabaseNamesItsHolderAndWaitWaits) {
  ASSERT_EQ(Laura({"--create", db_, "-c", "put a 1"}).exit_status, 0);
  auto holder = DB::Open(Options(), db_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  ProgramResult r = Laura({db_, "-c", "count"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find(absl::StrCat("is locked by another process (pid ", ::getpid(), ")")),
            std::string::npos)
      << r.err;
  r = Laura({"--wait", "0.3", db_, "-c", "count"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("after waiting 300 ms"), std::string::npos) << r.err;
  EXPECT_EQ(Laura({"--wait", "soon", db_}).exit_status, 2);
  ASSERT_TRUE((*holder)->Close().ok());
  r = Laura({"--wait", "5", db_, "-c", "count"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

// Readers in other processes beside a live writer (btree/shared_registry.h):
// the shell read-only and the reading tools see the writer's latest commit,
// which no checkpoint has written yet.
TEST_F(LauraCliTest, ReadingToolsRunBesideALiveWriterAndSeeItsLatestCommit) {
  ASSERT_EQ(Laura({"--create", db_, "-c", "put a 1"}).exit_status, 0);
  auto writer = DB::Open(Options(), db_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Put("b", "2").ok());  // in the log and in memory only
  ProgramResult r = Laura({"--read-only", db_, "-c", "get b; count"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "2\n2\n");
  ASSERT_TRUE((*writer)->Put("c", "3").ok());
  r = Laura({"export", db_, "--format", "tsv", "-o", "-"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "a\t1\nb\t2\nc\t3\n");
  r = Laura({"check", db_});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK: 3 entries"), std::string::npos) << r.out;
  r = Laura({"stat", db_});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  const std::string backup = dir_.File("live-backup");
  r = Laura({"backup", db_, backup});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  ASSERT_TRUE((*writer)->Put("d", "4").ok());
  r = Laura({backup, "-c", "count"});  // the copy is of one commit, opened clean
  EXPECT_EQ(r.out, "3\n") << r.err;
  // A second writer is still refused, naming the holder.
  r = Laura({db_, "-c", "put e 5"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("locked by another process"), std::string::npos) << r.err;
  ASSERT_TRUE((*writer)->Close().ok());
}

TEST_F(LauraCliTest, KeySpacesInTheShellAndInImportAndExport) {
  EXPECT_EQ(Commands("create-space users; use users; put k in-users; use; put k in-default; "
                     "get k; use users; get k; count; spaces"),
            "in-default\nin-users\n1\nusers 1 keys (in use)\n");
  ProgramResult r = Laura({db_, "-c", "use nobody"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("no key space named 'nobody'"), std::string::npos) << r.err;
  // Import into a space (created if missing), export it back.
  const std::string input = dir_.File("orders.tsv");
  WriteFile(input, "o1\tfirst\no2\tsecond\n");
  r = Laura({"import", db_, input, "--space", "orders", "--quiet"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  r = Laura({"export", db_, "--space", "orders", "--format", "tsv"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "o1\tfirst\no2\tsecond\n");
  r = Laura({"export", db_, "--format", "tsv"});  // the default space alone
  EXPECT_EQ(r.out, "k\tin-default\n");
  r = Laura({"export", db_, "--space", "nobody"});
  EXPECT_EQ(r.exit_status, 1);
  r = Laura({"stat", db_});
  EXPECT_NE(r.out.find("Key spaces: 2 named"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    orders: 2 keys\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    (default): 1 keys\n"), std::string::npos) << r.out;
  EXPECT_EQ(Commands("drop-space users; spaces"), "orders 2 keys\n");
  // The reserved range is refused in the default space.
  r = Laura({db_, "-c", "put \"\\xff\\xff\\xffspace\\x00k\" v"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("reserved for named key spaces"), std::string::npos) << r.err;
}

TEST_F(LauraCliTest, CompactAndBackupKeepTheContentsAndStatShowsTheSpace) {
  const std::string source = dir_.File("source.laura");
  WriteFile(source, AwkwardExport(3000));
  ASSERT_EQ(Laura({"import", db_, source}).exit_status, 0);
  std::string deletes;
  for (int i = 0; i < 3000; i += 2) deletes += absl::StrFormat("del k%05d;", i);
  ASSERT_EQ(Laura({db_, "-c", deletes}).exit_status, 0);
  const std::string before = Laura({"export", db_}).out;
  ProgramResult stat = Laura({"stat", db_});
  for (const char* line : {"  Pages in use: ", "  Free pages: ", "  Compaction would reclaim: "}) {
    EXPECT_NE(stat.out.find(line), std::string::npos) << line << "\n" << stat.out;
  }
  ProgramResult compact = Laura({"compact", db_});
  ASSERT_EQ(compact.exit_status, 0) << compact.err;
  EXPECT_NE(compact.out.find("compacted " + db_ + ": data file "), std::string::npos) << compact.out;
  EXPECT_EQ(Laura({"export", db_}).out, before);
  for (const bool compacted : {false, true}) {
    const std::string dest = dir_.File(compacted ? "copy-compact" : "copy");
    std::vector<std::string> args = {"backup", db_, dest};
    if (compacted) args.push_back("--compact");
    ProgramResult backup = Laura(args);
    ASSERT_EQ(backup.exit_status, 0) << backup.err;
    EXPECT_EQ(Laura({"export", "--read-only", dest}).out, before);
    EXPECT_EQ(Laura({"check", dest}).exit_status, 0);
    ProgramResult again = Laura({"backup", db_, dest});
    EXPECT_EQ(again.exit_status, 1);
    EXPECT_NE(again.err.find("already holds a database"), std::string::npos) << again.err;
  }
  EXPECT_EQ(Laura({"backup", db_}).exit_status, 2) << "DEST is required";
}

// On a UTF-8 terminal, multi-byte characters typed at the prompt are
// stored whole and printed as text; Ctrl-C drops the line being typed and
// prompts again instead of ending the shell.
TEST_F(LauraCliTest, InteractiveShellKeepsUtf8AndCtrlCClearsTheLine) {
  const std::vector<std::string> env = {"HOME=" + dir_.path(), "TERM=xterm", "LANG=C.UTF-8",
                                        "LC_ALL=C.UTF-8"};
  PtySession pty({LAURA_BINARY, "--create", db_}, env);
  ASSERT_TRUE(pty.started());
  ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
  pty.Write("put k \"caf\xc3\xa9 \xe2\x98\x83\"\r");
  ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
  pty.Write("get k\r");
  ASSERT_TRUE(pty.ReadUntil("\"caf\xc3\xa9 \xe2\x98\x83\"\r\n")) << pty.output();
  ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
  pty.Write("put junk 1");
  ASSERT_TRUE(pty.ReadUntil("junk 1")) << pty.output();
  pty.Write("\x03");
  ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
  pty.Write("count\r");
  ASSERT_TRUE(pty.ReadUntil("\n1\r\n")) << pty.output();
  pty.Write("quit\r");
  EXPECT_EQ(pty.Wait(), 0) << pty.output();
  EXPECT_EQ(Commands("get k"), "\"caf\xc3\xa9 \xe2\x98\x83\"\n");
  EXPECT_NE(Laura({db_, "-c", "get junk"}).exit_status, 0);
}

TEST_F(LauraCliTest, InteractiveShellEditsCompletesAndKeepsHistory) {
  Commands("put k1 v1");
  const std::vector<std::string> env = {"HOME=" + dir_.path(), "TERM=xterm"};
  {
    PtySession pty({LAURA_BINARY, db_}, env);
    ASSERT_TRUE(pty.started());
    ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
    pty.Write("ge\t");  // completes the command name; the editor redraws only "t "
    ASSERT_TRUE(pty.ReadUntil("t ")) << pty.output();
    pty.Write("k1\r");
    ASSERT_TRUE(pty.ReadUntil("\nv1\r\n")) << pty.output();
    ASSERT_TRUE(pty.ReadUntil("laura> "));
    pty.Write("et k2\x01g\x05x\r");  // Ctrl-A to the start, Ctrl-E to the end
    ASSERT_TRUE(pty.ReadUntil("error: key k2x not found")) << pty.output();
    pty.Write("bogus\r");
    ASSERT_TRUE(pty.ReadUntil("error: unknown command 'bogus'")) << pty.output();
    pty.Write("begin; put k3 v3\r");
    ASSERT_TRUE(pty.ReadUntil("laura*> ")) << pty.output();
    // Ctrl-D on an empty line ends the shell. On a loaded machine a key
    // typed just as the editor sets up the terminal can land in the line
    // as a literal ^D (then Ctrl-D is no longer on an empty line), so if
    // nothing happens the line is cleared (Ctrl-A, Ctrl-K) and Ctrl-D
    // typed again.
    pty.Write("\x04");
    bool ended = pty.ReadUntil("rolled back", std::chrono::seconds(3));
    for (int attempt = 0; attempt < 4 && !ended; ++attempt) {
      pty.Write("\x01\x0b\x04");
      ended = pty.ReadUntil("rolled back", std::chrono::seconds(3));
    }
    ASSERT_TRUE(ended) << pty.output();
    EXPECT_EQ(pty.Wait(), 0);
  }
  // History survives the run: four lines up is "get k1".
  // (libedit writes a space as \040 in the file.)
  EXPECT_NE(ReadFile(dir_.File(".laura_history")).find("k1"), std::string::npos);
  {
    PtySession pty({LAURA_BINARY, db_}, env);
    ASSERT_TRUE(pty.ReadUntil("laura> ")) << pty.output();
    pty.Write("\x1b[A\x1b[A\x1b[A\x1b[A\r");
    ASSERT_TRUE(pty.ReadUntil("\nv1\r\n")) << pty.output();
    pty.Write("quit\r");
    EXPECT_EQ(pty.Wait(), 0);
  }
  EXPECT_EQ(Commands("count"), "1\n");  // k3 was rolled back
}

}  // namespace
}  // namespace laura
