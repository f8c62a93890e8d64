// A C++ program that uses an installed LauraDB through its public headers
// (#include <laura/db.h>) and liblaura.a (tests/install/install_test.sh
// builds it against a temporary prefix). Prints the value read back and
// the library's version, as the C consumer does.
#include <cstdio>
#include <memory>
#include <string>

#include <laura/db.h>
#include <laura/version.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer DBPATH\n");
    return 2;
  }
  laura::Options options;
  options.durability = laura::Durability::kNoSync;
  absl::StatusOr<std::unique_ptr<laura::DB>> db = laura::DB::Open(options, argv[1]);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  laura::WriteBatch batch;
  batch.Put("hello", "world");
  absl::Status s = (*db)->Write(batch);
  absl::StatusOr<std::string> value = s.ok() ? (*db)->Get("hello") : s;
  if (!value.ok()) {
    std::fprintf(stderr, "write/get: %s\n", value.status().ToString().c_str());
    return 1;
  }
  s = (*db)->Close();
  if (!s.ok()) {
    std::fprintf(stderr, "close: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s %s\n", value->c_str(), laura::Version());
  return 0;
}
