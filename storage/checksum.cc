// XXH3-64 wrapper (see checksum.h). On x86-64 it calls libxxhash's runtime
// dispatcher, which picks the widest vector unit the CPU has (AVX2/AVX-512)
// instead of the SSE2 baseline the library is compiled for.
#include "storage/checksum.h"

#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

namespace laura {

uint64_t Checksum(const char* data, size_t n) {
#if defined(__x86_64__)
  return XXH3_64bits_dispatch(data, n);
#else
  return XXH3_64bits(data, n);
#endif
}

}  // namespace laura
