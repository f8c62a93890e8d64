// BenchEngine over RocksDB (lsm_engine.h): default options with a 512 MiB
// block cache; Settle flushes the memtable and compacts.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>

#include "bench/engines/lsm_engine.h"

namespace laura {
namespace {

struct RocksDbTraits {
  static constexpr char kName[] = "rocksdb";
  using DB = rocksdb::DB;
  using WriteBatch = rocksdb::WriteBatch;
  using Iterator = rocksdb::Iterator;
  using ReadOptions = rocksdb::ReadOptions;
  using WriteOptions = rocksdb::WriteOptions;
  using Slice = rocksdb::Slice;
  using Status = rocksdb::Status;
  struct State {};  // the DB owns its cache

  static Status Open(const std::string& path, State*, DB** db) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(kBenchCacheBytes);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return DB::Open(o, path, db);
  }
  static Status Settle(DB* db) {
    Status s = db->Flush(rocksdb::FlushOptions());
    if (s.ok()) s = db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    return s;
  }
};

}  // namespace

std::unique_ptr<BenchEngine> NewRocksDbBenchEngine() {
  return std::make_unique<LsmBenchEngine<RocksDbTraits>>();
}

}  // namespace laura
