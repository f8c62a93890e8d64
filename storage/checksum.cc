// XXH3-64 wrapper (see checksum.h).
#include "storage/checksum.h"

#include <xxhash.h>

namespace laura {

uint64_t Checksum(const char* data, size_t n) { return XXH3_64bits(data, n); }

}  // namespace laura
