// Tests for the write-ahead log: record round trips across segments, torn
// tails cut off, damage followed by valid records reported as DataLoss,
// group commit, durability across a simulated crash, sync failures, and
// dropping segments a checkpoint covers.
#include "wal/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

constexpr uint64_t kSegment = 16 * 1024;

std::string Payload(uint64_t lsn) {
  // Sizes from 0 to beyond a segment, so records span every case.
  const size_t size = lsn % 97 == 0 ? 3 * kSegment : (lsn * 37) % 900;
  std::string p(size, static_cast<char>('a' + lsn % 26));
  if (!p.empty()) p[0] = static_cast<char>(lsn);
  return p;
}

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogWriter> NewWriter(Env* env = nullptr, uint64_t number = 1,
                                       std::vector<SegmentInfo> existing = {}) {
    auto w = LogWriter::Create(dir_.path(), number, std::move(existing),
                               {.env = env, .segment_size = kSegment});
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // Reads the whole log; the status of the last Next.
  absl::Status ReadAll(std::vector<LogRecord>* out, Env* env = nullptr,
                       std::unique_ptr<LogReader>* reader_out = nullptr) {
    auto reader = LogReader::Open(env, dir_.path());
    if (!reader.ok()) return reader.status();
    LogRecord r;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next(&r);
      if (!more.ok()) return more.status();
      if (!*more) break;
      out->push_back(r);
    }
    if (reader_out != nullptr) *reader_out = std::move(*reader);
    return absl::OkStatus();
  }

  void Corrupt(uint64_t segment, uint64_t offset) {
    const std::string path = dir_.File(SegmentFileName(segment));
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "\x5a", 1, offset), 1);
    ::close(fd);
  }

  TempDir dir_;
};

TEST_F(LogTest, RecordsRoundTripAcrossSegments) {
  auto w = NewWriter();
  uint64_t pos = 0;
  for (uint64_t lsn = 1; lsn <= 300; ++lsn) {
    auto p = w->Append(lsn, Payload(lsn));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_GT(*p, pos);
    pos = *p;
  }
  ASSERT_TRUE(w->SyncTo(pos).ok());
  EXPECT_GT(w->segments().size(), 5u);
  w.reset();
  std::vector<LogRecord> records;
  std::unique_ptr<LogReader> reader;
  ASSERT_TRUE(ReadAll(&records, nullptr, &reader).ok());
  ASSERT_EQ(records.size(), 300u);
  for (uint64_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].lsn, i + 1);
    EXPECT_EQ(records[i].payload, Payload(i + 1));
  }
  EXPECT_FALSE(reader->torn_tail());
  EXPECT_EQ(reader->segments().back().last_lsn, 300u);
  EXPECT_EQ(reader->next_segment_number(), reader->segments().back().number + 1);
}

TEST_F(LogTest, EmptyOrMissingLogHasNoRecords) {
  std::vector<LogRecord> records;
  auto reader = LogReader::Open(nullptr, dir_.File("absent"));
  ASSERT_TRUE(reader.ok());
  LogRecord r;
  EXPECT_FALSE(*(*reader)->Next(&r));
  EXPECT_EQ((*reader)->next_segment_number(), 1u);
  auto w = NewWriter();
  w.reset();
  ASSERT_TRUE(ReadAll(&records).ok());
  EXPECT_TRUE(records.empty());
}

TEST_F(LogTest, TornTailIsCutOff) {
  auto w = NewWriter();
  uint64_t last_offset = 0;
  for (uint64_t lsn = 1; lsn <= 20; ++lsn) ASSERT_TRUE(w->Append(lsn, "record").ok());
  ASSERT_TRUE(w->SyncTo(w->appended_position()).ok());
  w.reset();
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadAll(&records).ok());
  last_offset = records.back().offset;
  Corrupt(records.back().segment, last_offset + kRecordHeaderSize + 2);  // the last payload
  records.clear();
  std::unique_ptr<LogReader> reader;
  ASSERT_TRUE(ReadAll(&records, nullptr, &reader).ok());
  EXPECT_EQ(records.size(), 19u);
  EXPECT_TRUE(reader->torn_tail());
}

TEST_F(LogTest, DamageFollowedByValidRecordsIsDataLoss) {
  auto w = NewWriter();
  for (uint64_t lsn = 1; lsn <= 20; ++lsn) {  // each commit synced
    auto pos = w->Append(lsn, "record");
    ASSERT_TRUE(pos.ok() && w->SyncTo(*pos).ok());
  }
  w.reset();
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadAll(&records).ok());
  Corrupt(records[10].segment, records[10].offset + 20);  // record 11's LSN
  records.clear();
  absl::Status s = ReadAll(&records);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("was durable"), std::string::npos) << s;
  EXPECT_EQ(records.size(), 10u);
}

TEST_F(LogTest, UnsyncedDamageBeforeUnsyncedRecordsIsATornTail) {
  // Unsynced writes reach the disk in any order: a lost record followed by
  // surviving ones that were never synced either is a crash, not damage.
  auto w = NewWriter();
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) ASSERT_TRUE(w->Append(lsn, "synced").ok());
  ASSERT_TRUE(w->SyncTo(w->appended_position()).ok());
  for (uint64_t lsn = 6; lsn <= 20; ++lsn) ASSERT_TRUE(w->Append(lsn, "unsynced").ok());
  w.reset();
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadAll(&records).ok());
  Corrupt(records[9].segment, records[9].offset + 20);  // LSN 10
  records.clear();
  std::unique_ptr<LogReader> reader;
  ASSERT_TRUE(ReadAll(&records, nullptr, &reader).ok());
  EXPECT_EQ(records.size(), 9u);
  EXPECT_TRUE(reader->torn_tail());
}

TEST_F(LogTest, DamageBeforeALaterSegmentIsDataLoss) {
  auto w = NewWriter();
  for (uint64_t lsn = 1; lsn <= 200; ++lsn) {
    auto pos = w->Append(lsn, Payload(lsn));
    ASSERT_TRUE(pos.ok() && w->SyncTo(*pos).ok());
  }
  ASSERT_GT(w->segments().size(), 2u);
  w.reset();
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadAll(&records).ok());
  // Damage the last record of the first segment.
  size_t i = 0;
  while (records[i + 1].segment == records[0].segment) ++i;
  Corrupt(records[i].segment, records[i].offset + 9);
  records.clear();
  absl::Status s = ReadAll(&records);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("was durable"), std::string::npos) << s;
}

TEST_F(LogTest, SyncedRecordsSurviveACrashUnsyncedOnesMayNot) {
  for (auto mode : {FaultInjectionEnv::CrashMode::kDropUnsynced,
                    FaultInjectionEnv::CrashMode::kKeepUnsynced,
                    FaultInjectionEnv::CrashMode::kTearUnsynced}) {
    TempDir dir;
    FaultInjectionEnv env;
    {
      auto w = LogWriter::Create(dir.path(), 1, {}, {.env = &env, .segment_size = kSegment});
      ASSERT_TRUE(w.ok());
      for (uint64_t lsn = 1; lsn <= 50; ++lsn) ASSERT_TRUE((*w)->Append(lsn, Payload(lsn)).ok());
      ASSERT_TRUE((*w)->SyncTo((*w)->appended_position()).ok());
      for (uint64_t lsn = 51; lsn <= 60; ++lsn) ASSERT_TRUE((*w)->Append(lsn, Payload(lsn)).ok());
    }
    ASSERT_TRUE(env.Crash(mode, 7).ok());
    auto reader = LogReader::Open(&env, dir.path());
    ASSERT_TRUE(reader.ok());
    LogRecord r;
    uint64_t n = 0;
    absl::StatusOr<bool> more;
    while ((more = (*reader)->Next(&r)).ok() && *more) {
      ++n;
      ASSERT_EQ(r.lsn, n);
      ASSERT_EQ(r.payload, Payload(n));
    }
    ASSERT_TRUE(more.ok()) << more.status();
    EXPECT_GE(n, 50u);  // every synced record
    EXPECT_LE(n, 60u);
    if (mode == FaultInjectionEnv::CrashMode::kKeepUnsynced) {
      EXPECT_EQ(n, 60u);
    }
    if (mode == FaultInjectionEnv::CrashMode::kDropUnsynced) {
      EXPECT_EQ(n, 50u);
    }
  }
}

TEST_F(LogTest, FailedSyncFailsTheWriterForGood) {
  FaultInjectionEnv env;
  auto w = NewWriter(&env);
  ASSERT_TRUE(w->Append(1, "a").ok());
  env.FailOperation(1, EIO, /*persistent=*/false, FaultInjectionEnv::kSync);
  absl::Status s = w->SyncTo(w->appended_position());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("reopened"), std::string::npos) << s;
  // The failure was one-off, but the writer does not retry.
  EXPECT_FALSE(w->Append(2, "b").ok());
  EXPECT_FALSE(w->SyncTo(w->appended_position()).ok());
}

TEST_F(LogTest, FullDiskWhileStartingASegmentIsReported) {
  FaultInjectionEnv env;
  env.SetSpaceLimit(kSegment + kSegment / 2);
  auto w = NewWriter(&env);
  absl::Status s;
  for (uint64_t lsn = 1; lsn <= 100 && s.ok(); ++lsn) s = w->Append(lsn, std::string(500, 'x')).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
}

// The names in the log directory, sorted.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names = *Env::Default()->ListDir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(LogTest, CreatingAWriterWritesNothingUntilTheFirstAppend) {
  FaultInjectionEnv env;
  env.SetSpaceLimit(1);  // any byte written would fail
  auto w = NewWriter(&env);
  EXPECT_TRUE(Names(dir_.path()).empty());
  EXPECT_TRUE(w->SyncAll().ok());
  EXPECT_TRUE(absl::IsResourceExhausted(w->Append(1, "a").status()));
  env.SetSpaceLimit(0);
  ASSERT_TRUE(w->Append(1, "a").ok());
  ASSERT_TRUE(w->SyncAll().ok());
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{SegmentFileName(1)});
}

// Flush starts the write-back of each kWriteBackChunk of whole pages as a
// segment fills (wal/log_writer.h), so the sync at a segment's roll finds
// little left: every range asked for is whole pages, follows the one
// before it in its segment, lies within what was written, and all but
// less than a chunk (and a page) of each segment was asked for.
TEST_F(LogTest, FlushStartsTheWriteBackOfEachChunkAsASegmentFills) {
  TempDir dir;
  FaultInjectionEnv env;
  std::mutex mu;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> ranges;  // path: offset, len
  env.SetHook([&](FaultInjectionEnv::OpKind kind, const std::string& what) {
    if (kind != FaultInjectionEnv::kWriteBack) return;
    const std::vector<std::string> parts = absl::StrSplit(what, ' ');
    ASSERT_EQ(parts.size(), 4u) << what;
    std::string path = parts[1];  // the name the file was opened under
    if (absl::EndsWith(path, kCreatingSuffix)) path.resize(path.size() - strlen(kCreatingSuffix));
    std::lock_guard<std::mutex> lock(mu);
    ranges[path].emplace_back(std::stoull(parts[2]), std::stoull(parts[3]));
  });
  constexpr uint64_t kSegmentSize = 8 * kWriteBackChunk;
  auto w = LogWriter::Create(dir.path(), 1, {}, {.env = &env, .segment_size = kSegmentSize});
  ASSERT_TRUE(w.ok()) << w.status();
  const std::string payload(10'000, 'p');
  std::map<uint64_t, uint64_t> written;  // segment number: bytes written into it
  for (uint64_t lsn = 1; lsn <= 4000; ++lsn) {  // about 40 MB: several full segments
    ASSERT_TRUE((*w)->Append(lsn, payload).ok());
    ASSERT_TRUE((*w)->Flush().ok());
  }
  for (const SegmentInfo& info : (*w)->segments()) {
    written[info.number] = kSegmentHeaderSize + (info.last_lsn - info.first_lsn + 1) *
                                                    RecordSpan(payload.size());
  }
  env.SetHook(nullptr);
  ASSERT_GE(written.size(), 4u);
  for (const auto& [number, bytes] : written) {
    const std::string path = dir.path() + "/" + SegmentFileName(number);
    SCOPED_TRACE(path);
    uint64_t end = 0;
    for (const auto& [offset, len] : ranges[path]) {
      EXPECT_EQ(offset, end);
      EXPECT_EQ(len % kLogPageSize, 0u);
      EXPECT_GE(len, kWriteBackChunk);
      end = offset + len;
    }
    EXPECT_LE(end, bytes);
    EXPECT_LT(bytes - end, kWriteBackChunk + kLogPageSize);
  }
}

TEST_F(LogTest, FailedSegmentCreationLeavesNoSegment) {
  for (uint32_t kind : {FaultInjectionEnv::kAllocate, FaultInjectionEnv::kWrite,
                        FaultInjectionEnv::kSync, FaultInjectionEnv::kMetadata}) {
    SCOPED_TRACE(kind);
    TempDir dir;
    FaultInjectionEnv env;
    auto w = LogWriter::Create(dir.path(), 1, {}, {.env = &env, .segment_size = kSegment});
    ASSERT_TRUE(w.ok());
    env.FailOperation(1, ENOSPC, /*persistent=*/false, kind);
    EXPECT_FALSE((*w)->Append(1, "a").ok());
    env.ClearFailures();
    // Only a .creating file may be left (if even its removal failed), and
    // a segment's name never holds a partial header.
    for (const std::string& name : Names(dir.path())) {
      EXPECT_TRUE(absl::EndsWith(name, kCreatingSuffix)) << name;
    }
    w->reset();
    auto again = LogWriter::Create(dir.path(), 1, {}, {.env = &env, .segment_size = kSegment});
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE((*again)->Append(1, "a").ok());
    ASSERT_TRUE((*again)->SyncAll().ok());
    EXPECT_EQ(Names(dir.path()), std::vector<std::string>{SegmentFileName(1)});
  }
}

// Older versions made segments in place: a full disk at open left empty
// segment files, and once a later segment held a record, every open
// failed with "segment header is damaged ... records after LSN 0 are
// lost". Such files hold no record: they are skipped and removed.
TEST_F(LogTest, EmptySegmentsLeftByAFullDiskAreSkippedAndRemoved) {
  for (uint64_t n : {1, 2}) std::ofstream(dir_.File(SegmentFileName(n)));
  std::vector<LogRecord> records;
  std::unique_ptr<LogReader> reader;
  ASSERT_TRUE(ReadAll(&records, nullptr, &reader).ok());
  auto w = NewWriter(nullptr, reader->next_segment_number(), reader->segments());
  ASSERT_TRUE(w->Append(1, "a").ok());
  ASSERT_TRUE(w->SyncAll().ok());
  EXPECT_EQ(Names(dir_.path()), std::vector<std::string>{SegmentFileName(3)});
  w.reset();
  std::ofstream(dir_.File(SegmentFileName(1)));  // and one the reader meets first
  records.clear();
  absl::Status s = ReadAll(&records);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload, "a");
}

TEST_F(LogTest, ConcurrentCommittersShareSyncs) {
  // Each fdatasync takes at least 1 ms, as on a slow disk, so committers
  // pile up behind the running syncs whatever the disk under the test is.
  FaultInjectionEnv env;
  env.SetHook([](FaultInjectionEnv::OpKind kind, const std::string&) {
    if (kind == FaultInjectionEnv::kSync) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  // A generous gathering limit, so that a committer delayed by a loaded
  // machine (sanitizers, parallel tests) still joins the next sync.
  auto created = LogWriter::Create(
      dir_.path(), 1, {},
      {.env = &env, .segment_size = kSegment, .gather_limit = std::chrono::milliseconds(5)});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<LogWriter> w = std::move(*created);
  Mutex append_mu;  // Append is for one thread at a time
  uint64_t next_lsn = 1;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 4, kPerThread = 50;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> pos;
        {
          MutexLock lock(&append_mu);
          pos = w->Append(next_lsn++, "commit");
        }
        if (!pos.ok() || !w->SyncTo(*pos).ok()) ++failures;
        if (w->synced_position() < *pos) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Committers that wait behind the running sync ride on the next one,
  // and its leader gathers the committers the last sync released: about
  // one sync per four commits. Without the gathering the groups alternate
  // between those that waited and those just released (about two commits
  // per sync), so this fails.
  std::cout << kThreads * kPerThread << " commits, " << w->syncs() << " syncs" << std::endl;
  EXPECT_LT(w->syncs(), uint64_t{kThreads * kPerThread * 4 / 10});
  std::vector<LogRecord> records;
  w.reset();
  ASSERT_TRUE(ReadAll(&records, &env).ok());
  EXPECT_EQ(records.size(), uint64_t{kThreads * kPerThread});
}

TEST_F(LogTest, GroupCommitLeaderGathersReleasedCommittersButSyncAllDoesNot) {
  // A gathering limit far longer than the test: a leader that gathers
  // waits until as many records follow as the last sync covered.
  auto created = LogWriter::Create(dir_.path(), 1, {},
                                   {.segment_size = kSegment,
                                    .gather_limit = std::chrono::seconds(60)});
  ASSERT_TRUE(created.ok()) << created.status();
  LogWriter& w = **created;
  // One sync covers two records: the next sync expects two committers.
  ASSERT_TRUE(w.Append(1, "a").ok());
  absl::StatusOr<uint64_t> pos = w.Append(2, "b");
  ASSERT_TRUE(pos.ok() && w.SyncTo(*pos).ok());
  ASSERT_EQ(w.syncs(), 1u);

  // SyncAll is no committer: it syncs record 3 at once.
  pos = w.Append(3, "c");
  ASSERT_TRUE(pos.ok());
  auto sync_all = std::async(std::launch::async, [&] { return w.SyncAll(); });
  ASSERT_EQ(sync_all.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "SyncAll waited to gather";
  EXPECT_TRUE(sync_all.get().ok());
  EXPECT_EQ(w.synced_position(), *pos);
  EXPECT_EQ(w.syncs(), 2u);

  // A committer's SyncTo gathers: with one record since, it waits for the
  // second, and one sync then covers both.
  ASSERT_TRUE(w.Append(4, "d").ok());  // that sync covered 1: no gather now
  pos = w.Append(5, "e");
  ASSERT_TRUE(pos.ok() && w.SyncTo(*pos).ok());
  ASSERT_EQ(w.syncs(), 3u);  // covered records 4 and 5: expects two
  const absl::StatusOr<uint64_t> first = w.Append(6, "f");
  ASSERT_TRUE(first.ok());
  auto gathering = std::async(std::launch::async, [&] { return w.SyncTo(*first); });
  EXPECT_EQ(gathering.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "the leader did not gather";
  const absl::StatusOr<uint64_t> second = w.Append(7, "g");
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(gathering.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(gathering.get().ok());
  EXPECT_TRUE(w.SyncTo(*second).ok());
  EXPECT_EQ(w.syncs(), 4u);  // one sync for records 6 and 7
}

TEST_F(LogTest, GroupCommitLosesNoAcknowledgedRecordInACrash) {
  // Four committers share syncs (a record appended while a leader gathers
  // or syncs rides on a later sync): each commit acknowledged by SyncTo
  // must survive power loss, and recovery must see a prefix of the LSNs.
  for (auto mode : {FaultInjectionEnv::CrashMode::kDropUnsynced,
                    FaultInjectionEnv::CrashMode::kTearUnsynced}) {
    TempDir dir;
    FaultInjectionEnv env;
    std::atomic<uint64_t> acknowledged{0};
    {
      auto w = LogWriter::Create(dir.path(), 1, {}, {.env = &env, .segment_size = kSegment});
      ASSERT_TRUE(w.ok());
      Mutex append_mu;
      uint64_t next_lsn = 1;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
          for (int i = 0; i < 100; ++i) {
            uint64_t lsn;
            absl::StatusOr<uint64_t> pos;
            {
              MutexLock lock(&append_mu);
              lsn = next_lsn++;
              pos = (*w)->Append(lsn, Payload(lsn));
            }
            if (!pos.ok() || !(*w)->SyncTo(*pos).ok()) return;
            uint64_t seen = acknowledged.load();
            while (seen < lsn && !acknowledged.compare_exchange_weak(seen, lsn)) {
            }
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    ASSERT_TRUE(env.Crash(mode, 11).ok());
    auto reader = LogReader::Open(&env, dir.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    LogRecord r;
    uint64_t n = 0;
    absl::StatusOr<bool> more;
    while ((more = (*reader)->Next(&r)).ok() && *more) ASSERT_EQ(r.lsn, ++n);
    ASSERT_TRUE(more.ok()) << more.status();
    EXPECT_EQ(acknowledged.load(), 400u);
    EXPECT_GE(n, acknowledged.load());
  }
}

TEST_F(LogTest, DropSegmentsThroughACheckpoint) {
  auto w = NewWriter();
  for (uint64_t lsn = 1; lsn <= 200; ++lsn) ASSERT_TRUE(w->Append(lsn, Payload(lsn)).ok());
  const std::vector<SegmentInfo> before = w->segments();
  ASSERT_GT(before.size(), 3u);
  const uint64_t cut = before[2].last_lsn;
  ASSERT_TRUE(w->DropSegmentsThrough(cut).ok());
  const std::vector<SegmentInfo> after = w->segments();
  EXPECT_EQ(after.front().number, before[3].number);
  ASSERT_TRUE(w->SyncTo(w->appended_position()).ok());
  w.reset();
  std::vector<LogRecord> records;
  ASSERT_TRUE(ReadAll(&records).ok());
  EXPECT_EQ(records.front().lsn, cut + 1);
  EXPECT_EQ(records.back().lsn, 200u);
}

TEST_F(LogTest, WriterContinuesAfterRecoveryInANewSegment) {
  auto w = NewWriter();
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) ASSERT_TRUE(w->Append(lsn, "x").ok());
  ASSERT_TRUE(w->SyncTo(w->appended_position()).ok());
  w.reset();
  std::vector<LogRecord> records;
  std::unique_ptr<LogReader> reader;
  ASSERT_TRUE(ReadAll(&records, nullptr, &reader).ok());
  w = NewWriter(nullptr, reader->next_segment_number(), reader->segments());
  ASSERT_TRUE(w->Append(6, "y").ok());
  ASSERT_TRUE(w->SyncTo(w->appended_position()).ok());
  w.reset();
  records.clear();
  ASSERT_TRUE(ReadAll(&records).ok());
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records.back().payload, "y");
  EXPECT_FALSE(LogWriter::Create(dir_.path(), 1, reader->segments(), {}).ok());
}

}  // namespace
}  // namespace laura
