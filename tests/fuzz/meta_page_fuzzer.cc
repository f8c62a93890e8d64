// Fuzz target: the meta-page decoder and meta selection over arbitrary file
// bytes. They must return a Meta or an error, never crash or read outside
// the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file(reinterpret_cast<const char*>(data), size);
  for (laura::PageId id : {0, 1}) {
    (void)laura::DecodeMeta(file.data(), file.size(), id);
  }
  auto read = [&file](uint64_t offset, size_t n, char* dst) -> absl::Status {
    if (offset > file.size() || n > file.size() - offset) {
      return absl::OutOfRangeError("read past end");
    }
    file.copy(dst, n, offset);
    return absl::OkStatus();
  };
  absl::StatusOr<laura::Meta> meta = laura::LoadMeta(read, file.size());
  if (meta.ok() && meta->page_count > file.size() / meta->page_size) {
    __builtin_trap();  // LoadMeta promised the file holds every page
  }
  return 0;
}
