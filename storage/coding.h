// Byte encoding helpers: explicit little-endian fixed-width integers and
// bounds-checked varints. Every on-disk format in LauraDB is written with
// these; no C++ struct is ever copied to disk as is.
//
// Varint format (LEB128, as in LevelDB): 7 bits per byte, low groups first,
// high bit set on every byte but the last. A varint32 takes at most 5 bytes,
// a varint64 at most 10.
#ifndef LAURA_STORAGE_CODING_H_
#define LAURA_STORAGE_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace laura {

inline constexpr int kMaxVarint32Bytes = 5;
inline constexpr int kMaxVarint64Bytes = 10;

// Fixed-width little-endian stores. REQUIRES: dst has room for the width.
inline void EncodeFixed16(char* dst, uint16_t v) {
  for (int i = 0; i < 2; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

// Fixed-width little-endian loads. REQUIRES: src has the width readable.
inline uint16_t DecodeFixed16(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t DecodeFixed32(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t DecodeFixed64(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Appends to *dst.
void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);

// Writes a varint at dst and returns the byte past it.
// REQUIRES: dst has room for kMaxVarint64Bytes.
char* EncodeVarint64(char* dst, uint64_t v);

// Number of bytes the varint encoding of v takes.
int VarintLength(uint64_t v);

// Bounds-checked decoding from the front of *input. On success stores the
// value, advances *input past it and returns true. On a truncated or
// over-long encoding returns false and leaves *input unchanged.
bool GetVarint32(absl::string_view* input, uint32_t* value);
bool GetVarint64(absl::string_view* input, uint64_t* value);
bool GetFixed32(absl::string_view* input, uint32_t* value);
bool GetFixed64(absl::string_view* input, uint64_t* value);

}  // namespace laura

#endif  // LAURA_STORAGE_CODING_H_
