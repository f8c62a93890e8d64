// The processes of MultiProcessTest (multi_process_test.cc), started with
// fork + exec:
//   multi_process_helper writer DB pread|mmap STOP RESULT
//       commits states 1, 2, ... after the last one in DB (at least one) (state i: every
//       key of Key(k) holds Value(i), and "seq" holds i) until STOP exists,
//       then closes and writes the last state to RESULT.
//   multi_process_helper reader DB STOP READY RESULT
//       opens DB read-only and checks snapshot after snapshot that each is
//       one whole state, never older than the one before; creates READY
//       after the first; once STOP exists, writes "SNAPSHOTS DISTINCT LAST"
//       to RESULT. Exit status 1 (message on stderr) on a violation.
//   multi_process_helper hold DB READY
//       opens DB read-only, takes a read snapshot, writes its state to
//       READY and waits to be killed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "laura/db.h"

namespace laura {
namespace {

constexpr int kKeys = 40;

std::string Key(int k) { return absl::StrFormat("k%02d", k); }
// Some states put values in overflow pages.
std::string Value(uint64_t state) {
  return absl::StrCat("v", state, ":", std::string(state % 7 == 0 ? 3000 : 20 + state % 40, 'x'));
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void WriteFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::rename(tmp.c_str(), path.c_str());
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(1);
}

Options WriterOptions(const std::string& kind) {
  Options o;
  o.disk_manager = kind == "pread" ? DiskManagerKind::kPread : DiskManagerKind::kMmap;
  o.durability = Durability::kNoSync;  // a killed process loses nothing the OS has
  o.checkpoint_log_bytes = 256 * 1024;  // checkpoints happen between kills
  return o;
}

int RunWriter(const std::string& path, const std::string& kind, const std::string& stop,
              const std::string& result) {
  auto db = DB::Open(WriterOptions(kind), path);
  if (!db.ok()) Die(absl::StrCat("writer: ", db.status().ToString()));
  uint64_t state = 0;
  if (auto seq = (*db)->Get("seq"); seq.ok()) state = std::strtoull(seq->c_str(), nullptr, 10);
  do {  // at least one state
    ++state;
    WriteBatch batch;
    for (int k = 0; k < kKeys; ++k) batch.Put(Key(k), Value(state));
    batch.Put("seq", absl::StrCat(state));
    if (absl::Status s = (*db)->Write(batch); !s.ok()) Die(absl::StrCat("writer: ", s.ToString()));
  } while (!Exists(stop));
  if (absl::Status s = (*db)->Close(); !s.ok()) Die(absl::StrCat("writer close: ", s.ToString()));
  WriteFile(result, absl::StrCat(state));
  return 0;
}

// The state a snapshot holds; exits on a torn or mixed one.
uint64_t ReadState(ReadTransaction& snap) {
  auto seq = snap.Get("seq");
  if (!seq.ok()) Die(absl::StrCat("reader: seq: ", seq.status().ToString()));
  const uint64_t state = std::strtoull(seq->c_str(), nullptr, 10);
  for (int k = 0; k < kKeys; ++k) {
    auto v = snap.Get(Key(k));
    if (!v.ok()) Die(absl::StrCat("reader: ", Key(k), ": ", v.status().ToString()));
    if (*v != Value(state)) {
      Die(absl::StrCat("reader: a torn snapshot: seq ", state, " but ", Key(k), " = ",
                       v->substr(0, 12)));
    }
  }
  return state;
}

std::unique_ptr<DB> OpenReadOnly(const std::string& path) {
  Options o;
  o.read_only = true;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(o, path);
  if (!db.ok()) Die(absl::StrCat("reader open: ", db.status().ToString()));
  return std::move(*db);
}

int RunReader(const std::string& path, const std::string& stop, const std::string& ready,
              const std::string& result) {
  std::unique_ptr<DB> db = OpenReadOnly(path);
  uint64_t snapshots = 0, distinct = 0, last = 0;
  bool first = true;
  while (true) {
    const bool stopping = Exists(stop);
    std::unique_ptr<ReadTransaction> snap = db->BeginRead();
    const uint64_t state = ReadState(*snap);
    snap.reset();
    if (!first && state < last) {
      Die(absl::StrCat("reader: state ", state, " after state ", last));
    }
    distinct += first || state != last;
    last = state;
    ++snapshots;
    if (first) WriteFile(ready, "ready");
    first = false;
    if (stopping) break;
  }
  if (absl::Status s = db->Close(); !s.ok()) Die(absl::StrCat("reader close: ", s.ToString()));
  WriteFile(result, absl::StrCat(snapshots, " ", distinct, " ", last));
  return 0;
}

int RunHold(const std::string& path, const std::string& ready) {
  std::unique_ptr<DB> db = OpenReadOnly(path);
  std::unique_ptr<ReadTransaction> snap = db->BeginRead();
  auto seq = snap->Get("seq");
  WriteFile(ready, seq.ok() ? *seq : std::string("none"));
  while (true) ::pause();
}

}  // namespace
}  // namespace laura

int main(int argc, char** argv) {
  using namespace laura;
  const std::string role = argc > 1 ? argv[1] : "";
  if (role == "writer" && argc == 6) return RunWriter(argv[2], argv[3], argv[4], argv[5]);
  if (role == "reader" && argc == 6) return RunReader(argv[2], argv[3], argv[4], argv[5]);
  if (role == "hold" && argc == 4) return RunHold(argv[2], argv[3]);
  std::fprintf(stderr, "usage: see tests/engine/multi_process_helper.cc\n");
  return 2;
}
