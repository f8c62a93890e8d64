// Varint and fixed-width append/decode helpers (see coding.h for the format).
#include "storage/coding.h"

namespace laura {

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, sizeof(buf));
}

char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, v);
  dst->append(buf, end - buf);
}

int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

namespace {

// Decodes at most max_bytes; rejects encodings whose value exceeds `limit`.
bool GetVarint(absl::string_view* input, int max_bytes, uint64_t limit,
               uint64_t* value) {
  uint64_t result = 0;
  const size_t n = input->size();
  for (int i = 0; i < max_bytes && static_cast<size_t>(i) < n; ++i) {
    const uint64_t byte = static_cast<unsigned char>((*input)[i]);
    const int shift = 7 * i;
    const uint64_t group = byte & 0x7f;
    if (shift == 63 && group > 1) return false;  // would overflow 64 bits
    result |= group << shift;
    if ((byte & 0x80) == 0) {
      if (result > limit) return false;
      *value = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

bool GetVarint32(absl::string_view* input, uint32_t* value) {
  uint64_t v;
  if (!GetVarint(input, kMaxVarint32Bytes, UINT32_MAX, &v)) return false;
  *value = static_cast<uint32_t>(v);
  return true;
}

bool GetVarint64(absl::string_view* input, uint64_t* value) {
  return GetVarint(input, kMaxVarint64Bytes, UINT64_MAX, value);
}

bool GetFixed32(absl::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(absl::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

}  // namespace laura
