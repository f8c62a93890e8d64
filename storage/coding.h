// Byte encoding helpers: explicit little-endian fixed-width integers and
// bounds-checked varints. Every on-disk format in LauraDB is written with
// these; no C++ struct is ever copied to disk as is.
//
// Varint format (LEB128, as in LevelDB): 7 bits per byte, low groups first,
// high bit set on every byte but the last. A varint32 takes at most 5 bytes,
// a varint64 at most 10.
#ifndef LAURA_STORAGE_CODING_H_
#define LAURA_STORAGE_CODING_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace laura {

inline constexpr int kMaxVarint32Bytes = 5;
inline constexpr int kMaxVarint64Bytes = 10;

// Fixed-width little-endian stores and loads. REQUIRES: dst (src) has the
// width writable (readable). On a little-endian machine each is one
// unaligned move (memcpy): the compiler did not always fuse the byte-wise
// form, and a search reads a head per probe (bench/README.md, "The read
// path, second round"). CodingTest.FixedWidthIsLittleEndian and
// CodingTest.FixedWidthAtAnyAlignment check the bytes (of the form this
// machine compiles; the byte-wise one is for big-endian hosts).
namespace coding_internal {
inline constexpr bool kLittleEndian = std::endian::native == std::endian::little;

template <typename T>
inline void Store(char* dst, T v) {
  if constexpr (kLittleEndian) {
    std::memcpy(dst, &v, sizeof(T));
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) dst[i] = static_cast<char>(v >> (8 * i));
  }
}

template <typename T>
inline T Load(const char* src) {
  T v = 0;
  if constexpr (kLittleEndian) {
    std::memcpy(&v, src, sizeof(T));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(src);
    for (size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | p[i]);
  }
  return v;
}
}  // namespace coding_internal

inline void EncodeFixed16(char* dst, uint16_t v) { coding_internal::Store(dst, v); }
inline void EncodeFixed32(char* dst, uint32_t v) { coding_internal::Store(dst, v); }
inline void EncodeFixed64(char* dst, uint64_t v) { coding_internal::Store(dst, v); }
inline uint16_t DecodeFixed16(const char* src) {
  return coding_internal::Load<uint16_t>(src);
}
inline uint32_t DecodeFixed32(const char* src) {
  return coding_internal::Load<uint32_t>(src);
}
inline uint64_t DecodeFixed64(const char* src) {
  return coding_internal::Load<uint64_t>(src);
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
