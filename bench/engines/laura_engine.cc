// BenchEngine over LauraDB's public API (laura/db.h), on either disk
// manager: batches are WriteBatches, reads go through DB::Get and
// iterators on the latest commit, Settle is a checkpoint.
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/engines/bench_engine.h"
#include "laura/db.h"

namespace laura {
namespace {

class LauraBenchEngine final : public BenchEngine {
 public:
  explicit LauraBenchEngine(bool mmap) : mmap_(mmap) {}

  absl::Status Open(const std::string& dir, bool sync) override {
    Options o;
    o.disk_manager = mmap_ ? DiskManagerKind::kMmap : DiskManagerKind::kPread;
    o.cache_size = kBenchCacheBytes;
    o.durability = sync ? Durability::kSyncEveryCommit : Durability::kNoSync;
    o.checkpoint_pinned_bytes = LauraPinnedBudget();
    o.checkpoint_log_bytes = LauraCheckpointLogBytes();
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(o, dir + "/db");
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }

  absl::Status PutBatch(int, absl::Span<const KeyValue> batch) override {
    if (batch.size() == 1) return db_->Put(batch[0].key, batch[0].value);
    WriteBatch wb;
    for (const KeyValue& kv : batch) wb.Put(kv.key, kv.value);
    return db_->Write(wb);
  }

  absl::Status Get(int, absl::string_view key, std::string* value) override {
    return db_->Get(key, value);  // into the caller's buffer
  }

  absl::StatusOr<uint64_t> GetMany(absl::Span<const std::string> keys) override {
    std::unique_ptr<ReadTransaction> txn = db_->BeginRead();
    uint64_t bytes = 0;
    for (const std::string& key : keys) {
      absl::StatusOr<absl::string_view> v = txn->GetView(key);
      if (!v.ok()) return v.status();
      bytes += v->size() + static_cast<unsigned char>(v->empty() ? 0 : v->front() & 1);
    }
    return bytes;
  }

  absl::StatusOr<uint64_t> ScanAll() override {
    std::unique_ptr<Iterator> it = db_->NewIterator();
    uint64_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size() + it->value().size();
    if (!it->status().ok()) return it->status();
    return bytes;
  }

  absl::StatusOr<uint64_t> SeekAndRead(int, absl::string_view key, int n) override {
    std::unique_ptr<Iterator> it = db_->NewIterator();
    uint64_t bytes = 0;
    it->Seek(key);
    for (int i = 0; i < n && it->Valid(); ++i, it->Next()) bytes += it->value().size();
    if (!it->status().ok()) return it->status();
    return bytes;
  }

  absl::Status Settle() override { return db_->Checkpoint(); }

  absl::Status DeleteBatch(absl::Span<const absl::string_view> keys) override {
    WriteBatch wb;
    for (absl::string_view key : keys) wb.Delete(key);
    return db_->Write(wb);
  }
  absl::Status Compact() override { return db_->Compact(); }
  std::string SpaceReport() override {
    const DBStats st = db_->Stats();
    const uint64_t live = st.disk.page_count - st.disk.free_pages;
    return absl::StrFormat(
        "data file %.1f MiB, %d pages in use (%.1f MiB), %d free; file / in use %.2f",
        st.disk.file_size / 1048576.0, live, live * st.disk.page_size / 1048576.0,
        st.disk.free_pages, static_cast<double>(st.disk.file_size) / (live * st.disk.page_size));
  }
  absl::Status Backup(const std::string& dir, bool compact) override {
    return db_->Backup(dir, {.compact = compact});
  }

  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    absl::Status s = db_->Close();
    db_.reset();
    return s;
  }

 private:
  const bool mmap_;
  std::unique_ptr<DB> db_;
};

}  // namespace

uint64_t& LauraPinnedBudget() {
  static uint64_t bytes = Options().checkpoint_pinned_bytes;
  return bytes;
}

uint64_t& LauraCheckpointLogBytes() {
  static uint64_t bytes = Options().checkpoint_log_bytes;
  return bytes;
}

std::unique_ptr<BenchEngine> NewLauraBenchEngine(bool mmap) {
  return std::make_unique<LauraBenchEngine>(mmap);
}

}  // namespace laura
