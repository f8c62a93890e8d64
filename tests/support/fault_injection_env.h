// FaultInjectionEnv: an Env for tests that simulates power loss and I/O
// errors on top of a real directory (it wraps another Env, normally POSIX).
//
// Durability model (what survives Crash()):
//  - File contents: only what a File::Sync (fdatasync) made durable.
//    Writes through a mapping reach the file like pwrites and are durable
//    only once synced the same way.
//  - File size: changed durably only by File::Sync.
//  - Directory entries (create, rename, delete): durable only after SyncDir
//    of the parent directory. Contents belong to the file (inode), so a
//    synced file renamed without a directory sync reverts to its old name.
//    A directory made by CreateDir is durable only once its parent is
//    synced; until then a crash removes it with everything inside.
// Crash modes: kDropUnsynced keeps only durable state; kKeepUnsynced keeps
// everything (the OS happened to write it all back); kTearUnsynced keeps, for
// each unsynced 4 KiB block, the old version, the new one or a mix of their
// 512-byte sectors, and maybe an unsynced extension of the file, chosen by a
// seeded generator (directory entries as in kDropUnsynced).
//
// Error injection: FailOperation(n, errno) makes the nth matching operation
// from now fail with that errno (once, or for every later one too).
// SetSpaceLimit(bytes) makes writes and allocations beyond that total size
// of tracked files fail with ENOSPC. SetHook(fn) calls fn before every
// operation (to hold one up while other threads go on).
//
// Thread safety: all methods may be called from any thread.
#ifndef LAURA_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_
#define LAURA_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "storage/mutex.h"
#include "storage/env.h"

namespace laura {

class FaultInjectionEnv final : public Env {
 public:
  // Kinds of operations, for counting and failing them.
  enum OpKind : uint32_t {
    kRead = 1 << 0,
    kWrite = 1 << 1,
    kSync = 1 << 2,      // fdatasync, directory fsync
    kAllocate = 1 << 3,  // fallocate
    kTruncate = 1 << 4,
    kOpen = 1 << 5,      // open, lock
    kMap = 1 << 6,       // reserve address space, map
    kMetadata = 1 << 7,  // rename, delete, mkdir
    kAllOps = 0xff,
    // Reported to the hook only ("writeback PATH OFFSET LEN"), never
    // counted or failed: File::StartWriteBack is a hint.
    kWriteBack = 1 << 8,
  };
  enum class CrashMode { kDropUnsynced, kKeepUnsynced, kTearUnsynced };

  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  // The nth operation (1 = the next) of the given kinds fails with errno
  // err; if persistent, every later one of those kinds fails too.
  void FailOperation(uint64_t nth, int err, bool persistent = false,
                     uint32_t kinds = kAllOps);
  void ClearFailures();
  // Operations counted so far (of every kind).
  uint64_t operation_count() const;
  // Writes and allocations that would make the tracked files larger than
  // this many bytes in total fail with ENOSPC. 0 = no limit.
  void SetSpaceLimit(uint64_t bytes);
  // fn(kind, description) runs on the calling thread before each operation
  // ("fdatasync PATH", "mmap PATH", ...). nullptr: none.
  using Hook = std::function<void(OpKind kind, const std::string& what)>;
  void SetHook(Hook fn);

  // Simulates power loss. REQUIRES: every File and mapping obtained from
  // this Env has been destroyed. Afterwards the real files hold exactly the
  // surviving state, which counts as durable from then on.
  absl::Status Crash(CrashMode mode, uint64_t seed = 0);

  // Env:
  absl::StatusOr<std::unique_ptr<File>> OpenFile(
      const std::string& path, const FileOpenOptions& options) override;
  bool FileExists(const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status CreateDir(const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  absl::StatusOr<char*> ReserveAddressSpace(size_t len) override;
  void ReleaseAddressSpace(char* addr, size_t len) override;
  absl::Status ReturnToReservation(char* addr, size_t len) override;
  absl::Status AdviseMemory(char* addr, size_t len, AccessAdvice advice) override;

 private:
  friend class FaultFile;
  using InodeId = uint64_t;

  // Counts one operation of `kind`; an injected error if it must fail.
  absl::Status Check(OpKind kind, const std::string& what);
  void Notify(OpKind kind, const std::string& what);  // the hook alone
  absl::Status CheckSpace(const std::string& path, uint64_t end);
  // The inode a path names now, registering a pre-existing file as durable.
  InodeId TrackLocked(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The file's durable content is now `content` (a completed fdatasync).
  void MarkSynced(InodeId inode, const std::string& content);
  std::string Survivor(const std::string& durable, const std::string& current,
                       CrashMode mode, uint64_t* rng);

  Env* const base_;
  // Held by a sync from reading the synced bytes until they are recorded
  // as durable, so concurrent syncs of one file are recorded in order.
  Mutex sync_mu_;
  mutable Mutex mu_;
  uint64_t ops_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t fail_at_ ABSL_GUARDED_BY(mu_) = 0;  // 0 = none armed
  int fail_errno_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_persistent_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t fail_kinds_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t matched_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t space_limit_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const Hook> hook_ ABSL_GUARDED_BY(mu_);
  InodeId next_inode_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<InodeId, std::string> durable_content_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, InodeId> current_names_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, InodeId> durable_names_ ABSL_GUARDED_BY(mu_);
  // Directories created since their parent was last synced.
  absl::flat_hash_set<std::string> unsynced_dirs_ ABSL_GUARDED_BY(mu_);
  // Whether a directory above path is in unsynced_dirs_.
  bool InUnsyncedDir(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_
