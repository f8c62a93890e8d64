// WriteBatch: puts and deletes applied to a database atomically by
// DB::Write, in the order they were added. Part of the public API
// (<laura/db.h> includes it).
//
// Its bytes are the payload of a commit record in the log (format in
// wal/log_format.h): varint64 count, then per operation a kind byte (1 put,
// 2 delete), varint64 key length, key, and for a put varint64 value length
// and value. A named key space's operation carries its stored key
// (engine/key_space.h), so the log and recovery need nothing more.
#ifndef LAURA_WRITE_BATCH_H_
#define LAURA_WRITE_BATCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "laura/key_space.h"

namespace laura {

class WriteBatch {
 public:
  WriteBatch() = default;

  // In the default key space.
  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);
  // In `space` (one batch may write several spaces, atomically).
  void Put(const KeySpace& space, absl::string_view key, absl::string_view value);
  void Delete(const KeySpace& space, absl::string_view key);
  void Clear();

  // For the engine: the named spaces the batch writes (DB::Write refuses
  // a dropped one), and whether a default-space key fell in the range
  // reserved for named spaces (refused: InvalidArgument).
  const std::vector<uint64_t>& spaces() const { return spaces_; }
  bool has_reserved_key() const { return has_reserved_key_; }
  // For the engine: an operation on a stored key as is (catalog writes).
  void PutStored(absl::string_view key, absl::string_view value);
  void DeleteStored(absl::string_view key);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The encoded operations (the log payload).
  std::string Encode() const;

  // The operation count an encoded batch declares (0 if malformed).
  static uint64_t EncodedCount(absl::string_view encoded);
  // Calls put or del for each operation of an encoded batch, in order.
  // DataLoss if the bytes are malformed (bounds-checked throughout).
  using PutFn = std::function<absl::Status(absl::string_view key, absl::string_view value)>;
  using DeleteFn = std::function<absl::Status(absl::string_view key)>;
  static absl::Status Iterate(absl::string_view encoded, const PutFn& put,
                              const DeleteFn& del);

 private:
  void NoteSpace(const KeySpace& space);

  std::string ops_;  // operations without the leading count
  uint64_t count_ = 0;
  std::vector<uint64_t> spaces_;  // named spaces written, without repeats
  bool has_reserved_key_ = false;
};

}  // namespace laura

#endif  // LAURA_WRITE_BATCH_H_
