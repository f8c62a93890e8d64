// The engines db_bench compares: LauraDB on both disk managers, then each
// peer whose library CMake found (LAURA_HAVE_<PEER>).
#include "bench/engines/bench_engine.h"

namespace laura {

std::vector<std::pair<std::string, BenchEngineFactory>> BenchEngines() {
  std::vector<std::pair<std::string, BenchEngineFactory>> engines = {
      {"laura-mmap", [] { return NewLauraBenchEngine(/*mmap=*/true); }},
      {"laura-pread", [] { return NewLauraBenchEngine(/*mmap=*/false); }},
  };
#ifdef LAURA_HAVE_LMDB
  engines.emplace_back("lmdb", NewLmdbBenchEngine);
#endif
#ifdef LAURA_HAVE_WIREDTIGER
  engines.emplace_back("wiredtiger", NewWiredTigerBenchEngine);
#endif
#ifdef LAURA_HAVE_LEVELDB
  engines.emplace_back("leveldb", NewLevelDbBenchEngine);
#endif
#ifdef LAURA_HAVE_ROCKSDB
  engines.emplace_back("rocksdb", NewRocksDbBenchEngine);
#endif
#ifdef LAURA_HAVE_SQLITE
  engines.emplace_back("sqlite", NewSqliteBenchEngine);
#endif
  return engines;
}

}  // namespace laura
