// kSanitized: true when this test binary is built with ASan or TSan (gcc
// defines __SANITIZE_*__, clang answers __has_feature), so long randomized
// tests can run fewer operations there.
#ifndef LAURA_TESTS_SUPPORT_SANITIZERS_H_
#define LAURA_TESTS_SUPPORT_SANITIZERS_H_

namespace laura {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_SANITIZERS_H_
