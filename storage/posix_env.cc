// PosixEnv: the Env over Linux system calls (pread/pwrite, fdatasync,
// posix_fallocate, flock, mmap/madvise).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/env.h"

namespace laura {

absl::Status ErrnoStatus(int err, absl::string_view context) {
  absl::StatusCode code = absl::ErrnoToStatusCode(err);
  // A full disk, a quota, or the file-size limit (ulimit -f): no space.
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) code = absl::StatusCode::kResourceExhausted;
  return absl::Status(code, absl::StrCat(context, ": ", std::strerror(err),
                                         " (errno ", err, ")"));
}

std::string DirName(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

size_t OsPageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

namespace {

int MadviseFlag(AccessAdvice advice) {
  switch (advice) {
    case AccessAdvice::kRandom: return MADV_RANDOM;
    case AccessAdvice::kSequential: return MADV_SEQUENTIAL;
    case AccessAdvice::kWillNeed: return MADV_WILLNEED;
    case AccessAdvice::kDontNeed: return MADV_DONTNEED;
    case AccessAdvice::kNormal: break;
  }
  return MADV_NORMAL;
}

int FadviseFlag(AccessAdvice advice) {
  switch (advice) {
    case AccessAdvice::kRandom: return POSIX_FADV_RANDOM;
    case AccessAdvice::kSequential: return POSIX_FADV_SEQUENTIAL;
    case AccessAdvice::kWillNeed: return POSIX_FADV_WILLNEED;
    case AccessAdvice::kDontNeed: return POSIX_FADV_DONTNEED;
    case AccessAdvice::kNormal: break;
  }
  return POSIX_FADV_NORMAL;
}

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  const std::string& path() const override { return path_; }

  absl::Status Read(uint64_t offset, size_t n, char* dst) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, dst + done, n - done, offset + done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, Where("read", offset + done));
      }
      if (r == 0) {
        return absl::OutOfRangeError(absl::StrCat(
            Where("read", offset), ": end of file after ", done, " of ", n,
            " bytes"));
      }
      done += static_cast<size_t>(r);
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t r = ::pwrite(fd_, data.data() + done, data.size() - done,
                           offset + done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, Where("write", offset + done));
      }
      done += static_cast<size_t>(r);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync " + path_);
    return absl::OkStatus();
  }

  absl::Status Allocate(uint64_t offset, uint64_t len) override {
    int err = ::posix_fallocate(fd_, static_cast<off_t>(offset),
                                static_cast<off_t>(len));
    if (err != 0) {
      return ErrnoStatus(err, absl::StrCat(Where("allocate", offset), " +",
                                           len, " bytes"));
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus(errno, Where("truncate", size));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat " + path_);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Advise(uint64_t offset, uint64_t len,
                      AccessAdvice advice) override {
    int err = ::posix_fadvise(fd_, static_cast<off_t>(offset),
                              static_cast<off_t>(len), FadviseFlag(advice));
    if (err != 0) return ErrnoStatus(err, "fadvise " + path_);
    return absl::OkStatus();
  }

  absl::Status MapAt(char* addr, uint64_t offset, size_t len,
                     bool writable) override {
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    void* p = ::mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd_,
                     static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
      return ErrnoStatus(errno, absl::StrCat(Where("mmap", offset), " +", len,
                                             " bytes"));
    }
    return absl::OkStatus();
  }

  absl::Status StartWriteBack(uint64_t offset, uint64_t len) override {
    if (::sync_file_range(fd_, static_cast<off64_t>(offset), static_cast<off64_t>(len),
                          SYNC_FILE_RANGE_WRITE) != 0) {
      return ErrnoStatus(errno, absl::StrCat(Where("sync_file_range", offset), " +", len,
                                             " bytes"));
    }
    return absl::OkStatus();
  }

 private:
  std::string Where(absl::string_view op, uint64_t offset) const {
    return absl::StrCat(op, " ", path_, " at offset ", offset);
  }

  const std::string path_;
  const int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<File>> OpenFile(
      const std::string& path, const FileOpenOptions& options) override {
    int flags = O_CLOEXEC | (options.read_only ? O_RDONLY : O_RDWR);
    if (options.create) flags |= O_CREAT;
    if (options.create && options.exclusive) flags |= O_EXCL;
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open " + path);
    return std::make_unique<PosixFile>(path, fd);
  }

  bool FileExists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat " + path);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink " + path);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus(errno, "rename " + from + " to " + to);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir " + path);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory " + path);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(err, "fsync directory " + path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "opendir " + path);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    return names;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open lock file " + path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      if (err == EWOULDBLOCK) {
        // The holder wrote its pid into the file (below): name it.
        char text[32] = {};
        const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
        ::close(fd);
        uint64_t pid = 0;
        const bool known = n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(
                                                          absl::string_view(text, n)),
                                                      &pid);
        return absl::FailedPreconditionError(absl::StrCat(
            path, " is locked by another process",
            known ? absl::StrCat(" (pid ", pid, ")") : std::string()));
      }
      ::close(fd);
      return ErrnoStatus(err, "flock " + path);
    }
    // Who holds it, for the next opener's message; a hint, never synced.
    const std::string pid = absl::StrCat(::getpid(), "\n");
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return std::make_unique<PosixFileLock>(fd);
  }

  absl::StatusOr<char*> ReserveAddressSpace(size_t len) override {
    void* p = ::mmap(nullptr, len, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return ErrnoStatus(errno, absl::StrCat("reserve ", len,
                                             " bytes of address space"));
    }
    return static_cast<char*>(p);
  }

  void ReleaseAddressSpace(char* addr, size_t len) override {
    ::munmap(addr, len);
  }

  absl::Status ReturnToReservation(char* addr, size_t len) override {
    void* p = ::mmap(addr, len, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
      return ErrnoStatus(errno, absl::StrCat("unmap ", len, " bytes of the file's mapping"));
    }
    return absl::OkStatus();
  }

  absl::Status AdviseMemory(char* addr, size_t len,
                            AccessAdvice advice) override {
    if (::madvise(addr, len, MadviseFlag(advice)) != 0) {
      return ErrnoStatus(errno, "madvise");
    }
    return absl::OkStatus();
  }
};

}  // namespace

namespace {

// A write past the file-size limit (ulimit -f) raises SIGXFSZ, whose
// default action ends the process; ignored, the write fails with EFBIG,
// which becomes ResourceExhausted like a full disk. Only the default
// action is replaced: a handler the program installed stays.
void IgnoreFileSizeSignal() {
  struct sigaction current = {};
  if (sigaction(SIGXFSZ, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return;
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGXFSZ, &ignore, nullptr);
}

}  // namespace

Env* Env::Default() {
  static Env* const env = [] {
    IgnoreFileSizeSignal();
    return new PosixEnv();
  }();
  return env;
}

}  // namespace laura
