// MappingFaults: SIGBUS on a mapped data file becomes an error, not the end
// of the process.
//
// A load or store on a MAP_SHARED page whose file block is gone (the file
// was truncated under the process) or cannot be read (an I/O error while
// the kernel pages it in) raises SIGBUS, which by default kills the
// process. A MappingFaults object registers an address range (the mmap
// manager's whole reservation). A process-wide handler, installed with the
// first registration, recognises a fault inside a registered range, maps
// an anonymous zero page over the faulting OS page (MAP_FIXED) so that the
// access completes (a load reads zeros, a store goes nowhere), and counts
// the fault in the range's slot, with the offset of the first one. A fault
// outside every registered range goes to the handler that was installed
// before ours (or, if that was the default action, ends the process as it
// would have).
//
// The fast path pays nothing: no code runs for an access that does not
// fault. Because a page verified earlier is not hashed again, its zeros
// would be read as data; so callers compare faults() once an operation has
// touched the range and before they report success (DiskManager::
// CheckMapping; the engine does so before any public call returns OK).
// Proven by IntegrityTest.TruncatedFileUnderReadersIsAnErrorNotACrash and
// MappingFaultsTest.*.
//
// Limits: only SIGBUS is handled (a SIGSEGV is a bug, not the file). Up to
// kMaxRegions ranges per process; registering more is ResourceExhausted.
// On copy-on-write filesystems (btrfs, ZFS) an overwrite needs new blocks,
// so a full disk can fail a store into an already allocated page after
// fallocate: that store is counted here, the store itself is lost, and the
// database fails until reopened (recovery redoes it from the log).
#ifndef LAURA_STORAGE_MAPPING_FAULTS_H_
#define LAURA_STORAGE_MAPPING_FAULTS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace laura {

class MappingFaults {
 public:
  static constexpr int kMaxRegions = 64;

  // Registers [base, base + len); installs the handler on first use.
  static absl::StatusOr<std::unique_ptr<MappingFaults>> Register(char* base, size_t len);
  // Unregisters. REQUIRES: no thread is touching the range.
  ~MappingFaults();
  MappingFaults(const MappingFaults&) = delete;
  MappingFaults& operator=(const MappingFaults&) = delete;

  // Faults taken in the range since it was registered.
  uint64_t faults() const { return counter().load(std::memory_order_acquire); }
  // The counter itself, for a check inlined into a hot path: a fault is
  // taken on the thread that touched the page, so that thread sees its
  // own fault with a relaxed load.
  const std::atomic<uint64_t>& counter() const;
  // Offset from base of the first fault (meaningful once faults() > 0).
  uint64_t first_fault_offset() const;

 private:
  explicit MappingFaults(int slot) : slot_(slot) {}
  const int slot_;
};

}  // namespace laura

#endif  // LAURA_STORAGE_MAPPING_FAULTS_H_
