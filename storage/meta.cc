// Meta page encoding, decoding and selection (format in meta.h).
#include "storage/meta.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"

namespace laura {

void EncodeMeta(const Meta& m, char* page) {
  const PageId id = m.generation % 2;
  InitPage(page, m.page_size, id, PageType::kMeta, m.checkpoint_lsn);
  std::memcpy(page + kMetaMagicOffset, kMetaMagic, sizeof(kMetaMagic));
  EncodeFixed32(page + 40, kFormatVersion);
  EncodeFixed32(page + 44, m.page_size);
  EncodeFixed64(page + 48, m.generation);
  EncodeFixed64(page + 56, m.checkpoint_lsn);
  EncodeFixed64(page + 64, m.root);
  EncodeFixed64(page + 72, m.free_list_head);
  EncodeFixed64(page + 80, m.free_count);
  EncodeFixed64(page + 88, m.page_count);
  EncodeFixed64(page + 96, m.root_lsn);
  SealPage(page, m.page_size, id);
}

namespace {

bool HasMagic(const char* page, size_t n) {
  return n >= kMetaMagicOffset + sizeof(kMetaMagic) &&
         std::memcmp(page + kMetaMagicOffset, kMetaMagic, sizeof(kMetaMagic)) == 0;
}

absl::Status CheckFields(const Meta& m, PageId id) {
  auto bad = [id](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("meta page ", id, ": ", what));
  };
  if (m.generation % 2 != id) return bad("generation does not match its page");
  if (m.page_count < kFirstDataPage) return bad("page count below 2");
  if (m.root == 1 || (m.root != 0 && m.root >= m.page_count)) {
    return bad(absl::StrCat("root page ", m.root, " out of range"));
  }
  if (m.free_list_head == 1 ||
      (m.free_list_head != 0 && m.free_list_head >= m.page_count)) {
    return bad(absl::StrCat("free-list head ", m.free_list_head, " out of range"));
  }
  if (m.free_count >= m.page_count) return bad("free count exceeds page count");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteBothMetaPages(Meta m,
                                const std::function<absl::Status(PageId, const char*)>& write) {
  std::string page(m.page_size, '\0');
  for (m.generation = 0; m.generation < 2; ++m.generation) {
    EncodeMeta(m, page.data());
    LAURA_RETURN_IF_ERROR(write(m.generation, page.data()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Meta> DecodeMeta(const char* page, size_t n, PageId id) {
  if (n < kMetaEncodedSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "meta page ", id, " is only ", n, " bytes: not a LauraDB file"));
  }
  if (!HasMagic(page, n)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "meta page ", id, " has no LauraDB magic: not a LauraDB file"));
  }
  const uint32_t version = DecodeFixed32(page + 40);
  const uint32_t page_size = DecodeFixed32(page + 44);
  if (page_size != n || !ValidatePageSize(page_size).ok()) {
    return absl::DataLossError(absl::StrCat(
        "meta page ", id, ": page size field ", page_size, " is invalid"));
  }
  if (absl::Status s = VerifyPage(page, n, id); !s.ok()) return s;
  if (static_cast<PageType>(page[kPageTypeOffset]) != PageType::kMeta) {
    return absl::DataLossError(absl::StrCat("meta page ", id, ": wrong page type"));
  }
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "meta page ", id, ": format version ", version,
        " is not supported (this build reads version ", kFormatVersion, ")",
        version < kFormatVersion
            ? "; to migrate, export it with the LauraDB that wrote it (laura export DB -o "
              "FILE) and import the file into a new database (laura import NEWDB FILE)"
            : ""));
  }
  Meta m;
  m.page_size = page_size;
  m.generation = DecodeFixed64(page + 48);
  m.checkpoint_lsn = DecodeFixed64(page + 56);
  m.root = DecodeFixed64(page + 64);
  m.free_list_head = DecodeFixed64(page + 72);
  m.free_count = DecodeFixed64(page + 80);
  m.page_count = DecodeFixed64(page + 88);
  m.root_lsn = DecodeFixed64(page + 96);
  if (absl::Status s = CheckFields(m, id); !s.ok()) return s;
  return m;
}

namespace {

// One attempt to read meta page `id` assuming pages of page_size bytes.
struct Attempt {
  absl::StatusOr<Meta> meta = absl::UnknownError("not tried");
  bool magic = false;
};

Attempt TryMeta(const ReadAtFn& read, uint64_t file_size, uint32_t page_size,
                PageId id) {
  Attempt a;
  const uint64_t offset = id * page_size;
  if (file_size < offset + page_size) {
    a.meta = absl::DataLossError(absl::StrCat(
        "meta page ", id, " (", page_size, "-byte pages) lies past the end of "
        "the ", file_size, "-byte file"));
    return a;
  }
  std::string buf(page_size, '\0');
  if (absl::Status s = read(offset, page_size, buf.data()); !s.ok()) {
    a.meta = s;
    return a;
  }
  a.magic = HasMagic(buf.data(), buf.size());
  a.meta = DecodeMeta(buf.data(), buf.size(), id);
  return a;
}

bool Newer(const Meta& a, const Meta& b) {
  if (a.checkpoint_lsn != b.checkpoint_lsn) return a.checkpoint_lsn > b.checkpoint_lsn;
  return a.generation > b.generation;
}

// The page size page 0 claims, if its magic is there and the value is valid.
std::optional<uint32_t> ClaimedPageSize(const ReadAtFn& read, uint64_t file_size) {
  char head[kMetaEncodedSize];
  if (file_size < sizeof(head) || !read(0, sizeof(head), head).ok()) return {};
  if (!HasMagic(head, sizeof(head))) return {};
  const uint32_t size = DecodeFixed32(head + 44);
  if (!ValidatePageSize(size).ok()) return {};
  return size;
}

}  // namespace

absl::StatusOr<Meta> LoadMeta(const ReadAtFn& read, uint64_t file_size) {
  if (file_size == 0) {
    return absl::InvalidArgumentError(
        "file is empty (0 bytes): not a LauraDB database");
  }
  if (file_size < kMetaEncodedSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file of ", file_size, " bytes is too small to be a LauraDB database"));
  }
  // Page sizes to try: the one page 0 claims first, then every other.
  std::vector<uint32_t> sizes;
  const std::optional<uint32_t> claimed = ClaimedPageSize(read, file_size);
  if (claimed) sizes.push_back(*claimed);
  for (uint32_t s = kMinPageSize; s <= kMaxPageSize; s *= 2) {
    if (!claimed || s != *claimed) sizes.push_back(s);
  }
  std::optional<Meta> best;
  bool any_magic = false;
  std::string reasons[2];
  for (uint32_t size : sizes) {
    for (PageId id = 0; id < 2; ++id) {
      Attempt a = TryMeta(read, file_size, size, id);
      any_magic |= a.magic;
      if (!a.meta.ok()) {
        if (reasons[id].empty() || a.magic) reasons[id] = std::string(a.meta.status().message());
        continue;
      }
      if (best && best->page_size != a.meta->page_size) {
        return absl::DataLossError("the two meta pages disagree on the page size");
      }
      if (!best || Newer(*a.meta, *best)) best = *a.meta;
    }
    if (best) break;
  }
  if (!best) {
    if (!any_magic) {
      return absl::InvalidArgumentError(
          "not a LauraDB file: neither meta page has the LauraDB magic");
    }
    return absl::DataLossError(absl::StrCat(
        "both meta pages are damaged: ", reasons[0], "; ", reasons[1]));
  }
  const uint64_t needed = best->page_count * best->page_size;
  if (best->page_count > file_size / best->page_size) {
    return absl::DataLossError(absl::StrCat(
        "file is truncated: the meta page counts ", best->page_count,
        " pages (", needed, " bytes) but the file has ", file_size, " bytes"));
  }
  return *best;
}

}  // namespace laura
