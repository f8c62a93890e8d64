// Env: the seam through which every byte of LauraDB's I/O goes.
//
// File operations (open, pread, pwrite, fdatasync, fallocate, ftruncate,
// fadvise), directory operations (create, list, rename, unlink, fsync),
// advisory locks and memory mapping (reserve an address range, map a file
// extent into it, madvise) are all virtual here, so tests can
// substitute an Env that drops unsynced writes, tears pages or fails the Nth
// operation (see tests/support/fault_injection_env.h).
//
// Errors are absl::Status values whose message names the path and offset:
// ENOSPC/EDQUOT/EFBIG -> ResourceExhausted, ENOENT -> NotFound, EACCES/EPERM ->
// PermissionDenied, others via absl::ErrnoToStatusCode.
//
// Thread safety: Env and File methods may be called from any thread; File
// reads and writes at distinct offsets may run concurrently.
#ifndef LAURA_STORAGE_ENV_H_
#define LAURA_STORAGE_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace laura {

// Access pattern hints, passed to posix_fadvise or madvise. kDontNeed: not
// needed soon; a MAP_SHARED range leaves the process's resident set (the
// data, written or not, stays in the file's page cache), a file range's
// clean cached pages may be dropped.
enum class AccessAdvice { kNormal, kRandom, kSequential, kWillNeed, kDontNeed };

struct FileOpenOptions {
  bool create = false;     // create the file if it does not exist
  bool exclusive = false;  // with create: fail with AlreadyExists if it exists
  bool read_only = false;  // open O_RDONLY; writes fail
};

// An open file with positional I/O and optional memory mapping.
class File {
 public:
  virtual ~File() = default;
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  virtual const std::string& path() const = 0;

  // Reads exactly n bytes at offset into dst. A read that reaches end of
  // file first is OutOfRange naming the path, offset and bytes available.
  virtual absl::Status Read(uint64_t offset, size_t n, char* dst) = 0;
  // Writes all of data at offset, extending the file if needed.
  virtual absl::Status Write(uint64_t offset, absl::string_view data) = 0;
  // fdatasync: written data, and the file size, are durable on return.
  virtual absl::Status Sync() = 0;
  // Reserves disk blocks for [offset, offset+len) and extends the file size
  // to cover it (fallocate). A full disk is ResourceExhausted.
  virtual absl::Status Allocate(uint64_t offset, uint64_t len) = 0;
  virtual absl::Status Truncate(uint64_t size) = 0;
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // posix_fadvise over [offset, offset+len); len 0 means to end of file.
  virtual absl::Status Advise(uint64_t offset, uint64_t len,
                              AccessAdvice advice) = 0;

  // Maps [offset, offset+len) of this file MAP_SHARED at addr, which lies in
  // a range from Env::ReserveAddressSpace (MAP_FIXED replaces the
  // reservation there). REQUIRES: addr, offset and len are OS-page aligned.
  virtual absl::Status MapAt(char* addr, uint64_t offset, size_t len,
                             bool writable) = 0;
  // Asks the OS to start writing [offset, offset+len) back to the disk,
  // whether written with Write or through a mapping, without waiting
  // (sync_file_range SYNC_FILE_RANGE_WRITE). Promises nothing about
  // durability: only Sync does. Lets a later sync find less
  // to write.
  virtual absl::Status StartWriteBack(uint64_t offset, uint64_t len) = 0;
};

// An advisory whole-file lock; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never deleted. Its first use sets SIGXFSZ
  // to ignored if it had the default action, so a write past the
  // file-size limit is an error (ResourceExhausted), not the end of the
  // process.
  static Env* Default();

  virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(
      const std::string& path, const FileOpenOptions& options) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // rename(2): atomically replaces `to` if it exists.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;
  // Creates the directory; OK if it already exists.
  virtual absl::Status CreateDir(const std::string& path) = 0;
  // Makes creations, renames and deletions inside the directory durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;
  // Takes an exclusive flock on path (created if missing) and writes the
  // caller's pid into it. If another holder has it: FailedPrecondition
  // "... is locked by another process (pid N)", at once.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  // Reserves len bytes of address space (PROT_NONE, MAP_NORESERVE) for file
  // extents to be mapped into with File::MapAt. Costs no memory.
  virtual absl::StatusOr<char*> ReserveAddressSpace(size_t len) = 0;
  // Unmaps a reservation and every file extent mapped inside it.
  virtual void ReleaseAddressSpace(char* addr, size_t len) = 0;
  // Unmaps the file extents in [addr, addr+len), part of a reservation,
  // leaving that range reserved (PROT_NONE) again, so a file can shrink
  // under its mapping and later grow back into the same addresses.
  // REQUIRES: addr and len are OS-page aligned.
  virtual absl::Status ReturnToReservation(char* addr, size_t len) = 0;
  // madvise over [addr, addr+len).
  virtual absl::Status AdviseMemory(char* addr, size_t len,
                                    AccessAdvice advice) = 0;
};

// Builds the Status for a failed system call: code from errno (see the file
// comment) and the message "<context>: <strerror> (errno N)".
absl::Status ErrnoStatus(int err, absl::string_view context);

// The OS page size (sysconf(_SC_PAGESIZE)).
size_t OsPageSize();

// The directory holding path: "." for a bare name, "/" for a top-level
// entry; trailing slashes are ignored ("a/b/" -> "a").
std::string DirName(absl::string_view path);

}  // namespace laura

#endif  // LAURA_STORAGE_ENV_H_
