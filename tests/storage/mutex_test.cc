// Tests for storage/mutex.h: Await wakes when another thread changes the
// awaited state under the mutex, AwaitWithTimeout reports whether the
// condition held, SpinUnlocked lets other threads take the mutex while it
// polls, and many threads hand a counter around without losing a wake-up
// (also run under TSan by the test command).
#include "storage/mutex.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace laura {
namespace {

TEST(MutexTest, AwaitWakesWhenAnotherThreadSetsTheState) {
  Mutex mu;
  bool ready = false;
  std::thread setter([&] {
    MutexLock lock(&mu);
    ready = true;
  });
  {
    MutexLock lock(&mu);
    mu.Await(absl::Condition(&ready));
    EXPECT_TRUE(ready);
  }
  setter.join();
}

TEST(MutexTest, AwaitWithTimeoutSaysWhetherTheConditionHeld) {
  Mutex mu;
  bool ready = false;
  MutexLock lock(&mu);
  EXPECT_FALSE(mu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(5)));
  ready = true;
  EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(5)));
  EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&ready), absl::InfiniteDuration()));
}

TEST(MutexTest, SpinUnlockedReleasesTheMutexWhileItPolls) {
  Mutex mu;
  std::atomic<bool> flag{false};
  int guarded = 0;  // written by the other thread under mu
  MutexLock lock(&mu);
  // Nothing sets the flag: it gives up after the limit, still holding mu.
  EXPECT_FALSE(mu.SpinUnlocked([&] { return flag.load(); }, std::chrono::microseconds(100)));
  // The setter can set the flag only by taking mu, which SpinUnlocked
  // must have released (a limit far past the test's length).
  std::thread setter([&] {
    MutexLock other(&mu);
    guarded = 1;
    flag.store(true);
  });
  EXPECT_TRUE(mu.SpinUnlocked([&] { return flag.load(); }, std::chrono::seconds(60)));
  EXPECT_EQ(guarded, 1);  // held again: the setter's write is visible
  mu.AssertHeld();
  setter.join();
}

TEST(MutexTest, ThreadsTakeTurnsWithoutALostWakeUp) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  Mutex mu;
  int turn = 0;  // thread turn % kThreads goes next
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      struct Mine {
        const int* turn;
        int me;
        static bool Is(Mine* m) { return *m->turn % kThreads == m->me; }
      } mine{&turn, t};
      for (int r = 0; r < kRounds; ++r) {
        MutexLock lock(&mu);
        mu.Await(absl::Condition(&Mine::Is, &mine));
        ++turn;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(turn, kThreads * kRounds);
}

}  // namespace
}  // namespace laura
