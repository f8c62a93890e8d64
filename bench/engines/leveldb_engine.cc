// BenchEngine over LevelDB (lsm_engine.h): a 512 MiB block cache; Settle
// compacts everything, memtable included, into table files.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <string>

#include "bench/engines/lsm_engine.h"

namespace laura {
namespace {

struct LevelDbTraits {
  static constexpr char kName[] = "leveldb";
  using DB = leveldb::DB;
  using WriteBatch = leveldb::WriteBatch;
  using Iterator = leveldb::Iterator;
  using ReadOptions = leveldb::ReadOptions;
  using WriteOptions = leveldb::WriteOptions;
  using Slice = leveldb::Slice;
  using Status = leveldb::Status;
  using State = std::shared_ptr<leveldb::Cache>;

  static Status Open(const std::string& path, State* cache, DB** db) {
    cache->reset(leveldb::NewLRUCache(kBenchCacheBytes));
    leveldb::Options o;
    o.create_if_missing = true;
    o.block_cache = cache->get();
    return DB::Open(o, path, db);
  }
  static Status Settle(DB* db) {
    db->CompactRange(nullptr, nullptr);
    return Status::OK();
  }
};

}  // namespace

std::unique_ptr<BenchEngine> NewLevelDbBenchEngine() {
  return std::make_unique<LsmBenchEngine<LevelDbTraits>>();
}

}  // namespace laura
