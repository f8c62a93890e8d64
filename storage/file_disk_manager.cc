// FileDiskManager: the DiskManager over pread/pwrite on one descriptor.
// The file grows with fallocate in growth steps and shrinks with ftruncate
// (see DiskManager); Sync is fdatasync.
#include <memory>

#include "storage/disk_manager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

class FileDiskManager final : public DiskManager {
 public:
  FileDiskManager(std::unique_ptr<File> file, const Meta& meta,
                  const DiskManagerOptions& options, uint64_t file_size)
      : DiskManager(DiskManagerKind::kPread, std::move(file), meta, options,
                    file_size) {}
  ~FileDiskManager() override = default;

 protected:
  absl::Status ReadRaw(PageId id, char* out) override {
    return file()->Read(id * page_size(), page_size(), out);
  }

  absl::Status WriteRaw(PageId id, const char* page) override {
    return file()->Write(id * page_size(), absl::string_view(page, page_size()));
  }

  absl::Status GrowTo(uint64_t bytes) override {
    const uint64_t current = file_size();
    LAURA_RETURN_IF_ERROR(file()->Allocate(current, bytes - current));
    set_file_size(bytes);
    return absl::OkStatus();
  }

  absl::Status ShrinkTo(uint64_t bytes) override {
    LAURA_RETURN_IF_ERROR(file()->Truncate(bytes));
    set_file_size(bytes);
    return absl::OkStatus();
  }

  absl::Status SyncData() override { return file()->Sync(); }
  absl::Status WriteMeta(PageId id, const char* page) override {
    LAURA_RETURN_IF_ERROR(WriteRaw(id, page));
    return file()->Sync();
  }

  absl::Status Advise(AccessAdvice advice, PageId first,
                      uint64_t count) override {
    return file()->Advise(first * page_size(), count * page_size(), advice);
  }

  void Release() override {}
};

}  // namespace

absl::StatusOr<std::unique_ptr<DiskManager>> NewFileDiskManager(
    std::unique_ptr<File> file, const Meta& meta,
    const DiskManagerOptions& options, uint64_t file_size) {
  return std::make_unique<FileDiskManager>(std::move(file), meta, options,
                                           file_size);
}

}  // namespace laura
