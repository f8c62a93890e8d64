// Iterator: an ordered cursor over one snapshot of a database. Part of the
// public API (<laura/db.h> includes it).
#ifndef LAURA_ITERATOR_H_
#define LAURA_ITERATOR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace laura {

// An ordered iterator over one consistent version of the database (a
// snapshot), with the cursor operations of the B+tree. Keys are compared
// bytewise. It pins a few pages; destroy it before its transaction (or,
// for DB::NewIterator, whenever done).
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // The first key >= key.
  virtual void Seek(absl::string_view key) = 0;
  // The last key <= key.
  virtual void SeekForPrev(absl::string_view key) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // REQUIRES: Valid(). Valid until the iterator moves.
  virtual absl::string_view key() const = 0;
  virtual absl::string_view value() = 0;
  // Not OK if a damaged page stopped the iteration.
  virtual absl::Status status() const = 0;
};

// The smallest key above every key that starts with prefix, or nullopt if
// there is none (prefix empty or all 0xff): a prefix scan is
// Seek(prefix) up to PrefixEnd(prefix).
std::optional<std::string> PrefixEnd(absl::string_view prefix);

}  // namespace laura

#endif  // LAURA_ITERATOR_H_
