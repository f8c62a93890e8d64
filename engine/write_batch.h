// WriteBatch: puts and deletes applied to a database atomically by
// DB::Write, in the order they were added.
//
// Its bytes are the payload of a commit record in the log (format in
// wal/log_format.h): varint64 count, then per operation a kind byte (1 put,
// 2 delete), varint64 key length, key, and for a put varint64 value length
// and value.
#ifndef LAURA_ENGINE_WRITE_BATCH_H_
#define LAURA_ENGINE_WRITE_BATCH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace laura {

class WriteBatch {
 public:
  WriteBatch() = default;

  void Put(absl::string_view key, absl::string_view value);
  void Delete(absl::string_view key);
  void Clear();

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
  std::string ops_;  // operations without the leading count
  uint64_t count_ = 0;
};

}  // namespace laura

#endif  // LAURA_ENGINE_WRITE_BATCH_H_
