// FrameArena: page-sized frames for the mmap pager's private page versions
// (storage/mmap_pager.cc), carved from 2 MiB chunks of anonymous memory.
//
// Why not operator new per frame: a new frame is a fresh 4 KiB page the
// kernel faults in and zeroes on its first store, one fault per page a
// write batch builds. A sequential fill of 1M entries built its frames in
// a sixth of the writer's time that way (bench/README.md, "Frames from
// chunks"). A chunk is one mmap, aligned to 2 MiB and advised
// MADV_HUGEPAGE: where the kernel has transparent huge pages it is one
// fault for 512 frames of 4 KiB.
//
// Memory: chunks are unmapped only by the destructor, so the arena holds
// the most frames its owner ever had out at once (the mmap pager bounds
// that by its frame budget plus the frames readers still hold).
// Frames given back are poisoned under AddressSanitizer until taken again,
// so a use after Give is reported as one after a free would be
// (FrameArenaTest.AFrameGivenBackIsPoisonedUntilTakenAgain, in the ASan
// build).
//
// Thread safety: none; the mmap pager's writer is the only caller.
#ifndef LAURA_STORAGE_FRAME_ARENA_H_
#define LAURA_STORAGE_FRAME_ARENA_H_

#include <cstddef>
#include <vector>

namespace laura {

class FrameArena {
 public:
  // Chunk size and alignment: one transparent huge page on x86-64.
  static constexpr size_t kChunkBytes = size_t{2} << 20;

  // frame_size: a power of two from 512 bytes to kChunkBytes.
  explicit FrameArena(size_t frame_size);
  ~FrameArena();
  FrameArena(const FrameArena&) = delete;
  FrameArena& operator=(const FrameArena&) = delete;

  // A frame of frame_size bytes aligned to frame_size; nullptr when no
  // memory can be mapped. Its bytes are unspecified.
  char* Take();
  // Gives back a frame from Take for a later Take.
  void Give(char* frame);

  size_t frame_size() const { return frame_size_; }
  // Frames given back and not taken again.
  size_t free_frames() const { return free_.size(); }
  // Bytes mapped: chunks times kChunkBytes.
  size_t mapped_bytes() const { return chunks_.size() * kChunkBytes; }

 private:
  // Maps one more chunk and adds its frames to free_; false if mmap failed.
  bool Grow();

  const size_t frame_size_;
  std::vector<char*> chunks_;
  std::vector<char*> free_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_FRAME_ARENA_H_
