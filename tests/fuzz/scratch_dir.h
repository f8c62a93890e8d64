// ScratchDir: a fresh directory per fuzz process for targets that work on
// files (the log reader, recovery). It lives in /dev/shm when that exists:
// memory-backed, so the syncs the code under test makes cost nothing and
// the fuzzer runs more inputs per second (recovery: 62 -> 518 per second,
// with a small pool); otherwise in /tmp. It is removed when the process
// exits normally (a crash leaves it, with the files that crashed it).
#ifndef LAURA_TESTS_FUZZ_SCRATCH_DIR_H_
#define LAURA_TESTS_FUZZ_SCRATCH_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace laura {

// Creates the directory for this process (call once); name tells targets
// apart ("/dev/shm/laura_fuzz_<name>_XXXXXX").
inline std::string MakeScratchDir(const char* name) {
  static std::string dir;
  if (!dir.empty()) __builtin_trap();
  const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string templ = std::string(base) + "/laura_fuzz_" + name + "_XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) __builtin_trap();
  dir = templ;
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  });
  return dir;
}

}  // namespace laura

#endif  // LAURA_TESTS_FUZZ_SCRATCH_DIR_H_
