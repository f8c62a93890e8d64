// LsmBenchEngine: the BenchEngine of LevelDB and RocksDB, whose APIs share
// their shape (DB, WriteBatch, Iterator, Slice, Status). A WriteBatch per
// batch (WriteOptions::sync per commit with sync), Get and a fresh iterator
// on the latest state per read. Traits gives the library's types and its
// Open (with a kBenchCacheBytes block cache) and Settle.
#ifndef LAURA_BENCH_ENGINES_LSM_ENGINE_H_
#define LAURA_BENCH_ENGINES_LSM_ENGINE_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/engines/bench_engine.h"

namespace laura {

template <typename Traits>
class LsmBenchEngine final : public BenchEngine {
 public:
  using DB = typename Traits::DB;
  using Slice = typename Traits::Slice;

  ~LsmBenchEngine() override { Close().IgnoreError(); }

  absl::Status Open(const std::string& dir, bool sync) override {
    write_options_.sync = sync;
    DB* db = nullptr;
    absl::Status s = ToStatus(Traits::Open(dir + "/db", &state_, &db));
    db_.reset(db);
    return s;
  }

  absl::Status PutBatch(int, absl::Span<const KeyValue> batch) override {
    typename Traits::WriteBatch wb;
    for (const KeyValue& kv : batch) wb.Put(ToSlice(kv.key), ToSlice(kv.value));
    return ToStatus(db_->Write(write_options_, &wb));
  }

  absl::Status Get(int, absl::string_view key, std::string* value) override {
    return ToStatus(db_->Get(typename Traits::ReadOptions(), ToSlice(key), value));
  }

  absl::StatusOr<uint64_t> ScanAll() override {
    std::unique_ptr<typename Traits::Iterator> it(db_->NewIterator(typename Traits::ReadOptions()));
    uint64_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size() + it->value().size();
    absl::Status s = ToStatus(it->status());
    if (!s.ok()) return s;
    return bytes;
  }

  absl::StatusOr<uint64_t> SeekAndRead(int, absl::string_view key, int n) override {
    std::unique_ptr<typename Traits::Iterator> it(db_->NewIterator(typename Traits::ReadOptions()));
    uint64_t bytes = 0;
    it->Seek(ToSlice(key));
    for (int i = 0; i < n && it->Valid(); ++i, it->Next()) bytes += it->value().size();
    absl::Status s = ToStatus(it->status());
    if (!s.ok()) return s;
    return bytes;
  }

  absl::Status Settle() override { return ToStatus(Traits::Settle(db_.get())); }

  absl::Status Close() override {
    db_.reset();
    state_ = {};
    return absl::OkStatus();
  }

 private:
  static Slice ToSlice(absl::string_view s) { return Slice(s.data(), s.size()); }
  static absl::Status ToStatus(const typename Traits::Status& s) {
    if (s.ok()) return absl::OkStatus();
    if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
    return absl::InternalError(absl::StrCat(Traits::kName, ": ", s.ToString()));
  }

  typename Traits::State state_;  // what must outlive the DB (the cache)
  std::unique_ptr<DB> db_;
  typename Traits::WriteOptions write_options_;
};

}  // namespace laura

#endif  // LAURA_BENCH_ENGINES_LSM_ENGINE_H_
