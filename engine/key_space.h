// KeySpace: a named key space of a database (LMDB's named databases,
// RocksDB's column families, bbolt's buckets), and how its keys are stored.
//
// Every space lives in the database's one B+tree, so a transaction or a
// batch writes several spaces atomically and a snapshot sees all of them
// at one commit. The unnamed default space stores keys as they are. A
// named space stores key K as kSpacePrefix + varint(id) + K, in a range of
// keys reserved for the purpose: default-space keys that begin with
// kSpacePrefix are refused (InvalidArgument), and the default space's
// iterators skip the range. Varints are prefix-free, so no space's range
// holds another's. Shared prefixes cost little: a node stores its keys'
// common prefix once (btree/node.h).
//
// Reserved ids in the range:
//   0  the catalog: name -> varint(id); the empty name holds the next id
//   1  spaces being dropped: varint(id) -> name, until their keys are gone
//   2+ named spaces
// Catalog entries are ordinary writes (logged, checkpointed), so creating
// and dropping a space is as durable and atomic as any commit. Proven by
// KeySpaceTest (tests/engine/key_space_test.cc).
#ifndef LAURA_ENGINE_KEY_SPACE_H_
#define LAURA_ENGINE_KEY_SPACE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace laura {

// The reserved range's prefix: 0xFF 0xFF 0xFF "space" 0x00.
inline constexpr absl::string_view kSpacePrefix("\xff\xff\xffspace\x00", 9);
// The first key past the reserved range.
inline constexpr absl::string_view kSpacePrefixEnd("\xff\xff\xffspace\x01", 9);
inline constexpr uint64_t kCatalogSpaceId = 0;
inline constexpr uint64_t kDroppingSpaceId = 1;
inline constexpr uint64_t kFirstSpaceId = 2;
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

// kSpacePrefix + varint(id).
std::string SpaceKeyPrefix(uint64_t id);
// True if a default-space key falls in the reserved range.
inline bool IsReservedKey(absl::string_view key) {
  return key.size() >= kSpacePrefix.size() && static_cast<unsigned char>(key[0]) == 0xff &&
         key.substr(0, kSpacePrefix.size()) == kSpacePrefix;
}

}  // namespace laura

#endif  // LAURA_ENGINE_KEY_SPACE_H_
