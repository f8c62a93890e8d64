// Fuzz target: recovery. The input becomes commit records (LSNs 1, 2, ...)
// written with the real log writer, and DB::Open replays them into a new
// database. A record's payload is either raw input bytes (the write-batch
// decoder on arbitrary bytes) or a batch encoded from a recipe of puts and
// deletes read from the input (keys and values of any size, some over the
// limits), so that replay reaches the B+tree with splits and overflow
// values.
//
// Oracle: a std::map replays the same payloads through WriteBatch::Iterate.
// Opening must succeed exactly when every payload decodes and every put's
// key and value are within the limits (otherwise it is an error, never a
// crash; deleting any key is fine), and a database that opens must pass
// the structural checker and hold exactly the model's entries in its
// default space. Keys in the range reserved for named key spaces
// (engine/key_space.h) are legal in a log, since the engine writes them
// there itself, but the default space hides them, so the comparison skips
// them; whatever catalog they make must list and iterate without a crash.
//
// Input: chunks of [u8 kind][u8 length][length bytes]; an odd kind makes a
// recipe: ops of [u8 op][u8 key length][key bytes][u8 value length][value
// bytes], where an even op is a put, key length 255 means one byte over
// the key limit and value length 255 a 6000-byte (overflow) value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "btree/btree.h"
#include "engine/key_space.h"
#include "laura/db.h"
#include "tests/fuzz/scratch_dir.h"
#include "wal/log.h"

namespace {

constexpr uint32_t kPageSize = 4096;
constexpr size_t kMaxRecords = 48;

// Reads input bytes in order; past the end, zeros.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Bytes(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(Byte()));
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A write batch from a recipe of up to `length` bytes of input.
std::string Recipe(Input* in, size_t length) {
  const std::string bytes = in->Bytes(length);
  Input ops(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  laura::WriteBatch batch;
  while (!ops.done()) {
    const uint8_t op = ops.Byte();
    const uint8_t key_length = ops.Byte();
    const std::string key = key_length == 255
                                ? std::string(laura::MaxKeySize(kPageSize) + 1, 'k')
                                : ops.Bytes(key_length);
    if (op % 2 == 1) {
      batch.Delete(key);
      continue;
    }
    const uint8_t value_length = ops.Byte();
    batch.Put(key, value_length == 255 ? std::string(6000, 'v') : ops.Bytes(value_length));
  }
  return batch.Encode();
}

// Replays payload into model; false if recovery must refuse it.
bool ApplyToModel(const std::string& payload, std::map<std::string, std::string>* model) {
  std::map<std::string, std::string> next = *model;
  absl::Status s = laura::WriteBatch::Iterate(
      payload,
      [&next](absl::string_view k, absl::string_view v) {
        absl::Status fits = laura::CheckEntrySize(kPageSize, k, v);
        if (fits.ok()) next[std::string(k)] = std::string(v);
        return fits;
      },
      [&next](absl::string_view k) {
        next.erase(std::string(k));  // any key: one over the limit is absent
        return absl::OkStatus();
      });
  if (!s.ok()) return false;
  *model = std::move(next);
  return true;
}

const std::string& BaseDir() {
  static const std::string dir = laura::MakeScratchDir("recovery");
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  std::vector<std::string> payloads;
  while (!in.done() && payloads.size() < kMaxRecords) {
    const uint8_t kind = in.Byte();
    const uint8_t length = in.Byte();
    payloads.push_back(kind % 2 == 1 ? Recipe(&in, length) : in.Bytes(length));
  }
  std::map<std::string, std::string> model;
  bool replayable = true;
  for (const std::string& p : payloads) replayable = replayable && ApplyToModel(p, &model);

  const std::string dir = BaseDir() + "/db";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/log");
  {
    auto log = laura::LogWriter::Create(dir + "/log", 1, {}, {.segment_size = 64 << 10});
    if (!log.ok()) __builtin_trap();
    for (size_t i = 0; i < payloads.size(); ++i) {
      if (!(*log)->Append(i + 1, payloads[i]).ok()) __builtin_trap();
    }
    if (!(*log)->SyncTo((*log)->appended_position()).ok()) __builtin_trap();
  }
  laura::Options options;
  options.disk_manager = laura::DiskManagerKind::kPread;
  // A small pool: the inputs make small databases, and a default 64 MiB
  // pool allocated and freed per input (poisoned by ASan each time) took
  // most of the fuzzer's time.
  options.cache_size = 1 << 20;
  options.log_segment_size = 64 << 10;
  options.checkpoint_interval_ms = 0;
  absl::StatusOr<std::unique_ptr<laura::DB>> db = laura::DB::Open(options, dir);
  if (db.ok() != replayable) __builtin_trap();  // refused iff the model refuses
  if (!db.ok()) return 0;
  if (!(*db)->Check().ok()) __builtin_trap();
  std::erase_if(model, [](const auto& entry) { return laura::IsReservedKey(entry.first); });
  auto expected = model.begin();
  std::unique_ptr<laura::Iterator> it = (*db)->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    if (expected == model.end() || it->key() != expected->first ||
        it->value() != expected->second) {
      __builtin_trap();
    }
  }
  if (!it->status().ok() || expected != model.end()) __builtin_trap();
  it.reset();
  // A catalog made of arbitrary log bytes: an error or a list, never a crash.
  if (absl::StatusOr<std::vector<std::string>> names = (*db)->ListKeySpaces(); names.ok()) {
    for (const std::string& name : *names) {
      absl::StatusOr<laura::KeySpace> space = (*db)->GetKeySpace(name);
      if (!space.ok()) continue;
      std::unique_ptr<laura::Iterator> in_space = (*db)->NewIterator(*space);
      for (in_space->SeekToFirst(); in_space->Valid(); in_space->Next()) {
      }
    }
  }
  if (!(*db)->Close().ok()) __builtin_trap();
  return 0;
}
