// WriteBatch encoding and decoding (see write_batch.h).
#include "laura/write_batch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/key_space.h"
#include "storage/coding.h"
#include "storage/status_macros.h"
#include "wal/log.h"

namespace laura {

void WriteBatch::Put(absl::string_view key, absl::string_view value) {
  has_reserved_key_ |= IsReservedKey(key);
  PutStored(key, value);
}

void WriteBatch::Delete(absl::string_view key) {
  has_reserved_key_ |= IsReservedKey(key);
  DeleteStored(key);
}

void WriteBatch::NoteSpace(const KeySpace& space) {
  if (std::find(spaces_.begin(), spaces_.end(), space.id()) == spaces_.end()) {
    spaces_.push_back(space.id());
  }
}

void WriteBatch::Put(const KeySpace& space, absl::string_view key, absl::string_view value) {
  if (space.is_default()) return Put(key, value);
  NoteSpace(space);
  PutStored(space.StoredKey(key), value);
}

void WriteBatch::Delete(const KeySpace& space, absl::string_view key) {
  if (space.is_default()) return Delete(key);
  NoteSpace(space);
  DeleteStored(space.StoredKey(key));
}

void WriteBatch::PutStored(absl::string_view key, absl::string_view value) {
  ops_.push_back(static_cast<char>(kBatchPut));
  PutVarint64(&ops_, key.size());
  ops_.append(key.data(), key.size());
  PutVarint64(&ops_, value.size());
  ops_.append(value.data(), value.size());
  ++count_;
}

void WriteBatch::DeleteStored(absl::string_view key) {
  ops_.push_back(static_cast<char>(kBatchDelete));
  PutVarint64(&ops_, key.size());
  ops_.append(key.data(), key.size());
  ++count_;
}

void WriteBatch::Clear() {
  ops_.clear();
  count_ = 0;
  spaces_.clear();
  has_reserved_key_ = false;
}

std::string WriteBatch::Encode() const {
  std::string out;
  PutVarint64(&out, count_);
  out.append(ops_);
  return out;
}

uint64_t WriteBatch::EncodedCount(absl::string_view encoded) {
  uint64_t count = 0;
  return GetVarint64(&encoded, &count) ? count : 0;
}

absl::Status WriteBatch::Iterate(absl::string_view in, const PutFn& put, const DeleteFn& del) {
  auto bad = [](uint64_t i, absl::string_view what) {
    return absl::DataLossError(absl::StrCat("write batch operation ", i, ": ", what));
  };
  uint64_t count;
  if (!GetVarint64(&in, &count)) return bad(0, "the operation count is malformed");
  for (uint64_t i = 0; i < count; ++i) {
    if (in.empty()) return bad(i, "the batch ends early");
    const uint8_t kind = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    uint64_t key_length;
    if (!GetVarint64(&in, &key_length) || key_length > in.size()) {
      return bad(i, "the key length is malformed");
    }
    const absl::string_view key = in.substr(0, key_length);
    in.remove_prefix(key_length);
    if (kind == kBatchPut) {
      uint64_t value_length;
      if (!GetVarint64(&in, &value_length) || value_length > in.size()) {
        return bad(i, "the value length is malformed");
      }
      LAURA_RETURN_IF_ERROR(put(key, in.substr(0, value_length)));
      in.remove_prefix(value_length);
    } else if (kind == kBatchDelete) {
      LAURA_RETURN_IF_ERROR(del(key));
    } else {
      return bad(i, absl::StrCat("unknown operation kind ", kind));
    }
  }
  if (!in.empty()) return bad(count, "bytes follow the last operation");
  return absl::OkStatus();
}

}  // namespace laura
