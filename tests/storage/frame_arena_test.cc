// Tests for FrameArena: frames are distinct, aligned and whole; given-back
// frames are taken again before any new chunk is mapped; a chunk is
// mapped only when every frame is out; under AddressSanitizer, a frame
// given back is poisoned.
#include "storage/frame_arena.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/sanitizers.h"

#ifdef LAURA_TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace laura {
namespace {

constexpr size_t kFrame = 4096;
constexpr size_t kPerChunk = FrameArena::kChunkBytes / kFrame;

TEST(FrameArenaTest, FramesAreDistinctAlignedAndWritableWhole) {
  FrameArena arena(kFrame);
  EXPECT_EQ(arena.mapped_bytes(), 0u);  // nothing before the first Take
  std::vector<char*> frames;
  std::set<char*> seen;
  for (size_t i = 0; i < kPerChunk + 3; ++i) {  // into a second chunk
    char* frame = arena.Take();
    ASSERT_NE(frame, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(frame) % kFrame, 0u);
    EXPECT_TRUE(seen.insert(frame).second) << "frame handed out twice";
    std::memset(frame, static_cast<int>(i), kFrame);
    frames.push_back(frame);
  }
  EXPECT_EQ(arena.mapped_bytes(), 2 * FrameArena::kChunkBytes);
  // No frame overlaps another: each still holds its own byte.
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i][0], static_cast<char>(i));
    EXPECT_EQ(frames[i][kFrame - 1], static_cast<char>(i));
  }
  for (char* frame : frames) arena.Give(frame);
}

TEST(FrameArenaTest, GivenBackFramesAreTakenBeforeANewChunk) {
  FrameArena arena(kFrame);
  std::vector<char*> frames;
  for (size_t i = 0; i < kPerChunk; ++i) frames.push_back(arena.Take());
  EXPECT_EQ(arena.free_frames(), 0u);
  arena.Give(frames[7]);
  arena.Give(frames[100]);
  EXPECT_EQ(arena.free_frames(), 2u);
  std::set<char*> again = {arena.Take(), arena.Take()};
  EXPECT_EQ(again, (std::set<char*>{frames[7], frames[100]}));
  EXPECT_EQ(arena.mapped_bytes(), FrameArena::kChunkBytes);  // still one chunk
  for (char* frame : frames) arena.Give(frame);
  EXPECT_EQ(arena.free_frames(), kPerChunk);
}

TEST(FrameArenaTest, LargerFramesFillAChunkToo) {
  constexpr size_t kLarge = 65536;
  FrameArena arena(kLarge);
  std::set<char*> frames;
  for (size_t i = 0; i < FrameArena::kChunkBytes / kLarge; ++i) {
    char* frame = arena.Take();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(frame) % kLarge, 0u);
    frames.insert(frame);
  }
  EXPECT_EQ(frames.size(), FrameArena::kChunkBytes / kLarge);
  EXPECT_EQ(arena.mapped_bytes(), FrameArena::kChunkBytes);
  for (char* frame : frames) arena.Give(frame);
}

#ifdef LAURA_TEST_ASAN
// Built only with AddressSanitizer (scripts/test.sh's second build), where
// a read of a frame after Give must be reported like a use after free.
TEST(FrameArenaTest, AFrameGivenBackIsPoisonedUntilTakenAgain) {
  FrameArena arena(kFrame);
  char* frame = arena.Take();
  EXPECT_FALSE(__asan_region_is_poisoned(frame, kFrame));
  arena.Give(frame);
  EXPECT_TRUE(__asan_address_is_poisoned(frame));
  EXPECT_TRUE(__asan_address_is_poisoned(frame + kFrame - 1));
  EXPECT_EQ(arena.Take(), frame);
  EXPECT_FALSE(__asan_region_is_poisoned(frame, kFrame));
  arena.Give(frame);
}
#endif

}  // namespace
}  // namespace laura
