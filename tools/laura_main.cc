// laura: the LauraDB command. For now it opens (creating if needed) a data
// file with either disk manager, prints its statistics and closes it; the
// interactive shell replaces this in a later issue.
//
// Usage: laura [--mmap | --pread] [--page-size N] [--read-only] [PATH]
//   PATH defaults to ./laura.db
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "storage/disk_manager.h"

namespace {

int Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "laura: %s\n", error);
  std::fprintf(stderr,
               "usage: laura [--mmap | --pread] [--page-size N] [--read-only] "
               "[PATH]\n  PATH defaults to ./laura.db\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  laura::DiskManagerKind kind = laura::DiskManagerKind::kMmap;
  laura::DiskManagerOptions options;
  std::string path = "laura.db";
  bool have_path = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mmap") {
      kind = laura::DiskManagerKind::kMmap;
    } else if (arg == "--pread") {
      kind = laura::DiskManagerKind::kPread;
    } else if (arg == "--read-only") {
      options.read_only = true;
    } else if (arg == "--page-size") {
      if (i + 1 >= argc || !absl::SimpleAtoi(argv[i + 1], &options.page_size)) {
        return Usage("--page-size needs a number of bytes");
      }
      ++i;
    } else if (arg == "--help" || arg == "-h") {
      return Usage(nullptr), 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage(("unknown option " + arg).c_str());
    } else if (have_path) {
      return Usage("more than one PATH given");
    } else {
      path = arg;
      have_path = true;
    }
  }
  auto dm = laura::DiskManager::Open(kind, path, options);
  if (!dm.ok()) {
    std::fprintf(stderr, "laura: %s\n", dm.status().ToString().c_str());
    return 1;
  }
  std::printf("opened %s with the %s disk manager\n%s\n", path.c_str(),
              laura::DiskManagerKindName(kind),
              (*dm)->Stats().ToString().c_str());
  if (absl::Status s = (*dm)->Close(); !s.ok()) {
    std::fprintf(stderr, "laura: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
