// How named key spaces (laura/key_space.h) store their keys, and the
// reserved ids of the engine's own spaces.
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
#include "laura/key_space.h"

namespace laura {

inline constexpr uint64_t kCatalogSpaceId = 0;
inline constexpr uint64_t kDroppingSpaceId = 1;
inline constexpr uint64_t kFirstSpaceId = 2;

// kSpacePrefix + varint(id).
std::string SpaceKeyPrefix(uint64_t id);
// True if a default-space key falls in the reserved range.
inline bool IsReservedKey(absl::string_view key) {
  return key.size() >= kSpacePrefix.size() && static_cast<unsigned char>(key[0]) == 0xff &&
         key.substr(0, kSpacePrefix.size()) == kSpacePrefix;
}

}  // namespace laura

#endif  // LAURA_ENGINE_KEY_SPACE_H_
