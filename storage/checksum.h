// The one checksum of LauraDB: XXH3-64 over a byte range. Pages and log
// records both use it; a mismatch is reported as DataLoss by the caller,
// naming the page id or log offset.
#ifndef LAURA_STORAGE_CHECKSUM_H_
#define LAURA_STORAGE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace laura {

// XXH3-64 (seed 0) of data[0, n).
uint64_t Checksum(const char* data, size_t n);
inline uint64_t Checksum(absl::string_view data) {
  return Checksum(data.data(), data.size());
}

}  // namespace laura

#endif  // LAURA_STORAGE_CHECKSUM_H_
