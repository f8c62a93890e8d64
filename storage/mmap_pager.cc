// MmapPager: pages read and built in place in the disk manager's mapping.
// Zero copy: a PageRef points into the mapping and pins nothing (the
// mapping never moves while the disk manager is open). Fetch verifies a
// page's checksum and id the first time this process reaches it. Pages
// changed since the last Flush are sealed (checksummed) in place by Flush.
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/pager_impl.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

class MmapPager final : public Pager {
 public:
  explicit MmapPager(DiskManager* dm) : Pager(dm) {}

  // Verified once per open (DiskManager::VerifiedPageData), so a damaged
  // page is DataLoss here and can never be copied and resealed by a writer.
  absl::StatusOr<PageRef> Fetch(PageId id) override {
    LAURA_ASSIGN_OR_RETURN(const char* page, disk()->VerifiedPageData(id));
    return MakeRef(id, const_cast<char*>(page), -1);
  }

  absl::Status Flush() override {
    for (PageId id : dirty_.Members()) LAURA_RETURN_IF_ERROR(disk()->SealInPlace(id));
    dirty_.clear();
    return absl::OkStatus();
  }

  absl::Status WriteEarly(PageId id) override {
    if (dirty_.erase(id) == 0) return absl::OkStatus();
    return disk()->SealInPlace(id);
  }

  // Nothing to count: a fetch is a pointer into the mapping (a shared
  // counter would cost readers on different cores more than the fetch).
  PagerStats Stats() const override { return PagerStats(); }

 protected:
  absl::StatusOr<PageRef> NewPage(PageId id) override {
    return PinForWrite(id);
  }

  absl::StatusOr<PageRef> PinForWrite(PageId id) override {
    char* page = disk()->MutablePageData(id);
    if (page == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("page ", id, " is not writable in the mapping"));
    }
    dirty_.insert(id);  // new in this batch, or written early and changed again
    return MakeRef(id, page, -1);
  }

  absl::Status Forget(PageId id) override {
    dirty_.erase(id);
    return absl::OkStatus();
  }

  void Unpin(int64_t) override {}

 private:
  PageIdSet dirty_;  // changed since the last Flush
};

}  // namespace

std::unique_ptr<Pager> NewMmapPager(DiskManager* dm) {
  return std::make_unique<MmapPager>(dm);
}

}  // namespace laura
