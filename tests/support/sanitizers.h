// kSanitized: true when this test binary is built with ASan or TSan (gcc
// defines __SANITIZE_*__, clang answers __has_feature), so long randomized
// tests can run fewer operations there.
#ifndef LAURA_TESTS_SUPPORT_SANITIZERS_H_
#define LAURA_TESTS_SUPPORT_SANITIZERS_H_

// LAURA_TEST_ASAN / LAURA_TEST_TSAN: defined in a build with that sanitizer,
// for code that calls its interface (sanitizer/asan_interface.h).
#if defined(__SANITIZE_ADDRESS__)
#define LAURA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAURA_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define LAURA_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LAURA_TEST_TSAN 1
#endif
#endif

namespace laura {

#if defined(LAURA_TEST_ASAN) || defined(LAURA_TEST_TSAN)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_SANITIZERS_H_
