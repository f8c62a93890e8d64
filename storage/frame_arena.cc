// FrameArena (see frame_arena.h): chunks of kChunkBytes, each mapped
// aligned to its size (a larger mapping, trimmed at both ends) so that the
// kernel can back it with one huge page.
#include "storage/frame_arena.h"

#include <sanitizer/asan_interface.h>  // no-op poisoning without ASan
#include <sys/mman.h>

#include <cstdint>

namespace laura {

FrameArena::FrameArena(size_t frame_size) : frame_size_(frame_size) {}

FrameArena::~FrameArena() {
  for (char* chunk : chunks_) {
    ASAN_UNPOISON_MEMORY_REGION(chunk, kChunkBytes);
    ::munmap(chunk, kChunkBytes);
  }
}

char* FrameArena::Take() {
  if (free_.empty() && !Grow()) return nullptr;
  char* frame = free_.back();
  free_.pop_back();
  ASAN_UNPOISON_MEMORY_REGION(frame, frame_size_);
  return frame;
}

void FrameArena::Give(char* frame) {
  ASAN_POISON_MEMORY_REGION(frame, frame_size_);
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
  ASAN_POISON_MEMORY_REGION(chunk, kChunkBytes);
  return true;
}

}  // namespace laura
