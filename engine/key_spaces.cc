// Named key spaces: the catalog, creating, finding, listing and dropping
// spaces, and the dropper that deletes a dropped space's keys
// (engine/key_space.h has the layout).
//
// Creating and dropping are write transactions on catalog keys, logged
// like any other, so a crash keeps or loses each whole. A drop removes
// the name and, for a space of up to kInlineDropKeys keys, its keys in the
// same transaction; a larger space goes to the drop queue (id 1) and the
// dropper deletes kDropBatchKeys keys per commit, then the queue entry.
// A crash in between leaves the queue entry, and the next writable open
// resumes (KeySpaceTest.PowerLossDuringALargeDropLeavesTheSpaceWholeOrGoing).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/db_impl.h"
#include "storage/coding.h"

namespace laura {
namespace engine_internal {
namespace {
constexpr uint64_t kInlineDropKeys = 10'000;
constexpr uint64_t kDropBatchKeys = 1'000;

std::string CatalogKey(absl::string_view name) {
  std::string key = SpaceKeyPrefix(kCatalogSpaceId);
  key.append(name.data(), name.size());
  return key;
}
std::string DropQueueKey(uint64_t id) {
  std::string key = SpaceKeyPrefix(kDroppingSpaceId);
  PutVarint64(&key, id);
  return key;
}
std::string EncodeId(uint64_t id) {
  std::string out;
  PutVarint64(&out, id);
  return out;
}
absl::StatusOr<uint64_t> DecodeId(absl::string_view bytes, absl::string_view what) {
  uint64_t id = 0;
  if (!GetVarint64(&bytes, &id) || !bytes.empty()) {
    return absl::DataLossError(absl::StrCat("damaged key space catalog entry (", what, ")"));
  }
  return id;
}

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxSpaceNameSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a key space name is 1 to ", kMaxSpaceNameSize, " bytes, not ", name.size()));
  }
  return absl::OkStatus();
}

// A catalog or drop-queue write: applied to the writer's tree and recorded
// in the batch its commit logs.
absl::Status PutStored(BTree* tree, WriteBatch* batch, absl::string_view key,
                       absl::string_view value) {
  LAURA_RETURN_IF_ERROR(tree->Put(key, value));
  batch->PutStored(key, value);
  return absl::OkStatus();
}
absl::Status DeleteStored(BTree* tree, WriteBatch* batch, absl::string_view key) {
  LAURA_RETURN_IF_ERROR(tree->Delete(key).status());
  batch->DeleteStored(key);
  return absl::OkStatus();
}

// Calls fn(rest of the key, value) for each stored key beginning with
// prefix under root, in order, until fn returns false.
template <typename Fn>
absl::Status ScanPrefix(Pager* pager, PageId root, absl::string_view prefix, Fn fn) {
  Cursor cursor(pager, root);
  for (cursor.Seek(prefix); cursor.Valid(); cursor.Next()) {
    const absl::string_view key = cursor.key();
    if (!absl::StartsWith(key, prefix)) break;
    if (!fn(key.substr(prefix.size()), cursor.value())) break;
  }
  return cursor.status();
}
}  // namespace

absl::Status ReservedKeyError() {
  return absl::InvalidArgumentError(
      "keys that begin with bytes ff ff ff 's' 'p' 'a' 'c' 'e' 00 are reserved for named key "
      "spaces (engine/key_space.h)");
}

absl::Status DBImpl::CheckSpaceId(uint64_t id) const {
  MutexLock lock(&spaces_mu_);
  if (dropped_.contains(id)) {
    return absl::FailedPreconditionError(absl::StrCat("key space ", id, " was dropped"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeySpace> DBImpl::GetKeySpace(absl::string_view name) {
  LAURA_RETURN_IF_ERROR(CheckName(name));
  const Call call(this);
  LAURA_RETURN_IF_ERROR(call.status());
  absl::StatusOr<std::string> id = tree_->Get(call.root(), CatalogKey(name));
  LAURA_RETURN_IF_ERROR(Checked(absl::IsNotFound(id.status()) ? absl::OkStatus() : id.status()));
  if (absl::IsNotFound(id.status())) {
    return absl::NotFoundError(absl::StrCat("no key space named '", name, "'"));
  }
  LAURA_RETURN_IF_ERROR(id.status());
  LAURA_ASSIGN_OR_RETURN(const uint64_t space_id, DecodeId(*id, name));
  return KeySpace::Named(std::string(name), space_id);
}

absl::StatusOr<std::vector<std::string>> DBImpl::ListKeySpaces() {
  const Call call(this);
  LAURA_RETURN_IF_ERROR(call.status());
  std::vector<std::string> names;
  LAURA_RETURN_IF_ERROR(Checked(ScanPrefix(
      pager_.get(), call.root(), SpaceKeyPrefix(kCatalogSpaceId),
      [&](absl::string_view name, absl::string_view) {
        if (!name.empty()) names.emplace_back(name);  // "" holds the next id
        return true;
      })));
  return names;
}

absl::StatusOr<KeySpace> DBImpl::CreateKeySpace(absl::string_view name) {
  LAURA_RETURN_IF_ERROR(CheckName(name));
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  WriteBatch batch;
  auto create = [&]() -> absl::StatusOr<uint64_t> {
    const PageId root = tree_->write_root();
    if (tree_->Get(root, CatalogKey(name)).ok()) {
      return absl::AlreadyExistsError(absl::StrCat("a key space named '", name, "' exists"));
    }
    uint64_t id = kFirstSpaceId;
    absl::StatusOr<std::string> next = tree_->Get(root, CatalogKey(""));
    if (next.ok()) {
      LAURA_ASSIGN_OR_RETURN(id, DecodeId(*next, "next id"));
    } else if (!absl::IsNotFound(next.status())) {
      return next.status();
    }
    LAURA_RETURN_IF_ERROR(PutStored(tree_.get(), &batch, CatalogKey(name), EncodeId(id)));
    LAURA_RETURN_IF_ERROR(PutStored(tree_.get(), &batch, CatalogKey(""), EncodeId(id + 1)));
    return id;
  };
  absl::StatusOr<uint64_t> id = create();
  if (absl::Status s = Checked(id.status()); !s.ok()) {
    LAURA_RETURN_IF_ERROR(AbortWriter());
    return s;
  }
  LAURA_RETURN_IF_ERROR(CommitWriter(batch.Encode(), WriteOptions()));
  return KeySpace::Named(std::string(name), *id);
}

absl::StatusOr<uint64_t> DBImpl::DeleteSpaceKeys(uint64_t id, uint64_t limit, WriteBatch* batch) {
  const std::string prefix = SpaceKeyPrefix(id);
  std::vector<std::string> keys;
  LAURA_RETURN_IF_ERROR(ScanPrefix(pager_.get(), tree_->write_root(), prefix,
                                   [&](absl::string_view rest, absl::string_view) {
                                     keys.push_back(absl::StrCat(prefix, rest));
                                     return keys.size() < limit;
                                   }));
  for (const std::string& key : keys) LAURA_RETURN_IF_ERROR(DeleteStored(tree_.get(), batch, key));
  return keys.size();
}

absl::Status DBImpl::DropKeySpace(absl::string_view name) {
  LAURA_ASSIGN_OR_RETURN(const KeySpace space, GetKeySpace(name));
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  WriteBatch batch;
  auto drop = [&]() -> absl::StatusOr<bool> {
    // Still there, under the same id, now that this is the writer.
    absl::StatusOr<std::string> id = tree_->Get(tree_->write_root(), CatalogKey(name));
    if (absl::IsNotFound(id.status()) || (id.ok() && *id != EncodeId(space.id()))) {
      return absl::NotFoundError(absl::StrCat("no key space named '", name, "'"));
    }
    LAURA_RETURN_IF_ERROR(id.status());
    LAURA_RETURN_IF_ERROR(DeleteStored(tree_.get(), &batch, CatalogKey(name)));
    // A small space goes with its name; a large one to the queue.
    uint64_t keys = 0;
    LAURA_RETURN_IF_ERROR(ScanPrefix(pager_.get(), tree_->write_root(), space.prefix(),
                                     [&](absl::string_view, absl::string_view) {
                                       return ++keys <= kInlineDropKeys;
                                     }));
    if (keys <= kInlineDropKeys) {
      LAURA_RETURN_IF_ERROR(DeleteSpaceKeys(space.id(), kInlineDropKeys, &batch).status());
      return false;
    }
    LAURA_RETURN_IF_ERROR(PutStored(tree_.get(), &batch, DropQueueKey(space.id()), name));
    return true;
  };
  absl::StatusOr<bool> queued = drop();
  if (absl::Status s = Checked(queued.status()); !s.ok()) {
    LAURA_RETURN_IF_ERROR(AbortWriter());
    return s;
  }
  {
    // Before the commit lets the next writer in: no write reaches the
    // space after it is gone.
    MutexLock lock(&spaces_mu_);
    dropped_.insert(space.id());
    dropped_count_.store(dropped_.size(), std::memory_order_release);
  }
  LAURA_RETURN_IF_ERROR(CommitWriter(batch.Encode(), WriteOptions()));
  if (*queued) StartDropper();
  return absl::OkStatus();
}

absl::Status DBImpl::LoadDroppedSpaces() {
  const BTree::Snapshot snap = tree_->AcquireSnapshot();
  absl::Status s = ScanPrefix(pager_.get(), snap.root, SpaceKeyPrefix(kDroppingSpaceId),
                              [&](absl::string_view rest, absl::string_view) {
                                uint64_t id = 0;
                                if (GetVarint64(&rest, &id)) {
                                  MutexLock lock(&spaces_mu_);
                                  dropped_.insert(id);
                                  dropped_count_.store(dropped_.size());
                                }
                                return true;
                              });
  tree_->ReleaseSnapshot(snap);
  return Checked(s);
}

uint64_t DBImpl::CountDroppingSpaces(PageId root) {
  uint64_t count = 0;
  ScanPrefix(pager_.get(), root, SpaceKeyPrefix(kDroppingSpaceId),
             [&](absl::string_view, absl::string_view) {
               ++count;
               return true;
             })
      .IgnoreError();
  return count;
}

void DBImpl::StartDropper() {
  if (options_.read_only) return;
  MutexLock lock(&dropper_mu_);
  if (dropper_.joinable()) {
    if (!dropper_done_.load()) return;  // running: it finds the new entry
    dropper_.join();
  }
  dropper_done_.store(false);
  dropper_ = std::thread([this] {
    RunDropper();
    dropper_done_.store(true);
  });
}

void DBImpl::StopDropper() {
  MutexLock lock(&dropper_mu_);
  dropper_stop_.store(true);
  if (dropper_.joinable()) dropper_.join();
}

void DBImpl::RunDropper() {
  while (!dropper_stop_.load()) {
    if (!AcquireWriter(/*wait=*/true).ok()) return;  // closed or failed
    // The first queued space, under the write root.
    uint64_t id = 0;
    bool found = false;
    absl::Status s = ScanPrefix(pager_.get(), tree_->write_root(),
                                SpaceKeyPrefix(kDroppingSpaceId),
                                [&](absl::string_view rest, absl::string_view) {
                                  found = GetVarint64(&rest, &id);
                                  return false;
                                });
    WriteBatch batch;
    absl::StatusOr<uint64_t> deleted = uint64_t{0};
    if (s.ok() && found) deleted = DeleteSpaceKeys(id, kDropBatchKeys, &batch);
    if (s.ok()) s = deleted.status();
    if (s.ok() && found && *deleted < kDropBatchKeys) {
      s = DeleteStored(tree_.get(), &batch, DropQueueKey(id));
    }
    s = Checked(s);
    if (!s.ok() || batch.empty()) {
      AbortWriter().IgnoreError();
      return;  // nothing left (or an error the next writer will meet)
    }
    if (!CommitWriter(batch.Encode(), WriteOptions()).ok()) return;
  }
}

}  // namespace engine_internal
}  // namespace laura
