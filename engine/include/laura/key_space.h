// KeySpace: a named key space of a database (LMDB's named databases,
// RocksDB's column families, bbolt's buckets). Part of the public API
// (<laura/db.h> includes it).
//
// Every space lives in the database's one B+tree, so a transaction or a
// batch writes several spaces atomically and a snapshot sees all of them
// at one commit. The unnamed default space stores keys as they are; a
// named space's keys are stored in a range reserved for the purpose, the
// keys that begin with kSpacePrefix, which the default space refuses
// (InvalidArgument) and its iterators skip. How keys are stored there:
// engine/key_space.h. Proven by KeySpaceTest (tests/engine/key_space_test.cc).
#ifndef LAURA_KEY_SPACE_H_
#define LAURA_KEY_SPACE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace laura {

// The reserved range's prefix: 0xFF 0xFF 0xFF "space" 0x00.
inline constexpr absl::string_view kSpacePrefix("\xff\xff\xffspace\x00", 9);
// The first key past the reserved range.
inline constexpr absl::string_view kSpacePrefixEnd("\xff\xff\xffspace\x01", 9);
// Longest name of a key space.
inline constexpr size_t kMaxSpaceNameSize = 255;

// A handle of a key space: the default space (default-constructed) or a
// named one (DB::CreateKeySpace, DB::GetKeySpace). Cheap to copy; valid
// until the space is dropped, after which calls through it fail with
// FailedPrecondition.
class KeySpace {
 public:
  KeySpace() = default;
  // "" for the default space.
  const std::string& name() const { return name_; }
  bool is_default() const { return prefix_.empty(); }
  uint64_t id() const { return id_; }
  // The stored key of key in this space (key itself for the default).
  std::string StoredKey(absl::string_view key) const;
  // The prefix every stored key of this space begins with ("" for the
  // default space).
  const std::string& prefix() const { return prefix_; }

  // A named space's handle (the engine's catalog makes these).
  static KeySpace Named(std::string name, uint64_t id);

 private:
  std::string name_;
  uint64_t id_ = 0;
  std::string prefix_;
};

}  // namespace laura

#endif  // LAURA_KEY_SPACE_H_
