// FrameArena (see frame_arena.h): chunks of kChunkBytes, each mapped
// aligned to its size (a larger mapping, trimmed at both ends) so that the
// kernel can back it with one huge page.
#include "storage/frame_arena.h"

#include <sys/mman.h>

#include <cstdint>


#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAURA_FRAME_ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LAURA_FRAME_ARENA_ASAN 1
#endif

#ifdef LAURA_FRAME_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define LAURA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define LAURA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define LAURA_POISON(p, n) ((void)(p), (void)(n))
#define LAURA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace laura {

FrameArena::FrameArena(size_t frame_size) : frame_size_(frame_size) {}

FrameArena::~FrameArena() {
  for (char* chunk : chunks_) {
    LAURA_UNPOISON(chunk, kChunkBytes);
    ::munmap(chunk, kChunkBytes);
  }
}

char* FrameArena::Take() {
  if (free_.empty() && !Grow()) return nullptr;
  char* frame = free_.back();
  free_.pop_back();
  LAURA_UNPOISON(frame, frame_size_);
  return frame;
}

void FrameArena::Give(char* frame) {
  LAURA_POISON(frame, frame_size_);
  free_.push_back(frame);
}

bool FrameArena::Grow() {
  // Twice the size, then the unaligned head and tail go back. Reserved
  // (no MAP_NORESERVE): every frame is written, so under strict overcommit
  // running out of memory is this mmap's error, not a fault at a store.
  void* raw = ::mmap(nullptr, 2 * kChunkBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return false;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (begin + kChunkBytes - 1) & ~(uintptr_t{kChunkBytes} - 1);
  if (aligned > begin) ::munmap(raw, aligned - begin);
  const uintptr_t tail = aligned + kChunkBytes;
  const uintptr_t end = begin + 2 * kChunkBytes;
  if (end > tail) ::munmap(reinterpret_cast<void*>(tail), end - tail);
  char* chunk = reinterpret_cast<char*>(aligned);
  ::madvise(chunk, kChunkBytes, MADV_HUGEPAGE);  // a hint: no huge pages is fine
  chunks_.push_back(chunk);
  // Handed out from the chunk's start: Take pops from the back.
  for (size_t offset = kChunkBytes; offset >= frame_size_; offset -= frame_size_) {
    free_.push_back(chunk + offset - frame_size_);
  }
  LAURA_POISON(chunk, kChunkBytes);
  return true;
}

}  // namespace laura
