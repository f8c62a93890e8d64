// A complete LauraDB program: open (or create) a database, write, read,
// use a transaction and an iterator, close. Built with the project
// (build/examples/example) so that it always compiles against the API.
//
// Usage: example [DBPATH]   (default: ./example.laura)
#include <cstdio>
#include <memory>
#include <string>

#include "laura/db.h"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "example.laura";
  laura::Options options;  // mmap disk manager, 4 KiB pages, synced commits
  absl::StatusOr<std::unique_ptr<laura::DB>> opened = laura::DB::Open(options, path);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  laura::DB& db = **opened;

  // Single writes are atomic and durable when they return OK.
  absl::Status s = db.Put("user/1", "ada");
  if (s.ok()) s = db.Put("user/2", "grace");

  // A batch applies all of its operations or none.
  laura::WriteBatch batch;
  batch.Put("user/3", "barbara");
  batch.Delete("user/2");
  if (s.ok()) s = db.Write(batch);

  // A write transaction sees its own writes; nothing is visible to others
  // until Commit.
  if (s.ok()) {
    absl::StatusOr<std::unique_ptr<laura::WriteTransaction>> txn = db.BeginWrite();
    s = txn.status();
    if (s.ok()) s = (*txn)->Put("user/4", "margaret");
    if (s.ok()) s = (*txn)->Commit();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
    return 1;
  }

  absl::StatusOr<std::string> value = db.Get("user/1");
  std::printf("user/1 = %s\n", value.ok() ? value->c_str() : value.status().ToString().c_str());

  // Iterate a snapshot in key order.
  std::unique_ptr<laura::ReadTransaction> snapshot = db.BeginRead();
  std::unique_ptr<laura::Iterator> it = snapshot->NewIterator();
  for (it->Seek("user/"); it->Valid() && it->key().substr(0, 5) == "user/"; it->Next()) {
    std::printf("%.*s -> %.*s\n", static_cast<int>(it->key().size()), it->key().data(),
                static_cast<int>(it->value().size()), it->value().data());
  }
  if (!it->status().ok()) std::fprintf(stderr, "scan: %s\n", it->status().ToString().c_str());
  it.reset();  // iterators before their transaction,
  snapshot.reset();  // transactions before Close

  std::printf("%s", db.Stats().ToString().c_str());
  s = db.Close();  // checkpoints: the log is folded into the data file
  if (!s.ok()) {
    std::fprintf(stderr, "close: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
