// Writes the seed corpus of the storage fuzz targets into the directories
// given (meta_page, page_header): valid meta files at several page sizes,
// damaged and truncated copies, free-list chains, zero and foreign bytes.
// Run once when the formats change; the output is committed.
// Also node pages for the node decoder: a leaf, a branch, a leaf with an
// overflow cell, and a damaged leaf.
// And log segments for the log reader (the fuzz target adds a segment
// header to inputs that do not start with the log magic).
// Usage: make_corpus META_DIR PAGE_DIR NODE_DIR LOG_DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "btree/node.h"
#include "wal/log_format.h"
#include "storage/free_list.h"
#include "storage/meta.h"

namespace {

void Save(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

std::string MetaFile(uint32_t page_size, uint64_t pages) {
  std::string file(page_size * pages, '\0');
  laura::Meta m;
  m.page_size = page_size;
  m.page_count = pages;
  m.root = pages > 2 ? 2 : 0;
  for (uint64_t g = 6; g < 8; ++g) {
    m.generation = g;
    m.checkpoint_lsn = g * 10;
    laura::EncodeMeta(m, file.data() + (g % 2) * page_size);
  }
  return file;
}

std::string FreeListPages() {
  constexpr uint32_t kPage = laura::kMinPageSize;
  std::string file(kPage * 5, '\0');
  std::vector<laura::PageId> a = {4}, b = {};
  laura::EncodeFreeListPage(file.data() + 2 * kPage, kPage, 2, 3, a.data(), a.size(), 1);
  laura::EncodeFreeListPage(file.data() + 3 * kPage, kPage, 3, 0, b.data(), 0, 1);
  file[0] = 1;  // expected count, read by the fuzz target
  return file;
}

std::string NodePage(bool leaf, int cells) {
  constexpr uint32_t kPage = laura::kMinPageSize;
  std::string page(kPage, '\0');
  laura::InitPage(page.data(), kPage, 2, leaf ? laura::PageType::kLeaf : laura::PageType::kBranch,
                  1);
  laura::NodeEditor editor(page.data(), kPage);
  editor.Clear(leaf, leaf ? laura::ChildRef{} : laura::ChildRef{9, 1});
  for (int i = 0; i < cells; ++i) {
    std::string cell, key = "key" + std::to_string(10 + i);
    if (!leaf) {
      laura::EncodeBranchCell(key, {10 + static_cast<laura::PageId>(i), 1}, &cell);
    } else if (i % 3 == 2) {
      laura::EncodeOverflowCell(key, 20 + i, 100000, &cell);
    } else {
      laura::EncodeLeafCell(key, std::string(i * 7, 'v'), &cell);
    }
    editor.Insert(i, cell);
  }
  return page;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: make_corpus META_DIR PAGE_DIR NODE_DIR LOG_DIR\n");
    return 2;
  }
  const std::string meta = argv[1], page = argv[2], node = argv[3], log = argv[4];
  {
    std::string records;
    for (uint64_t lsn = 1; lsn <= 4; ++lsn) {
      laura::EncodeRecord(lsn, lsn - 1, laura::kCommitRecord, std::string(lsn * 10, 'r'), &records);
    }
    Save(log, "records", records);
    std::string torn = records;
    torn[records.size() - 3] ^= 1;  // the last record is torn
    Save(log, "records_torn_tail", torn);
    std::string damaged = records;
    damaged[50] ^= 1;  // the first record is damaged, valid ones follow
    Save(log, "records_damaged_middle", damaged);
    std::string full(laura::kSegmentHeaderSize, '\0');
    laura::EncodeSegmentHeader(1, full.data());
    Save(log, "segment_with_header", full + records + std::string(64, '\0'));
    full[20] ^= 1;
    Save(log, "segment_damaged_header", full + records);
  }
  Save(node, "leaf", NodePage(true, 12) + "key15");
  Save(node, "branch", NodePage(false, 8) + "key12");
  Save(node, "empty_leaf", NodePage(true, 0));
  std::string damaged_node = NodePage(true, 5);
  damaged_node[4090] = '\x7f';
  Save(node, "damaged_leaf", damaged_node);
  Save(meta, "valid_4k", MetaFile(4096, 2));
  Save(meta, "valid_64k", MetaFile(65536, 3));
  std::string damaged = MetaFile(8192, 4);
  damaged[100] ^= 1;
  Save(meta, "damaged_page0_8k", damaged);
  Save(meta, "truncated", MetaFile(4096, 2).substr(0, 5000));
  Save(meta, "zeros", std::string(8192, '\0'));
  Save(meta, "foreign", std::string("SQLite format 3\0", 16) + std::string(200, 'x'));
  Save(page, "free_list_chain", FreeListPages());
  std::string loop = FreeListPages();
  loop[3 * 4096 + 32] = 2;  // page 3 links back to page 2
  Save(page, "free_list_loop", loop);
  Save(page, "meta_pages", MetaFile(4096, 4));
  Save(page, "short", "abc");
  return 0;
}
