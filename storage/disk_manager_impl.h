// Internal to storage/: constructors of the two DiskManager implementations
// and helpers they share. Other folders include storage/disk_manager.h.
#ifndef LAURA_STORAGE_DISK_MANAGER_IMPL_H_
#define LAURA_STORAGE_DISK_MANAGER_IMPL_H_

#include <memory>

#include "storage/disk_manager.h"

namespace laura {

// Maps the file (mmap) or keeps the descriptor (pread); `meta` is the
// loaded meta page and file_size the current size of the file.
absl::StatusOr<std::unique_ptr<DiskManager>> NewFileDiskManager(
    std::unique_ptr<File> file, const Meta& meta,
    const DiskManagerOptions& options, uint64_t file_size);
absl::StatusOr<std::unique_ptr<DiskManager>> NewMmapDiskManager(
    std::unique_ptr<File> file, const Meta& meta,
    const DiskManagerOptions& options, uint64_t file_size);

// x rounded up to a multiple of `unit` (a power of two).
inline uint64_t RoundUp(uint64_t x, uint64_t unit) {
  return (x + unit - 1) & ~(unit - 1);
}

}  // namespace laura

#endif  // LAURA_STORAGE_DISK_MANAGER_IMPL_H_
