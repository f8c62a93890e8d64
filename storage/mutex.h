// Mutex and MutexLock: absl::Mutex, made visible to ThreadSanitizer.
//
// Debian's Abseil libraries are not built with TSan, so TSan cannot see
// that absl::Mutex orders the critical sections and reports false races.
// Under TSan this wrapper tells it: acquire after locking, release before
// unlocking. Elsewhere it is absl::Mutex and nothing more. Use these in
// place of absl::Mutex / absl::MutexLock everywhere in the project.
#ifndef LAURA_STORAGE_MUTEX_H_
#define LAURA_STORAGE_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#if defined(__SANITIZE_THREAD__)
#define LAURA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LAURA_TSAN 1
#endif
#endif

#ifdef LAURA_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace laura {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
#ifdef LAURA_TSAN
    __tsan_acquire(this);
#endif
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
#ifdef LAURA_TSAN
    __tsan_release(this);
#endif
    mu_.Unlock();
  }
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }
  // Releases the mutex until cond holds, then holds it again. (Abseil may
  // evaluate cond on another thread that holds the mutex; under TSan the
  // evaluation is wrapped so that it, too, is ordered by the mutex.)
  void Await(const absl::Condition& cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
#ifdef LAURA_TSAN
    OrderedCondition ordered{&cond, this};
    __tsan_release(this);
    mu_.Await(ordered.condition());
    __tsan_acquire(this);
#else
    mu_.Await(cond);
#endif
  }
  // Await, giving up after timeout; true if cond holds.
  bool AwaitWithTimeout(const absl::Condition& cond, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
#ifdef LAURA_TSAN
    OrderedCondition ordered{&cond, this};
    __tsan_release(this);
    const bool holds = mu_.AwaitWithTimeout(ordered.condition(), timeout);
    __tsan_acquire(this);
    return holds;
#else
    return mu_.AwaitWithTimeout(cond, timeout);
#endif
  }

#ifdef LAURA_TSAN
 private:
  // A condition whose evaluation TSan sees as inside the critical section.
  struct OrderedCondition {
    const absl::Condition* cond;
    Mutex* mu;
    static bool Eval(OrderedCondition* c) {
      __tsan_acquire(c->mu);
      const bool holds = c->cond->Eval();
      __tsan_release(c->mu);
      return holds;
    }
    absl::Condition condition() { return absl::Condition(&Eval, this); }
  };
#endif

 private:
  absl::Mutex mu_;
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
