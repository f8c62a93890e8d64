// Loader: DB::BeginLoad's unlogged bulk transaction (see db.h). Sorted
// keys into an empty tree go to the bottom-up BulkLoader, one entry held
// back so a repeated key can be replaced or refused; the first key out of
// order closes the bulk-loaded tree, installs it as the transaction's root
// and continues with copy-on-write Puts. Commit checkpoints
// (DBImpl::CommitUnlogged).
#include <memory>
#include <string>

#include "btree/btree.h"
#include "engine/db_impl.h"

namespace laura {
namespace engine_internal {
namespace {

class LoaderImpl final : public Loader {
 public:
  LoaderImpl(DBImpl* db, const LoadOptions& options, bool bulk)
      : db_(db), options_(options) {
    if (bulk) {
      bulk_ = std::make_unique<BulkLoader>(db->pager(), db->tree().write_txn(),
                                           BulkLoadOptions{.fill_factor = options.fill_factor});
    }
  }
  ~LoaderImpl() override {
    if (!done_) Abort().IgnoreError();
  }

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    if (!options_.space.is_default()) {
      LAURA_RETURN_IF_ERROR(db_->CheckSpace(options_.space));
      stored_key_ = options_.space.StoredKey(key);
      key = stored_key_;
    } else if (IsReservedKey(key)) {
      return ReservedKeyError();
    }
    LAURA_RETURN_IF_ERROR(CheckEntrySize(db_->pager()->page_size(), key, value));
    if (bulk_ != nullptr) {
      if (!has_pending_) return HoldBack(key, value);
      const int order = key.compare(pending_key_);
      if (order > 0) {
        LAURA_RETURN_IF_ERROR(Track(bulk_->Add(pending_key_, pending_value_)));
        return HoldBack(key, value);
      }
      if (order == 0) {
        if (!options_.overwrite) return Repeated(key);
        pending_value_.assign(value.data(), value.size());
        return absl::OkStatus();
      }
      LAURA_RETURN_IF_ERROR(EndBulk());  // out of order: insert from here on
    }
    absl::Status found = db_->tree().Get(db_->tree().write_root(), key, &scratch_);
    if (found.ok()) {
      if (!options_.overwrite) return Repeated(key);
    } else if (absl::IsNotFound(found)) {
      ++count_;
    } else {
      return Track(found);
    }
    return Track(db_->tree().Put(key, value));
  }

  absl::Status Commit() override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    LAURA_RETURN_IF_ERROR(broken_);
    if (bulk_ != nullptr) {
      if (absl::Status s = EndBulk(); !s.ok()) return s;
    }
    done_ = true;
    return db_->CommitUnlogged();
  }

  absl::Status Abort() override {
    LAURA_RETURN_IF_ERROR(CheckActive());
    done_ = true;
    bulk_.reset();
    return db_->AbortWriter();
  }

  uint64_t count() const override { return count_; }
  bool bulk() const override { return bulk_ != nullptr; }

 private:
  std::string stored_key_;  // the key in a named space
  absl::Status CheckActive() const {
    if (done_) return absl::FailedPreconditionError("the load has ended");
    return absl::OkStatus();
  }
  absl::Status HoldBack(absl::string_view key, absl::string_view value) {
    pending_key_.assign(key.data(), key.size());
    pending_value_.assign(value.data(), value.size());
    has_pending_ = true;
    ++count_;
    return absl::OkStatus();
  }
  static absl::Status Repeated(absl::string_view key) {
    return absl::AlreadyExistsError(
        absl::StrCat("key ", ShowKey(key), " is already in the database or the load"));
  }
  // Closes the bulk-loaded tree and makes it the transaction's tree.
  absl::Status EndBulk() {
    if (has_pending_) LAURA_RETURN_IF_ERROR(Track(bulk_->Add(pending_key_, pending_value_)));
    has_pending_ = false;
    absl::StatusOr<PageId> root = bulk_->Finish();
    bulk_.reset();
    if (!root.ok()) return Track(root.status());
    return Track(db_->tree().ReplaceRoot(*root));
  }
  // Any error from the tree may leave the load half done: only Abort is
  // left.
  absl::Status Track(absl::Status s) {
    if (!s.ok() && broken_.ok()) {
      broken_ = absl::Status(s.code(), absl::StrCat("the load failed (", s.message(),
                                                    "); abort it"));
    }
    return s;
  }

  DBImpl* const db_;
  const LoadOptions options_;
  std::unique_ptr<BulkLoader> bulk_;
  std::string pending_key_, pending_value_, scratch_;
  bool has_pending_ = false;
  uint64_t count_ = 0;
  absl::Status broken_;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Loader>> DBImpl::BeginLoad(const LoadOptions& options) {
  LAURA_RETURN_IF_ERROR(AcquireWriter(/*wait=*/true));
  bool empty = tree_->write_root() == 0;
  if (!empty) {
    Cursor cursor(pager_.get(), tree_->write_root());
    cursor.SeekToFirst();
    empty = !cursor.Valid() && cursor.status().ok();
  }
  return std::unique_ptr<Loader>(std::make_unique<LoaderImpl>(this, options, empty));
}

}  // namespace engine_internal
}  // namespace laura
