// FaultInjectionEnv (see fault_injection_env.h for the durability model).
#include "tests/support/fault_injection_env.h"

#include <cerrno>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

absl::StatusOr<std::string> ReadAll(File* file) {
  LAURA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string content(size, '\0');
  LAURA_RETURN_IF_ERROR(file->Read(0, size, content.data()));
  return content;
}

absl::StatusOr<std::string> ReadPath(Env* env, const std::string& path) {
  LAURA_ASSIGN_OR_RETURN(auto file, env->OpenFile(path, {.read_only = true}));
  return ReadAll(file.get());
}

uint64_t NextRandom(uint64_t* state) {  // splitmix64
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

// A File that counts and fails operations and reports syncs to the Env.
class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> base, uint64_t inode)
      : env_(env), base_(std::move(base)), inode_(inode) {}

  const std::string& path() const override { return base_->path(); }

  absl::Status Read(uint64_t offset, size_t n, char* dst) override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kRead, "read " + path()));
    return base_->Read(offset, n, dst);
  }
  absl::Status Write(uint64_t offset, absl::string_view data) override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kWrite, "write " + path()));
    LAURA_RETURN_IF_ERROR(SpaceFor(offset + data.size()));
    return base_->Write(offset, data);
  }
  absl::Status Sync() override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kSync, "fdatasync " + path()));
    LAURA_RETURN_IF_ERROR(base_->Sync());
    // Read and record in one step: of two syncs running at once, the one
    // that read later is recorded later, so durable state never goes back.
    MutexLock lock(&env_->sync_mu_);
    LAURA_ASSIGN_OR_RETURN(std::string content, ReadAll(base_.get()));
    env_->MarkSynced(inode_, content);
    return absl::OkStatus();
  }
  absl::Status Allocate(uint64_t offset, uint64_t len) override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kAllocate, "fallocate " + path()));
    LAURA_RETURN_IF_ERROR(SpaceFor(offset + len));
    return base_->Allocate(offset, len);
  }
  absl::Status Truncate(uint64_t size) override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kTruncate, "ftruncate " + path()));
    return base_->Truncate(size);
  }
  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }
  absl::Status Advise(uint64_t offset, uint64_t len, AccessAdvice advice) override {
    return base_->Advise(offset, len, advice);
  }
  absl::Status MapAt(char* addr, uint64_t offset, size_t len, bool writable) override {
    LAURA_RETURN_IF_ERROR(env_->Check(FaultInjectionEnv::kMap, "mmap " + path()));
    return base_->MapAt(addr, offset, len, writable);
  }
  // Starting write-back makes nothing durable: the crash model keeps
  // unsynced bytes or not per CrashMode, as for any unsynced write.
  absl::Status StartWriteBack(uint64_t offset, uint64_t len) override {
    env_->Notify(FaultInjectionEnv::kWriteBack,
                 absl::StrCat("writeback ", path(), " ", offset, " ", len));
    return base_->StartWriteBack(offset, len);
  }

 private:
  absl::Status SpaceFor(uint64_t end) {
    LAURA_ASSIGN_OR_RETURN(uint64_t size, base_->Size());
    if (end <= size) return absl::OkStatus();
    return env_->CheckSpace(path(), end - size);
  }

  FaultInjectionEnv* const env_;
  const std::unique_ptr<File> base_;
  const uint64_t inode_;
};

void FaultInjectionEnv::FailOperation(uint64_t nth, int err, bool persistent,
                                      uint32_t kinds) {
  MutexLock lock(&mu_);
  fail_at_ = nth;
  fail_errno_ = err;
  fail_persistent_ = persistent;
  fail_kinds_ = kinds;
  matched_ = 0;
}

void FaultInjectionEnv::ClearFailures() {
  MutexLock lock(&mu_);
  fail_at_ = 0;
}

uint64_t FaultInjectionEnv::operation_count() const {
  MutexLock lock(&mu_);
  return ops_;
}

void FaultInjectionEnv::SetSpaceLimit(uint64_t bytes) {
  MutexLock lock(&mu_);
  space_limit_ = bytes;
}

void FaultInjectionEnv::SetHook(Hook fn) {
  MutexLock lock(&mu_);
  hook_ = fn ? std::make_shared<const Hook>(std::move(fn)) : nullptr;
}

void FaultInjectionEnv::Notify(OpKind kind, const std::string& what) {
  std::shared_ptr<const Hook> hook;
  {
    MutexLock lock(&mu_);
    hook = hook_;
  }
  if (hook != nullptr) (*hook)(kind, what);
}

absl::Status FaultInjectionEnv::Check(OpKind kind, const std::string& what) {
  Notify(kind, what);
  MutexLock lock(&mu_);
  ++ops_;
  if (fail_at_ == 0 || (fail_kinds_ & kind) == 0) return absl::OkStatus();
  ++matched_;
  const bool fail = matched_ == fail_at_ || (fail_persistent_ && matched_ > fail_at_);
  if (!fail) return absl::OkStatus();
  return ErrnoStatus(fail_errno_, "injected fault: " + what);
}

absl::Status FaultInjectionEnv::CheckSpace(const std::string& path,
                                           uint64_t growth) {
  MutexLock lock(&mu_);
  if (space_limit_ == 0) return absl::OkStatus();
  uint64_t total = 0;
  for (const auto& [name, inode] : current_names_) {
    absl::StatusOr<uint64_t> size = base_->FileSize(name);
    if (size.ok()) total += *size;
  }
  if (total + growth <= space_limit_) return absl::OkStatus();
  return ErrnoStatus(ENOSPC, "injected full disk: growing " + path);
}

bool FaultInjectionEnv::InUnsyncedDir(const std::string& path) const {
  for (std::string dir = DirName(path); dir != "/" && dir != "."; dir = DirName(dir)) {
    if (unsynced_dirs_.contains(dir)) return true;
  }
  return false;
}

FaultInjectionEnv::InodeId FaultInjectionEnv::TrackLocked(const std::string& path) {
  auto it = current_names_.find(path);
  if (it != current_names_.end()) return it->second;
  const InodeId inode = next_inode_++;
  absl::StatusOr<std::string> content = ReadPath(base_, path);
  durable_content_[inode] = content.ok() ? *content : std::string();
  current_names_[path] = inode;
  durable_names_[path] = inode;
  return inode;
}

void FaultInjectionEnv::MarkSynced(InodeId inode, const std::string& content) {
  MutexLock lock(&mu_);
  durable_content_[inode] = content;
}

absl::StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(
    const std::string& path, const FileOpenOptions& options) {
  LAURA_RETURN_IF_ERROR(Check(kOpen, "open " + path));
  const bool existed = base_->FileExists(path);
  LAURA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->OpenFile(path, options));
  MutexLock lock(&mu_);
  InodeId inode;
  if (existed) {
    inode = TrackLocked(path);
  } else {
    inode = next_inode_++;
    durable_content_[inode] = "";
    current_names_[path] = inode;
  }
  return std::make_unique<FaultFile>(this, std::move(file), inode);
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  LAURA_RETURN_IF_ERROR(Check(kMetadata, "unlink " + path));
  {
    MutexLock lock(&mu_);
    TrackLocked(path);
  }
  LAURA_RETURN_IF_ERROR(base_->DeleteFile(path));
  MutexLock lock(&mu_);
  current_names_.erase(path);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from,
                                           const std::string& to) {
  LAURA_RETURN_IF_ERROR(Check(kMetadata, "rename " + from));
  {
    MutexLock lock(&mu_);
    TrackLocked(from);
    if (base_->FileExists(to)) TrackLocked(to);
  }
  LAURA_RETURN_IF_ERROR(base_->RenameFile(from, to));
  MutexLock lock(&mu_);
  current_names_[to] = current_names_[from];
  current_names_.erase(from);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDir(const std::string& path) {
  LAURA_RETURN_IF_ERROR(Check(kMetadata, "mkdir " + path));
  const bool existed = base_->FileExists(path);
  LAURA_RETURN_IF_ERROR(base_->CreateDir(path));
  MutexLock lock(&mu_);
  if (!existed) unsynced_dirs_.insert(path);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& path) {
  LAURA_RETURN_IF_ERROR(Check(kSync, "fsync directory " + path));
  LAURA_RETURN_IF_ERROR(base_->SyncDir(path));
  MutexLock lock(&mu_);
  std::vector<std::string> gone;
  for (const auto& [name, inode] : durable_names_) {
    if (DirName(name) == path && !current_names_.contains(name)) gone.push_back(name);
  }
  for (const std::string& name : gone) durable_names_.erase(name);
  for (const auto& [name, inode] : current_names_) {
    if (DirName(name) == path) durable_names_[name] = inode;
  }
  for (auto it = unsynced_dirs_.begin(); it != unsynced_dirs_.end();) {
    auto here = it++;
    if (DirName(*here) == path) unsynced_dirs_.erase(here);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::ListDir(
    const std::string& path) {
  return base_->ListDir(path);
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(
    const std::string& path) {
  LAURA_RETURN_IF_ERROR(Check(kOpen, "lock " + path));
  return base_->LockFile(path);
}

absl::StatusOr<char*> FaultInjectionEnv::ReserveAddressSpace(size_t len) {
  LAURA_RETURN_IF_ERROR(Check(kMap, "reserve address space"));
  return base_->ReserveAddressSpace(len);
}

void FaultInjectionEnv::ReleaseAddressSpace(char* addr, size_t len) {
  base_->ReleaseAddressSpace(addr, len);
}

absl::Status FaultInjectionEnv::ReturnToReservation(char* addr, size_t len) {
  LAURA_RETURN_IF_ERROR(Check(kMap, "unmap a file extent"));
  return base_->ReturnToReservation(addr, len);
}

absl::Status FaultInjectionEnv::AdviseMemory(char* addr, size_t len,
                                             AccessAdvice advice) {
  return base_->AdviseMemory(addr, len, advice);
}

std::string FaultInjectionEnv::Survivor(const std::string& durable,
                                        const std::string& current,
                                        CrashMode mode, uint64_t* rng) {
  if (mode == CrashMode::kDropUnsynced) return durable;
  if (mode == CrashMode::kKeepUnsynced) return current;
  std::string result = durable;
  if (current.size() > durable.size() && NextRandom(rng) % 2 == 0) {
    result.resize(current.size(), '\0');  // the extension reached the disk
  }
  const size_t common = std::min(result.size(), current.size());
  constexpr size_t kBlock = 4096, kSector = 512;
  for (size_t block = 0; block < common; block += kBlock) {
    const size_t n = std::min(kBlock, common - block);
    if (result.compare(block, n, current, block, n) == 0) continue;
    const uint64_t choice = NextRandom(rng) % 3;
    if (choice == 0) continue;  // the old version survives
    for (size_t s = block; s < block + n; s += kSector) {
      if (choice == 1 || NextRandom(rng) % 2 == 0) {
        const size_t m = std::min(kSector, block + n - s);
        result.replace(s, m, current, s, m);
      }
    }
  }
  return result;
}

absl::Status FaultInjectionEnv::Crash(CrashMode mode, uint64_t seed) {
  MutexLock lock(&mu_);
  uint64_t rng = seed;
  absl::flat_hash_map<InodeId, std::string> current;
  for (const auto& [name, inode] : current_names_) {
    LAURA_ASSIGN_OR_RETURN(current[inode], ReadPath(base_, name));
  }
  for (const auto& [name, inode] : current_names_) {
    LAURA_RETURN_IF_ERROR(base_->DeleteFile(name));
  }
  const bool keep = mode == CrashMode::kKeepUnsynced;
  absl::flat_hash_map<std::string, InodeId> survivors;
  for (const auto& [name, inode] : keep ? current_names_ : durable_names_) {
    if (keep || !InUnsyncedDir(name)) survivors[name] = inode;
  }
  absl::flat_hash_map<InodeId, std::string> contents;
  for (const auto& [name, inode] : survivors) {
    if (!contents.contains(inode)) {
      const std::string& durable = durable_content_[inode];
      auto it = current.find(inode);
      contents[inode] = Survivor(durable, it == current.end() ? durable : it->second,
                                 mode, &rng);
    }
    LAURA_ASSIGN_OR_RETURN(auto file, base_->OpenFile(name, {.create = true}));
    LAURA_RETURN_IF_ERROR(file->Truncate(0));
    LAURA_RETURN_IF_ERROR(file->Write(0, contents[inode]));
  }
  durable_content_ = std::move(contents);
  current_names_ = survivors;
  durable_names_ = std::move(survivors);
  if (!keep) {
    // A directory whose entry was never synced is gone, with all inside.
    for (const std::string& dir : unsynced_dirs_) std::filesystem::remove_all(dir);
  }
  unsynced_dirs_.clear();
  fail_at_ = 0;
  return absl::OkStatus();
}

}  // namespace laura
