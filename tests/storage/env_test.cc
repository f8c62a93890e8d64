// Tests for the POSIX Env: positional I/O, short reads, allocation, locks,
// directory listing and mapping.
#include "storage/env.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

TEST(PosixEnvTest, WriteReadAndShortRead) {
  TempDir dir;
  Env* env = Env::Default();
  auto file = env->OpenFile(dir.File("f"), {.create = true});
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Write(10, "hello").ok());
  char buf[5];
  ASSERT_TRUE((*file)->Read(10, 5, buf).ok());
  EXPECT_EQ(std::string(buf, 5), "hello");
  absl::Status s = (*file)->Read(12, 5, buf);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find(dir.File("f")), std::string::npos);
}

TEST(PosixEnvTest, OpenMissingIsNotFoundAndExclusiveIsAlreadyExists) {
  TempDir dir;
  Env* env = Env::Default();
  EXPECT_EQ(env->OpenFile(dir.File("missing"), {}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(env->OpenFile(dir.File("x"), {.create = true}).ok());
  EXPECT_EQ(env->OpenFile(dir.File("x"), {.create = true, .exclusive = true})
                .status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(PosixEnvTest, AllocateReservesBlocks) {
  TempDir dir;
  auto file = Env::Default()->OpenFile(dir.File("f"), {.create = true});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, 1 << 20).ok());
  EXPECT_EQ(*(*file)->Size(), 1u << 20);
  struct stat st;
  ASSERT_EQ(::stat(dir.File("f").c_str(), &st), 0);
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20);  // no hole
}

TEST(PosixEnvTest, SecondLockIsRefused) {
  TempDir dir;
  Env* env = Env::Default();
  auto first = env->LockFile(dir.File("LOCK"));
  ASSERT_TRUE(first.ok());
  auto second = env->LockFile(dir.File("LOCK"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("locked by another process"),
            std::string::npos);
  first->reset();
  EXPECT_TRUE(env->LockFile(dir.File("LOCK")).ok());
}

TEST(PosixEnvTest, ListRenameDelete) {
  TempDir dir;
  Env* env = Env::Default();
  ASSERT_TRUE(env->OpenFile(dir.File("a"), {.create = true}).ok());
  ASSERT_TRUE(env->RenameFile(dir.File("a"), dir.File("b")).ok());
  ASSERT_TRUE(env->SyncDir(dir.path()).ok());
  auto names = env->ListDir(dir.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"b"});
  ASSERT_TRUE(env->DeleteFile(dir.File("b")).ok());
  EXPECT_FALSE(env->FileExists(dir.File("b")));
  EXPECT_EQ(env->DeleteFile(dir.File("b")).code(), absl::StatusCode::kNotFound);
}

TEST(PosixEnvTest, MappedExtentsShareTheFile) {
  TempDir dir;
  Env* env = Env::Default();
  auto file = env->OpenFile(dir.File("m"), {.create = true});
  ASSERT_TRUE(file.ok());
  const size_t page = OsPageSize();
  ASSERT_TRUE((*file)->Allocate(0, 2 * page).ok());
  auto base = env->ReserveAddressSpace(64 * page);
  ASSERT_TRUE(base.ok());
  ASSERT_TRUE((*file)->MapAt(*base, 0, page, true).ok());
  ASSERT_TRUE((*file)->MapAt(*base + page, page, page, true).ok());
  std::memcpy(*base + page, "mapped", 6);
  ASSERT_TRUE((*file)->Sync().ok());
  char buf[6];
  ASSERT_TRUE((*file)->Read(page, 6, buf).ok());
  EXPECT_EQ(std::string(buf, 6), "mapped");
  EXPECT_TRUE(env->AdviseMemory(*base, 2 * page, AccessAdvice::kRandom).ok());
  env->ReleaseAddressSpace(*base, 64 * page);
}

TEST(PosixEnvTest, ErrnoStatusCodes) {
  EXPECT_EQ(ErrnoStatus(ENOSPC, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(EFBIG, "write").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(ENOENT, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_NE(ErrnoStatus(EIO, "ctx").message().find("ctx"), std::string::npos);
}

TEST(PosixEnvTest, DirNameOfPaths) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("a/b/"), "a");
  EXPECT_EQ(DirName("db"), ".");
  EXPECT_EQ(DirName("/db"), "/");
  EXPECT_EQ(DirName("/"), "/");
}

}  // namespace
}  // namespace laura
