// KeySpace: stored keys of named key spaces (see key_space.h).
#include "engine/key_space.h"

#include "storage/coding.h"

namespace laura {

std::string SpaceKeyPrefix(uint64_t id) {
  std::string prefix(kSpacePrefix);
  PutVarint64(&prefix, id);
  return prefix;
}

KeySpace KeySpace::Named(std::string name, uint64_t id) {
  KeySpace space;
  space.name_ = std::move(name);
  space.id_ = id;
  space.prefix_ = SpaceKeyPrefix(id);
  return space;
}

std::string KeySpace::StoredKey(absl::string_view key) const {
  std::string stored;
  stored.reserve(prefix_.size() + key.size());
  stored.append(prefix_);
  stored.append(key.data(), key.size());
  return stored;
}

}  // namespace laura
