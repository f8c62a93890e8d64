// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed
// with its contents when the object goes out of scope.
#ifndef LAURA_TESTS_SUPPORT_TEMP_DIR_H_
#define LAURA_TESTS_SUPPORT_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace laura {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/laura_test_XXXXXX";
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_TEMP_DIR_H_
