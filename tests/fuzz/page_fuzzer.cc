// Fuzz target: the page-header decoder, page verification and the free-list
// loader over arbitrary bytes taken as a run of 4 KiB pages. Each must
// return a value or an error, never crash or read outside the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "storage/free_list.h"
#include "storage/page.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  (void)laura::DecodePageHeader(bytes, size);
  constexpr uint32_t kPage = laura::kMinPageSize;
  const uint64_t pages = size / kPage;
  for (uint64_t id = 0; id < pages; ++id) {
    (void)laura::VerifyPage(bytes + id * kPage, kPage, id);
  }
  if (pages < 3) return 0;
  // Walk a free list starting at page 2, with pages as found (unverified).
  auto read = [&](laura::PageId id, char* out) -> absl::Status {
    if (id >= pages) return absl::OutOfRangeError("past end");
    std::memcpy(out, bytes + id * kPage, kPage);
    return absl::OkStatus();
  };
  uint64_t expected = size > 0 ? data[0] : 0;
  (void)laura::LoadFreeList(read, kPage, 2, expected, pages);
  return 0;
}
