// The C API (engine/include/laura/c.h) over the C++ one (laura/db.h):
// each handle wraps its C++ object; errors become a code and a malloc'd
// message.
#include "laura/c.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "laura/db.h"
#include "laura/version.h"

using laura::DB;
using laura::Iterator;
using laura::Options;
using laura::ReadTransaction;
using laura::WriteBatch;
using laura::WriteOptions;
using laura::WriteTransaction;

struct laura_options_t {
  Options options;
};
struct laura_db_t {
  std::unique_ptr<DB> db;
};
struct laura_writebatch_t {
  WriteBatch batch;
};
struct laura_iterator_t {
  std::unique_ptr<Iterator> it;
};
struct laura_readtxn_t {
  std::unique_ptr<ReadTransaction> txn;
};
struct laura_writetxn_t {
  std::unique_ptr<WriteTransaction> txn;
};
struct laura_space_t {
  laura::KeySpace space;
};

namespace {

char* CopyBytes(absl::string_view bytes) {
  // At least one byte, so that an empty value is not NULL.
  char* out = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, bytes.data(), bytes.size());
  out[bytes.size()] = '\0';
  return out;
}

int CodeOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return LAURA_OK;
    case absl::StatusCode::kNotFound:
      return LAURA_NOT_FOUND;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return LAURA_INVALID_ARGUMENT;
    case absl::StatusCode::kAlreadyExists:
      return LAURA_ALREADY_EXISTS;
    case absl::StatusCode::kFailedPrecondition:
      return LAURA_FAILED_PRECONDITION;
    case absl::StatusCode::kDataLoss:
      return LAURA_DATA_LOSS;
    case absl::StatusCode::kResourceExhausted:
      return LAURA_RESOURCE_EXHAUSTED;
    case absl::StatusCode::kUnavailable:
      return LAURA_UNAVAILABLE;
    default:
      return LAURA_IO_ERROR;
  }
}

// The code of s, with its message in *errmsg when it failed.
int Report(const absl::Status& s, char** errmsg) {
  if (!s.ok() && errmsg != nullptr) *errmsg = CopyBytes(s.message());
  return CodeOf(s);
}

absl::string_view Bytes(const char* data, size_t len) {
  return absl::string_view(len == 0 ? "" : data, len);
}

WriteOptions SyncOption(int sync) {
  WriteOptions o;
  if (sync >= 0) o.sync = sync != 0;
  return o;
}

int ReturnValue(absl::StatusOr<std::string> value, char** out, size_t* out_len, char** errmsg) {
  if (!value.ok()) return Report(value.status(), errmsg);
  *out = CopyBytes(*value);
  if (*out == nullptr) return Report(absl::ResourceExhaustedError("out of memory"), errmsg);
  *out_len = value->size();
  return LAURA_OK;
}

laura_iterator_t* WrapIterator(std::unique_ptr<Iterator> it) {
  if (it == nullptr) return nullptr;
  return new laura_iterator_t{std::move(it)};
}

}  // namespace

extern "C" {

const char* laura_version(void) { return laura::Version(); }
void laura_free(void* ptr) { std::free(ptr); }

laura_options_t* laura_options_create(void) { return new laura_options_t; }
void laura_options_destroy(laura_options_t* options) { delete options; }
void laura_options_set_create_if_missing(laura_options_t* o, int on) {
  o->options.create_if_missing = on != 0;
}
void laura_options_set_error_if_exists(laura_options_t* o, int on) {
  o->options.error_if_exists = on != 0;
}
void laura_options_set_read_only(laura_options_t* o, int on) { o->options.read_only = on != 0; }
void laura_options_set_disk_manager(laura_options_t* o, int kind) {
  o->options.disk_manager =
      kind == LAURA_PREAD ? laura::DiskManagerKind::kPread : laura::DiskManagerKind::kMmap;
}
void laura_options_set_durability(laura_options_t* o, int durability) {
  o->options.durability = durability == LAURA_NO_SYNC       ? laura::Durability::kNoSync
                          : durability == LAURA_SYNC_ON_TIMER ? laura::Durability::kSyncOnTimer
                                                              : laura::Durability::kSyncEveryCommit;
}
void laura_options_set_cache_size(laura_options_t* o, uint64_t bytes) {
  o->options.cache_size = bytes;
}
void laura_options_set_page_size(laura_options_t* o, uint32_t bytes) {
  o->options.page_size = bytes;
}
void laura_options_set_lock_timeout_ms(laura_options_t* o, uint32_t ms) {
  o->options.lock_timeout_ms = ms;
}

int laura_open(const laura_options_t* options, const char* path, laura_db_t** db,
               char** errmsg) {
  if (path == nullptr || db == nullptr) {
    return Report(absl::InvalidArgumentError("laura_open: path and db must not be NULL"), errmsg);
  }
  absl::StatusOr<std::unique_ptr<DB>> opened =
      DB::Open(options != nullptr ? options->options : Options(), path);
  if (!opened.ok()) return Report(opened.status(), errmsg);
  *db = new laura_db_t{std::move(*opened)};
  return LAURA_OK;
}

int laura_close(laura_db_t* db, char** errmsg) {
  if (db == nullptr) return LAURA_OK;
  const absl::Status s = db->db->Close();
  if (absl::IsFailedPrecondition(s) && absl::StrContains(s.message(), "still open")) {
    return Report(s, errmsg);  // handles open: the database stays open
  }
  delete db;
  return Report(s, errmsg);
}

int laura_get(laura_db_t* db, const char* key, size_t key_len, char** value, size_t* value_len,
              char** errmsg) {
  return ReturnValue(db->db->Get(Bytes(key, key_len)), value, value_len, errmsg);
}

int laura_put(laura_db_t* db, const char* key, size_t key_len, const char* value,
              size_t value_len, char** errmsg) {
  return Report(db->db->Put(Bytes(key, key_len), Bytes(value, value_len)), errmsg);
}

int laura_delete(laura_db_t* db, const char* key, size_t key_len, char** errmsg) {
  return Report(db->db->Delete(Bytes(key, key_len)), errmsg);
}

int laura_write(laura_db_t* db, const laura_writebatch_t* batch, int sync, char** errmsg) {
  return Report(db->db->Write(batch->batch, SyncOption(sync)), errmsg);
}

int laura_sync(laura_db_t* db, char** errmsg) { return Report(db->db->Sync(), errmsg); }
int laura_checkpoint(laura_db_t* db, char** errmsg) {
  return Report(db->db->Checkpoint(), errmsg);
}
int laura_compact(laura_db_t* db, char** errmsg) { return Report(db->db->Compact(), errmsg); }
int laura_backup(laura_db_t* db, const char* dest, int compact, char** errmsg) {
  return Report(db->db->Backup(dest, {.compact = compact != 0}), errmsg);
}
char* laura_stats(laura_db_t* db) { return CopyBytes(db->db->Stats().ToString()); }

laura_writebatch_t* laura_writebatch_create(void) { return new laura_writebatch_t; }
void laura_writebatch_destroy(laura_writebatch_t* batch) { delete batch; }
void laura_writebatch_put(laura_writebatch_t* batch, const char* key, size_t key_len,
                          const char* value, size_t value_len) {
  batch->batch.Put(Bytes(key, key_len), Bytes(value, value_len));
}
void laura_writebatch_delete(laura_writebatch_t* batch, const char* key, size_t key_len) {
  batch->batch.Delete(Bytes(key, key_len));
}
void laura_writebatch_clear(laura_writebatch_t* batch) { batch->batch.Clear(); }
size_t laura_writebatch_count(const laura_writebatch_t* batch) { return static_cast<size_t>(batch->batch.count()); }

laura_readtxn_t* laura_begin_read(laura_db_t* db) {
  return new laura_readtxn_t{db->db->BeginRead()};
}
int laura_readtxn_get(laura_readtxn_t* txn, const char* key, size_t key_len, char** value,
                      size_t* value_len, char** errmsg) {
  return ReturnValue(txn->txn->Get(Bytes(key, key_len)), value, value_len, errmsg);
}
void laura_readtxn_end(laura_readtxn_t* txn) { delete txn; }

int laura_begin_write(laura_db_t* db, int wait, laura_writetxn_t** txn, char** errmsg) {
  absl::StatusOr<std::unique_ptr<WriteTransaction>> begun = db->db->BeginWrite(wait != 0);
  if (!begun.ok()) return Report(begun.status(), errmsg);
  *txn = new laura_writetxn_t{std::move(*begun)};
  return LAURA_OK;
}
int laura_writetxn_get(laura_writetxn_t* txn, const char* key, size_t key_len, char** value,
                       size_t* value_len, char** errmsg) {
  return ReturnValue(txn->txn->Get(Bytes(key, key_len)), value, value_len, errmsg);
}
int laura_writetxn_put(laura_writetxn_t* txn, const char* key, size_t key_len,
                       const char* value, size_t value_len, char** errmsg) {
  return Report(txn->txn->Put(Bytes(key, key_len), Bytes(value, value_len)), errmsg);
}
int laura_writetxn_delete(laura_writetxn_t* txn, const char* key, size_t key_len,
                          char** errmsg) {
  return Report(txn->txn->Delete(Bytes(key, key_len)), errmsg);
}
int laura_writetxn_commit(laura_writetxn_t* txn, int sync, char** errmsg) {
  const absl::Status s = txn->txn->Commit(SyncOption(sync));
  delete txn;
  return Report(s, errmsg);
}
void laura_writetxn_abort(laura_writetxn_t* txn) {
  if (txn == nullptr) return;
  txn->txn->Abort().IgnoreError();
  delete txn;
}

laura_iterator_t* laura_iterator_create(laura_db_t* db) {
  return WrapIterator(db->db->NewIterator());
}
laura_iterator_t* laura_readtxn_iterator(laura_readtxn_t* txn) {
  return WrapIterator(txn->txn->NewIterator());
}
laura_iterator_t* laura_writetxn_iterator(laura_writetxn_t* txn) {
  return WrapIterator(txn->txn->NewIterator());
}
void laura_iterator_destroy(laura_iterator_t* it) { delete it; }
int laura_iterator_valid(const laura_iterator_t* it) { return it->it->Valid() ? 1 : 0; }
void laura_iterator_seek_to_first(laura_iterator_t* it) { it->it->SeekToFirst(); }
void laura_iterator_seek_to_last(laura_iterator_t* it) { it->it->SeekToLast(); }
void laura_iterator_seek(laura_iterator_t* it, const char* key, size_t key_len) {
  it->it->Seek(Bytes(key, key_len));
}
void laura_iterator_seek_for_prev(laura_iterator_t* it, const char* key, size_t key_len) {
  it->it->SeekForPrev(Bytes(key, key_len));
}
void laura_iterator_next(laura_iterator_t* it) { it->it->Next(); }
void laura_iterator_prev(laura_iterator_t* it) { it->it->Prev(); }
const char* laura_iterator_key(const laura_iterator_t* it, size_t* len) {
  const absl::string_view key = it->it->key();
  *len = key.size();
  return key.data();
}
const char* laura_iterator_value(laura_iterator_t* it, size_t* len) {
  const absl::string_view value = it->it->value();
  *len = value.size();
  return value.data();
}
int laura_iterator_status(const laura_iterator_t* it, char** errmsg) {
  return Report(it->it->status(), errmsg);
}

int laura_space_create(laura_db_t* db, const char* name, laura_space_t** space, char** errmsg) {
  absl::StatusOr<laura::KeySpace> made = db->db->CreateKeySpace(name);
  if (!made.ok()) return Report(made.status(), errmsg);
  *space = new laura_space_t{*made};
  return LAURA_OK;
}
int laura_space_open(laura_db_t* db, const char* name, laura_space_t** space, char** errmsg) {
  absl::StatusOr<laura::KeySpace> found = db->db->GetKeySpace(name);
  if (!found.ok()) return Report(found.status(), errmsg);
  *space = new laura_space_t{*found};
  return LAURA_OK;
}
int laura_space_drop(laura_db_t* db, const char* name, char** errmsg) {
  return Report(db->db->DropKeySpace(name), errmsg);
}
int laura_space_list(laura_db_t* db, char*** names, size_t* count, char** errmsg) {
  absl::StatusOr<std::vector<std::string>> list = db->db->ListKeySpaces();
  if (!list.ok()) return Report(list.status(), errmsg);
  *count = list->size();
  *names = static_cast<char**>(std::malloc(sizeof(char*) * (list->empty() ? 1 : list->size())));
  for (size_t i = 0; i < list->size(); ++i) (*names)[i] = CopyBytes((*list)[i]);
  return LAURA_OK;
}
const char* laura_space_name(const laura_space_t* space) { return space->space.name().c_str(); }
void laura_space_destroy(laura_space_t* space) { delete space; }
int laura_space_get(laura_db_t* db, const laura_space_t* space, const char* key, size_t key_len,
                    char** value, size_t* value_len, char** errmsg) {
  return ReturnValue(db->db->Get(space->space, Bytes(key, key_len)), value, value_len, errmsg);
}
int laura_space_put(laura_db_t* db, const laura_space_t* space, const char* key, size_t key_len,
                    const char* value, size_t value_len, char** errmsg) {
  return Report(db->db->Put(space->space, Bytes(key, key_len), Bytes(value, value_len)), errmsg);
}
int laura_space_delete(laura_db_t* db, const laura_space_t* space, const char* key,
                       size_t key_len, char** errmsg) {
  return Report(db->db->Delete(space->space, Bytes(key, key_len)), errmsg);
}
laura_iterator_t* laura_space_iterator(laura_db_t* db, const laura_space_t* space) {
  return WrapIterator(db->db->NewIterator(space->space));
}
void laura_writebatch_space_put(laura_writebatch_t* batch, const laura_space_t* space,
                                const char* key, size_t key_len, const char* value,
                                size_t value_len) {
  batch->batch.Put(space->space, Bytes(key, key_len), Bytes(value, value_len));
}
void laura_writebatch_space_delete(laura_writebatch_t* batch, const laura_space_t* space,
                                   const char* key, size_t key_len) {
  batch->batch.Delete(space->space, Bytes(key, key_len));
}
int laura_readtxn_space_get(laura_readtxn_t* txn, const laura_space_t* space, const char* key,
                            size_t key_len, char** value, size_t* value_len, char** errmsg) {
  return ReturnValue(txn->txn->Get(space->space, Bytes(key, key_len)), value, value_len, errmsg);
}
laura_iterator_t* laura_readtxn_space_iterator(laura_readtxn_t* txn, const laura_space_t* space) {
  return WrapIterator(txn->txn->NewIterator(space->space));
}
int laura_writetxn_space_get(laura_writetxn_t* txn, const laura_space_t* space, const char* key,
                             size_t key_len, char** value, size_t* value_len, char** errmsg) {
  return ReturnValue(txn->txn->Get(space->space, Bytes(key, key_len)), value, value_len, errmsg);
}
int laura_writetxn_space_put(laura_writetxn_t* txn, const laura_space_t* space, const char* key,
                             size_t key_len, const char* value, size_t value_len,
                             char** errmsg) {
  return Report(txn->txn->Put(space->space, Bytes(key, key_len), Bytes(value, value_len)),
                errmsg);
}
int laura_writetxn_space_delete(laura_writetxn_t* txn, const laura_space_t* space,
                                const char* key, size_t key_len, char** errmsg) {
  return Report(txn->txn->Delete(space->space, Bytes(key, key_len)), errmsg);
}
laura_iterator_t* laura_writetxn_space_iterator(laura_writetxn_t* txn,
                                                const laura_space_t* space) {
  return WrapIterator(txn->txn->NewIterator(space->space));
}

}  // extern "C"
