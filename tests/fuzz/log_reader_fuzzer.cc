// Fuzz target: the log reader over arbitrary segment bytes. The input is
// written as segment 1 of a log directory, after a valid segment header
// unless it starts with the log magic itself; reading it must end
// in records, a clean end or an error, never a crash or an out-of-bounds
// read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/fuzz/scratch_dir.h"
#include "wal/log.h"

namespace {

const std::string& Dir() {
  static const std::string dir = laura::MakeScratchDir("log");
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes;
  const bool has_magic =
      size >= 8 && std::string(reinterpret_cast<const char*>(data), 8) == "LauraLOG";
  if (!has_magic) {
    bytes.resize(laura::kSegmentHeaderSize);
    laura::EncodeSegmentHeader(1, bytes.data());
  }
  bytes.append(reinterpret_cast<const char*>(data), size);
  const std::string path = Dir() + "/" + laura::SegmentFileName(1);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto reader = laura::LogReader::Open(nullptr, Dir());
  if (!reader.ok()) return 0;
  laura::LogRecord record;
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> more = (*reader)->Next(&record);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
