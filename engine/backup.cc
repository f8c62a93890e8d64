// DB::Backup: a consistent copy of one snapshot in a new database
// directory, written while readers and writers go on.
//
// The copy holds the snapshot's tree and nothing else: a data file whose
// meta pages name the snapshot's root and LSN as their checkpoint, and an
// empty log directory, so it opens as a cleanly closed database. Two ways:
//   - plain: every page the snapshot reaches (nodes and overflow chains)
//     is copied to the same id, in id order; every other id below the
//     page count is free, listed on a free list written with the copy;
//   - compact: the snapshot's entries, in key order, go to the bulk
//     loader (btree/bulk_load.h) over a new disk manager, so only pages in
//     use are written, renumbered from the start and filled to
//     fill_factor.
// Atomicity: the data file is written as DEST/data.ldb.partial, synced,
// then renamed to DEST/data.ldb and the directory synced. A database is
// opened only through its data.ldb, so a crash during a backup leaves a
// directory that does not open as a database (and that the next backup to
// the same path reuses), never a partial copy that looks complete.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "btree/btree.h"
#include "engine/db_impl.h"
#include "storage/pager.h"

namespace laura {
namespace engine_internal {
namespace {

constexpr const char* kDataFile = "data.ldb";
constexpr const char* kPartialSuffix = ".partial";

// The plain copy of the snapshot (root, lsn) of a file of page_count pages
// into file.
absl::Status CopyPages(Pager* pager, PageId root, Lsn lsn, uint64_t page_count, File* file) {
  const uint32_t ps = pager->page_size();
  Lsn root_lsn = 0;
  if (root != 0) {
    LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Fetch(root));
    root_lsn = ref.lsn();
  }
  LAURA_ASSIGN_OR_RETURN(const std::vector<PageId> ids, ReachablePages(pager, root));
  absl::btree_set<PageId> free;
  for (PageId id = kFirstDataPage, next = 0; id < page_count; ++id) {
    if (next < ids.size() && ids[next] == id) {
      ++next;
    } else {
      free.insert(id);
    }
  }
  PageAllocator allocator(page_count, std::move(free), {});
  const PageAllocator::ListPlan plan = allocator.PlanFreeList(ps);
  const uint64_t pages = allocator.page_count();  // list pages may come from the end
  LAURA_RETURN_IF_ERROR(file->Allocate(0, pages * ps));
  auto write = [file, ps](PageId id, const char* bytes) {
    return file->Write(id * ps, absl::string_view(bytes, ps));
  };
  std::string page(ps, '\0');
  for (PageId id : ids) {
    {
      LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Fetch(id));
      std::copy(ref.data(), ref.data() + ps, page.data());
    }
    // The writer's frames are sealed when written out: seal the copy.
    SealPage(page.data(), ps, id);
    LAURA_RETURN_IF_ERROR(write(id, page.data()));
  }
  LAURA_RETURN_IF_ERROR(WriteFreeListPages(plan, ps, lsn, write));
  Meta meta;
  meta.page_size = ps;
  meta.checkpoint_lsn = lsn;
  meta.root = root;
  meta.root_lsn = root_lsn;
  meta.free_list_head = plan.pages.empty() ? 0 : plan.pages.front();
  meta.free_count = plan.entries.size();
  meta.page_count = pages;
  LAURA_RETURN_IF_ERROR(WriteBothMetaPages(meta, write));
  return file->Sync();
}

}  // namespace

absl::Status DBImpl::CompactCopy(const BTree::Snapshot& snap, const std::string& path,
                                 double fill_factor) {
  if (fill_factor < 0.1 || fill_factor > 1.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup fill factor ", fill_factor, " is not within [0.1, 1.0]"));
  }
  DiskManagerOptions o;
  o.env = env_;
  o.page_size = dm_->page_size();
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<DiskManager> dm,
                         DiskManager::Open(options_.disk_manager, path, o));
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<Pager> pager,
                         Pager::Create(dm.get(), {.cache_bytes = 16 * kMiB}));
  PageId root = 0;
  {
    BulkLoader loader(pager.get(), snap.txn, {.fill_factor = fill_factor});
    Cursor cursor(pager_.get(), snap.root);
    for (cursor.SeekToFirst(); cursor.Valid(); cursor.Next()) {
      const absl::string_view key = cursor.key();
      const absl::string_view value = cursor.value();
      LAURA_RETURN_IF_ERROR(cursor.status());
      LAURA_RETURN_IF_ERROR(loader.Add(key, value));
    }
    LAURA_RETURN_IF_ERROR(cursor.status());
    LAURA_ASSIGN_OR_RETURN(root, loader.Finish());
  }
  LAURA_RETURN_IF_ERROR(pager->EndWriteBatch(snap.txn));
  LAURA_RETURN_IF_ERROR(pager->Flush());
  LAURA_RETURN_IF_ERROR(dm->Checkpoint(snap.txn, root));
  pager.reset();
  return dm->Close();
}

absl::Status DBImpl::Backup(const std::string& path, const BackupOptions& options) {
  const Call call(this);  // the snapshot: its pages stay put
  LAURA_RETURN_IF_ERROR(call.status());
  const std::string data = path + "/" + kDataFile;
  const std::string partial = data + kPartialSuffix;
  if (env_->FileExists(data)) {
    return absl::AlreadyExistsError(absl::StrCat("backup target ", path, " already holds a database"));
  }
  // A directory left by an interrupted backup is reused.
  LAURA_RETURN_IF_ERROR(env_->CreateDir(path));
  LAURA_RETURN_IF_ERROR(env_->SyncDir(DirName(path)));
  LAURA_RETURN_IF_ERROR(env_->CreateDir(path + "/log"));
  for (const std::string& leftover : {partial, partial + ".creating"}) {
    if (env_->FileExists(leftover)) LAURA_RETURN_IF_ERROR(env_->DeleteFile(leftover));
  }
  const BTree::Snapshot& snap = call.snapshot();
  absl::Status s;
  if (options.compact) {
    s = CompactCopy(snap, partial, options.fill_factor);
  } else {
    absl::StatusOr<std::unique_ptr<File>> file =
        env_->OpenFile(partial, {.create = true, .exclusive = true});
    s = file.ok() ? CopyPages(pager_.get(), snap.root, snap.txn, dm_->page_count(), file->get())
                  : file.status();
  }
  s = Checked(s);
  if (s.ok()) s = env_->SyncDir(path);  // the log directory and the partial file
  if (s.ok()) s = env_->RenameFile(partial, data);
  if (s.ok()) s = env_->SyncDir(path);
  if (!s.ok()) {
    env_->DeleteFile(partial).IgnoreError();
    return absl::Status(s.code(), absl::StrCat("backup to ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace engine_internal
}  // namespace laura
