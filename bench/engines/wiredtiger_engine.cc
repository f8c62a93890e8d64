// BenchEngine over WiredTiger: one row-store table (raw byte keys and
// values), its write-ahead log on, synced per commit with sync
// (transaction_sync=(enabled=true,method=fsync)) and left to the OS
// without; a 512 MiB cache; per benchmark thread a session with an open
// cursor; a batch is one transaction; Settle is a checkpoint.
#include <wiredtiger.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/engines/bench_engine.h"

namespace laura {
namespace {

absl::Status WtStatus(int rc, const char* what) {
  if (rc == 0) return absl::OkStatus();
  if (rc == WT_NOTFOUND) return absl::NotFoundError(what);
  return absl::InternalError(absl::StrCat("wiredtiger ", what, ": ", wiredtiger_strerror(rc)));
}

WT_ITEM Item(absl::string_view s) {
  WT_ITEM item = {};
  item.data = s.data();
  item.size = s.size();
  return item;
}

constexpr char kTable[] = "table:kv";

class WiredTigerBenchEngine final : public BenchEngine {
 public:
  ~WiredTigerBenchEngine() override { Close().IgnoreError(); }

  absl::Status Open(const std::string& dir, bool sync) override {
    const std::string config = absl::StrCat(
        "create,cache_size=", kBenchCacheBytes >> 20, "MB,log=(enabled=true),",
        "transaction_sync=(enabled=", sync ? "true" : "false", ",method=fsync)");
    absl::Status s = WtStatus(wiredtiger_open(dir.c_str(), nullptr, config.c_str(), &conn_), "open");
    WT_SESSION* session = nullptr;
    if (s.ok()) s = WtStatus(conn_->open_session(conn_, nullptr, nullptr, &session), "session");
    if (s.ok()) s = WtStatus(session->create(session, kTable, "key_format=u,value_format=u"), "create");
    if (session != nullptr) session->close(session, nullptr);
    return s;
  }

  absl::Status PutBatch(int thread, absl::Span<const KeyValue> batch) override {
    WT_CURSOR* c = nullptr;
    absl::Status s = Cursor(thread, &c);
    if (!s.ok()) return s;
    WT_SESSION* session = c->session;
    s = WtStatus(session->begin_transaction(session, nullptr), "begin");
    for (size_t i = 0; s.ok() && i < batch.size(); ++i) {
      WT_ITEM k = Item(batch[i].key), v = Item(batch[i].value);
      c->set_key(c, &k);
      c->set_value(c, &v);
      s = WtStatus(c->insert(c), "insert");
    }
    if (!s.ok()) {
      session->rollback_transaction(session, nullptr);
      return s;
    }
    return WtStatus(session->commit_transaction(session, nullptr), "commit");
  }

  absl::Status Get(int thread, absl::string_view key, std::string* value) override {
    WT_CURSOR* c = nullptr;
    absl::Status s = Cursor(thread, &c);
    if (!s.ok()) return s;
    WT_ITEM k = Item(key), v;
    c->set_key(c, &k);
    s = WtStatus(c->search(c), "search");
    if (s.ok()) s = WtStatus(c->get_value(c, &v), "get_value");
    if (s.ok()) value->assign(static_cast<const char*>(v.data), v.size);
    c->reset(c);
    return s;
  }

  absl::StatusOr<uint64_t> ScanAll() override {
    WT_CURSOR* c = nullptr;
    absl::Status s = Cursor(0, &c);
    if (!s.ok()) return s;
    uint64_t bytes = 0;
    WT_ITEM k, v;
    int rc;
    while ((rc = c->next(c)) == 0) {
      c->get_key(c, &k);
      c->get_value(c, &v);
      bytes += k.size + v.size;
    }
    c->reset(c);
    if (rc != WT_NOTFOUND) return WtStatus(rc, "next");
    return bytes;
  }

  absl::StatusOr<uint64_t> SeekAndRead(int thread, absl::string_view key, int n) override {
    WT_CURSOR* c = nullptr;
    absl::Status s = Cursor(thread, &c);
    if (!s.ok()) return s;
    WT_ITEM k = Item(key), v;
    c->set_key(c, &k);
    int exact = 0;
    int rc = c->search_near(c, &exact);
    if (rc == 0 && exact < 0) rc = c->next(c);  // search_near may land before key
    uint64_t bytes = 0;
    for (int i = 0; rc == 0 && i < n; ++i, rc = c->next(c)) {
      c->get_value(c, &v);
      bytes += v.size;
    }
    c->reset(c);
    if (rc != 0 && rc != WT_NOTFOUND) return WtStatus(rc, "search_near");
    return bytes;
  }

  absl::Status Settle() override {
    WT_CURSOR* c = nullptr;
    absl::Status s = Cursor(0, &c);
    if (!s.ok()) return s;
    return WtStatus(c->session->checkpoint(c->session, nullptr), "checkpoint");
  }

  absl::Status Close() override {
    if (conn_ != nullptr) conn_->close(conn_, nullptr);  // closes sessions and cursors
    conn_ = nullptr;
    for (WT_CURSOR*& c : cursors_) c = nullptr;
    return absl::OkStatus();
  }

 private:
  // The thread's cursor (on its own session), opened on first use.
  absl::Status Cursor(int thread, WT_CURSOR** out) {
    WT_CURSOR*& c = cursors_[thread];
    if (c == nullptr) {
      WT_SESSION* session = nullptr;
      absl::Status s = WtStatus(conn_->open_session(conn_, nullptr, nullptr, &session), "session");
      if (s.ok()) s = WtStatus(session->open_cursor(session, kTable, nullptr, nullptr, &c), "cursor");
      if (!s.ok()) return s;
    }
    *out = c;
    return absl::OkStatus();
  }

  WT_CONNECTION* conn_ = nullptr;
  WT_CURSOR* cursors_[kMaxThreads] = {};
};

}  // namespace

std::unique_ptr<BenchEngine> NewWiredTigerBenchEngine() {
  return std::make_unique<WiredTigerBenchEngine>();
}

}  // namespace laura
