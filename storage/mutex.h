// Mutex and MutexLock: the project's one lock, with absl::Mutex's
// Await(Condition) interface, over std::mutex and std::condition_variable.
//
// Why not absl::Mutex itself: Debian's Abseil is built with its deadlock
// detector on, so every absl::Mutex lock takes one process-wide lock to
// update a lock graph (23.6 ns per uncontended lock and unlock here, against
// 6.2 ns with the detector off, and every thread's locks contend on that
// one lock), and turning it off is a process-wide setting that is not a
// library's to change. ThreadSanitizer also understands std::mutex and
// std::condition_variable natively.
//
// Await, as in absl::Mutex: a thread that unlocks evaluates the conditions
// of the threads waiting (still holding the mutex) and wakes only those
// whose condition now holds, so a waiter that is not ready costs an
// unlocker a function call, never a context switch. A condition must
// depend only on state changed under this mutex.
#ifndef LAURA_STORAGE_MUTEX_H_
#define LAURA_STORAGE_MUTEX_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"  // absl::Condition
#include "absl/time/time.h"

namespace laura {

// Polls ready() without any lock, yielding the processor between polls,
// until it returns true or `limit` has passed; returns its last answer.
// For waits that usually end within a sync's time: a thread that sleeps
// can take 50-100 us to run again once woken on a virtual machine (seen on
// the project machine), as long as the wait itself.
template <typename Ready>
bool SpinUntil(Ready ready, std::chrono::microseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    WakeReady();
    mu_.unlock();
  }
  // For the thread-safety analysis only (std::mutex cannot tell).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  // Releases the mutex until cond holds, then holds it again.
  void Await(const absl::Condition& cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Wait(cond, nullptr);
  }
  // Releases the mutex while it polls ready() as SpinUntil does (ready may
  // read only state that needs no lock: atomics), then holds it again;
  // returns ready's last answer. For a short wait before an Await.
  template <typename Ready>
  bool SpinUnlocked(Ready ready, std::chrono::microseconds limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Unlock();
    const bool done = SpinUntil(ready, limit);
    Lock();
    return done;
  }
  // Await, giving up after timeout; true if cond holds.
  bool AwaitWithTimeout(const absl::Condition& cond, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (timeout == absl::InfiniteDuration()) return Wait(cond, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    return Wait(cond, &deadline);
  }

 private:
  struct Waiter {
    explicit Waiter(const absl::Condition* c) : cond(c) {}
    const absl::Condition* cond;
    std::condition_variable cv;
    bool woken = false;  // an unlocker saw cond hold and notified
  };
  using Deadline = std::chrono::steady_clock::time_point;

  // Wakes the waiters whose condition holds now (mutex held).
  void WakeReady() {
    for (Waiter* w : waiters_) {
      if (!w->woken && w->cond->Eval()) {
        w->woken = true;
        w->cv.notify_one();  // under the lock: the waiter cannot be gone yet
      }
    }
  }

  // Waits (mutex held on entry and return) until cond holds or the
  // deadline, if any, passes; returns whether cond holds.
  bool Wait(const absl::Condition& cond, const Deadline* deadline) {
    if (cond.Eval()) return true;
    WakeReady();  // releasing the mutex to wait is an unlock too
    Waiter me(&cond);
    waiters_.push_back(&me);
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    bool holds = false;
    while (!holds) {
      if (deadline == nullptr) {
        me.cv.wait(lock);
      } else if (me.cv.wait_until(lock, *deadline) == std::cv_status::timeout) {
        holds = cond.Eval();
        break;
      }
      holds = cond.Eval();  // it may have changed again since the wake-up
      me.woken = false;
    }
    lock.release();  // still held, by the caller
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
    return holds;
  }

  std::mutex mu_;
  std::vector<Waiter*> waiters_;  // threads in Wait, guarded by mu_
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_MUTEX_H_
