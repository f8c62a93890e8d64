// BenchEngine over LMDB: one environment and database, a write transaction
// per batch (MDB_NOSYNC without sync), and per benchmark thread a read
// transaction kept reset between reads (mdb_txn_renew / mdb_txn_reset).
#include <lmdb.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/engines/bench_engine.h"

namespace laura {
namespace {

absl::Status LmdbStatus(int rc, const char* what) {
  if (rc == 0) return absl::OkStatus();
  if (rc == MDB_NOTFOUND) return absl::NotFoundError(what);
  return absl::InternalError(absl::StrCat("lmdb ", what, ": ", mdb_strerror(rc)));
}

MDB_val Val(absl::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

class LmdbBenchEngine final : public BenchEngine {
 public:
  ~LmdbBenchEngine() override { Close().IgnoreError(); }

  absl::Status Open(const std::string& dir, bool sync) override {
    absl::Status s = LmdbStatus(mdb_env_create(&env_), "env_create");
    if (s.ok()) s = LmdbStatus(mdb_env_set_mapsize(env_, size_t{16} << 30), "set_mapsize");
    if (s.ok()) s = LmdbStatus(mdb_env_set_maxreaders(env_, 126), "set_maxreaders");
    // MDB_NOTLS: read transactions belong to benchmark threads, not OS TLS.
    const unsigned flags = MDB_NOTLS | (sync ? 0 : MDB_NOSYNC);
    if (s.ok()) s = LmdbStatus(mdb_env_open(env_, dir.c_str(), flags, 0644), "env_open");
    MDB_txn* txn = nullptr;
    if (s.ok()) s = LmdbStatus(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    if (s.ok()) s = LmdbStatus(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
    if (s.ok()) s = LmdbStatus(mdb_txn_commit(txn), "commit");
    return s;
  }

  absl::Status PutBatch(int, absl::Span<const KeyValue> batch) override {
    MDB_txn* txn = nullptr;
    absl::Status s = LmdbStatus(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    for (size_t i = 0; s.ok() && i < batch.size(); ++i) {
      MDB_val k = Val(batch[i].key), v = Val(batch[i].value);
      s = LmdbStatus(mdb_put(txn, dbi_, &k, &v, 0), "put");
    }
    if (!s.ok()) {
      if (txn != nullptr) mdb_txn_abort(txn);
      return s;
    }
    return LmdbStatus(mdb_txn_commit(txn), "commit");
  }

  absl::Status Get(int thread, absl::string_view key, std::string* value) override {
    MDB_txn* txn = nullptr;
    absl::Status s = BeginRead(thread, &txn);
    MDB_val k = Val(key), v;
    if (s.ok()) s = LmdbStatus(mdb_get(txn, dbi_, &k, &v), "get");
    if (s.ok()) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    if (txn != nullptr) mdb_txn_reset(txn);
    return s;
  }

  absl::StatusOr<uint64_t> ScanAll() override {
    return WithCursor(0, [](MDB_cursor* c) -> absl::StatusOr<uint64_t> {
      uint64_t bytes = 0;
      MDB_val k, v;
      int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
      for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) bytes += k.mv_size + v.mv_size;
      if (rc != MDB_NOTFOUND) return LmdbStatus(rc, "cursor_get");
      return bytes;
    });
  }

  absl::StatusOr<uint64_t> SeekAndRead(int thread, absl::string_view key, int n) override {
    return WithCursor(thread, [key, n](MDB_cursor* c) -> absl::StatusOr<uint64_t> {
      uint64_t bytes = 0;
      MDB_val k = Val(key), v;
      int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
      for (int i = 0; rc == 0 && i < n; ++i, rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        bytes += v.mv_size;
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "cursor_get");
      return bytes;
    });
  }

  absl::Status Settle() override { return LmdbStatus(mdb_env_sync(env_, 1), "env_sync"); }

  absl::Status Close() override {
    for (MDB_txn*& txn : readers_) {
      if (txn != nullptr) mdb_txn_abort(txn);
      txn = nullptr;
    }
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = nullptr;
    return absl::OkStatus();
  }

 private:
  // The thread's read transaction, renewed on the latest commit.
  absl::Status BeginRead(int thread, MDB_txn** txn) {
    MDB_txn*& reader = readers_[thread];
    if (reader == nullptr) {
      absl::Status s = LmdbStatus(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &reader), "txn_begin");
      *txn = reader;
      return s;
    }
    *txn = reader;
    return LmdbStatus(mdb_txn_renew(reader), "txn_renew");
  }

  template <typename Fn>
  absl::StatusOr<uint64_t> WithCursor(int thread, Fn fn) {
    MDB_txn* txn = nullptr;
    absl::Status s = BeginRead(thread, &txn);
    MDB_cursor* cursor = nullptr;
    if (s.ok()) s = LmdbStatus(mdb_cursor_open(txn, dbi_, &cursor), "cursor_open");
    absl::StatusOr<uint64_t> result = s.ok() ? fn(cursor) : absl::StatusOr<uint64_t>(s);
    if (cursor != nullptr) mdb_cursor_close(cursor);
    if (txn != nullptr) mdb_txn_reset(txn);
    return result;
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* readers_[kMaxThreads] = {};
};

}  // namespace

std::unique_ptr<BenchEngine> NewLmdbBenchEngine() { return std::make_unique<LmdbBenchEngine>(); }

}  // namespace laura
