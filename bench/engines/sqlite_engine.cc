// BenchEngine over SQLite: one table kv(k BLOB PRIMARY KEY, v BLOB)
// WITHOUT ROWID in WAL mode (synchronous=FULL with sync, OFF without), a
// 512 MiB page cache, one connection per benchmark thread with its
// prepared statements; a batch is one BEGIN IMMEDIATE .. COMMIT; Settle is
// a WAL checkpoint.
#include <sqlite3.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/engines/bench_engine.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

class SqliteBenchEngine final : public BenchEngine {
 public:
  ~SqliteBenchEngine() override { Close().IgnoreError(); }

  absl::Status Open(const std::string& dir, bool sync) override {
    path_ = dir + "/db.sqlite";
    sync_ = sync;
    Connection* c = nullptr;
    LAURA_RETURN_IF_ERROR(Connect(0, &c));
    LAURA_RETURN_IF_ERROR(Exec(c->db, "CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID"));
    table_ready_ = true;
    return Prepare(*c);
  }

  absl::Status PutBatch(int thread, absl::Span<const KeyValue> batch) override {
    Connection* c = nullptr;
    absl::Status s = Connect(thread, &c);
    if (s.ok()) s = Exec(c->db, "BEGIN IMMEDIATE");
    for (size_t i = 0; s.ok() && i < batch.size(); ++i) {
      s = Insert(c, batch[i].key, batch[i].value);
    }
    if (s.ok()) return Exec(c->db, "COMMIT");
    Exec(c->db, "ROLLBACK").IgnoreError();
    return s;
  }

  absl::Status Get(int thread, absl::string_view key, std::string* value) override {
    Connection* c = nullptr;
    LAURA_RETURN_IF_ERROR(Connect(thread, &c));
    sqlite3_bind_blob(c->get, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(c->get);
    absl::Status s;
    if (rc == SQLITE_ROW) {
      value->assign(static_cast<const char*>(sqlite3_column_blob(c->get, 0)),
                    sqlite3_column_bytes(c->get, 0));
    } else {
      s = rc == SQLITE_DONE ? absl::NotFoundError("sqlite get") : Error(c->db, "get");
    }
    sqlite3_reset(c->get);
    return s;
  }

  absl::StatusOr<uint64_t> ScanAll() override {
    Connection* c = nullptr;
    LAURA_RETURN_IF_ERROR(Connect(0, &c));
    uint64_t bytes = 0;
    int rc;
    while ((rc = sqlite3_step(c->scan)) == SQLITE_ROW) {
      bytes += sqlite3_column_bytes(c->scan, 0) + sqlite3_column_bytes(c->scan, 1);
    }
    sqlite3_reset(c->scan);
    if (rc != SQLITE_DONE) return Error(c->db, "scan");
    return bytes;
  }

  absl::StatusOr<uint64_t> SeekAndRead(int thread, absl::string_view key, int n) override {
    Connection* c = nullptr;
    LAURA_RETURN_IF_ERROR(Connect(thread, &c));
    sqlite3_bind_blob(c->seek, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_int(c->seek, 2, n);
    uint64_t bytes = 0;
    int rc;
    while ((rc = sqlite3_step(c->seek)) == SQLITE_ROW) bytes += sqlite3_column_bytes(c->seek, 0);
    sqlite3_reset(c->seek);
    if (rc != SQLITE_DONE) return Error(c->db, "seek");
    return bytes;
  }

  absl::Status Settle() override {
    Connection* c = nullptr;
    LAURA_RETURN_IF_ERROR(Connect(0, &c));
    return Exec(c->db, "PRAGMA wal_checkpoint(TRUNCATE)");
  }

  absl::Status Close() override {
    for (Connection& c : connections_) {
      for (sqlite3_stmt* stmt : {c.put, c.get, c.scan, c.seek}) sqlite3_finalize(stmt);
      if (c.db != nullptr) sqlite3_close(c.db);
      c = Connection();
    }
    table_ready_ = false;
    return absl::OkStatus();
  }

 private:
  struct Connection {
    sqlite3* db = nullptr;
    sqlite3_stmt* put = nullptr;
    sqlite3_stmt* get = nullptr;
    sqlite3_stmt* scan = nullptr;
    sqlite3_stmt* seek = nullptr;
  };

  static absl::Status Error(sqlite3* db, const char* what) {
    return absl::InternalError(absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db)));
  }
  static absl::Status Exec(sqlite3* db, const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? absl::OkStatus()
                                                                        : Error(db, sql);
  }
  static absl::Status Insert(Connection* c, absl::string_view key, absl::string_view value) {
    sqlite3_bind_blob(c->put, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(c->put, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(c->put);
    sqlite3_reset(c->put);
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(c->db, "insert");
  }

  // The thread's connection, opened (and its statements prepared) on first
  // use.
  absl::Status Connect(int thread, Connection** out) {
    Connection& c = connections_[thread];
    *out = &c;
    if (c.db != nullptr) return absl::OkStatus();
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path_.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
      return Error(c.db, "open");
    }
    sqlite3_busy_timeout(c.db, 60'000);
    const std::string pragmas =
        absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=", sync_ ? "FULL" : "OFF",
                     "; PRAGMA cache_size=-", kBenchCacheBytes / 1024, ";");
    LAURA_RETURN_IF_ERROR(Exec(c.db, pragmas.c_str()));
    return table_ready_ ? Prepare(c) : absl::OkStatus();
  }

  // Statements are prepared once the table exists.
  absl::Status Prepare(Connection& c) {
    const std::pair<sqlite3_stmt**, const char*> statements[] = {
        {&c.put, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)"},
        {&c.get, "SELECT v FROM kv WHERE k = ?1"},
        {&c.scan, "SELECT k, v FROM kv ORDER BY k"},
        {&c.seek, "SELECT v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2"},
    };
    for (const auto& [stmt, sql] : statements) {
      if (sqlite3_prepare_v2(c.db, sql, -1, stmt, nullptr) != SQLITE_OK) return Error(c.db, sql);
    }
    return absl::OkStatus();
  }

  std::string path_;
  bool sync_ = false;
  bool table_ready_ = false;
  Connection connections_[kMaxThreads];
};

}  // namespace

std::unique_ptr<BenchEngine> NewSqliteBenchEngine() {
  return std::make_unique<SqliteBenchEngine>();
}

}  // namespace laura
