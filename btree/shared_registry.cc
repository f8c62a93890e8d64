// SharedRegistry: the coordination file's layout and protocol (see the
// header).
#include "btree/shared_registry.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "btree/snapshot_registry.h"

namespace laura {

namespace {
using A64 = std::atomic<uint64_t>;
using A32 = std::atomic<uint32_t>;
static_assert(A64::is_always_lock_free && A32::is_always_lock_free,
              "the coordination file needs address-free atomics");

constexpr uint64_t kFree = 0;
constexpr uint64_t kReserved = ~uint64_t{0};  // taken, txn not stored yet
constexpr uint64_t kReaping = ~uint64_t{0};   // owner word while a reaper clears a slot

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

long Futex(const A32* word, int op, uint32_t value, const struct timespec* timeout) {
  return ::syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), op, value, timeout,
                   nullptr, 0);
}

void FutexWait(const A32* word, uint32_t value, absl::Duration timeout) {
  const struct timespec ts = absl::ToTimespec(timeout);
  Futex(word, FUTEX_WAIT, value, &ts);  // shared: not FUTEX_PRIVATE_FLAG
}

void FutexWakeAll(const A32* word) { Futex(word, FUTEX_WAKE, INT32_MAX, nullptr); }
}  // namespace

struct SharedRegistry::Layout {
  uint64_t magic;
  uint32_t layout_version;
  char pad0[64 - 12];
  // The published version: two records, each under its own sequence
  // counter, and which of them is current (offsets 64, 128, 192). A
  // writer fills the other record, then makes it current, so one that
  // dies halfway leaves the current record whole.
  struct alignas(64) Record {
    A64 seq;  // odd while being written
    A64 generation;
    A64 root;
    A64 txn;
    A64 page_count;
    A64 valid;
  } records[2];
  A64 current;
  char pad1[64 - 8];
  // Writer (offset 256).
  A64 writer_pid;
  A64 writer_start;
  A64 writer_generation;
  A32 attach_epoch;
  A32 ack_epoch;
  A64 attached;
  char pad2[64 - 40];
  // Process table (offset 320).
  struct Process {
    A64 pid;
    A64 start;
  } processes[kProcesses];
  // Snapshot slots (offset 2368).
  struct alignas(64) Slot {
    A64 owner;  // pid, 0 when free, kReaping while a reaper clears it
    A64 generation;
    A64 value;  // kFree, kReserved or txn + 1
    std::atomic<int64_t> since_us;
    A64 owner_start;  // the owner's start time (0: not stored yet)
  } slots[kSlots];
};
static_assert(offsetof(SharedRegistry::Layout, records) == 64);
static_assert(offsetof(SharedRegistry::Layout, current) == 192);
static_assert(offsetof(SharedRegistry::Layout, writer_pid) == 256);
static_assert(offsetof(SharedRegistry::Layout, processes) == 320);
static_assert(offsetof(SharedRegistry::Layout, slots) == 2368);

namespace {
// Gives a slot back: its snapshot first, then its owner, so that a slot
// that is taken again never shows the old snapshot.
void FreeSlot(SharedRegistry::Layout::Slot& slot) {
  slot.value.store(kFree);
  slot.owner_start.store(0);
  slot.owner.store(0);
}
}  // namespace

uint64_t ProcessStartTicks(uint64_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Field 2 is "(comm)" and may hold spaces: count fields after its ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<SharedRegistry>> SharedRegistry::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(absl::StrCat("open coordination file ", path));
  const size_t size = sizeof(Layout);
  // Alone (nobody holds it open): wipe it, then hold it shared like
  // everyone else (a process sneaking in between wipes it again, harmless:
  // nobody uses it before holding the shared lock).
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, size) != 0) {
      const absl::Status s = ErrnoError(absl::StrCat("size coordination file ", path));
      ::close(fd);
      return s;
    }
  }
  if (::flock(fd, LOCK_SH) != 0) {
    const absl::Status s = ErrnoError(absl::StrCat("lock coordination file ", path));
    ::close(fd);
    return s;
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const absl::Status s = ErrnoError(absl::StrCat("map coordination file ", path));
    ::close(fd);
    return s;
  }
  auto* layout = static_cast<Layout*>(p);
  if (layout->magic == 0) {
    // Freshly wiped: zero is the initial state of every field.
    layout->layout_version = kLayoutVersion;
    layout->magic = kMagic;
  } else if (layout->magic != kMagic || layout->layout_version != kLayoutVersion) {
    ::munmap(p, size);
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a LauraDB coordination file of this version (another build has the "
              "database open?)"));
  }
  return std::unique_ptr<SharedRegistry>(new SharedRegistry(fd, layout));
}

SharedRegistry::~SharedRegistry() {
  {
    MutexLock lock(&mu_);
    for (const auto& [key, held] : held_) {
      FreeSlot(layout_->slots[held.slot]);
    }
    held_.clear();
  }
  Detach();
  ::munmap(layout_, sizeof(Layout));
  ::close(fd_);  // drops the shared flock
}

absl::Status SharedRegistry::Attach() {
  if (process_entry_ >= 0) return absl::OkStatus();
  const uint64_t pid = ::getpid();
  for (int i = 0; i < kProcesses; ++i) {
    uint64_t expected = 0;
    if (layout_->processes[i].pid.compare_exchange_strong(expected, pid)) {
      layout_->processes[i].start.store(start_ticks_);
      layout_->attached.fetch_add(1);
      process_entry_ = i;
      return absl::OkStatus();
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat(kProcesses, " processes have this database open: no entry is left"));
}

void SharedRegistry::Detach() {
  if (process_entry_ < 0) return;
  Layout::Process& entry = layout_->processes[process_entry_];
  entry.start.store(0);
  entry.pid.store(0);
  layout_->attached.fetch_sub(1);
  process_entry_ = -1;
}

uint64_t SharedRegistry::attached() const { return layout_->attached.load(); }

uint64_t SharedRegistry::BeginWriter() {
  // The pid first: a reader that sees the new generation also sees a
  // live writer (Acquire's check).
  layout_->writer_start.store(start_ticks_);
  layout_->writer_pid.store(::getpid());
  return layout_->writer_generation.fetch_add(1) + 1;
}

void SharedRegistry::EndWriter() {
  layout_->writer_pid.store(0);
  FutexWakeAll(&layout_->ack_epoch);  // readers waiting for it stop waiting
}

void SharedRegistry::Publish(const Version& v) {
  const uint64_t next = (layout_->current.load() & 1) ^ 1;
  Layout::Record& r = layout_->records[next];
  // Odd: a writer died while filling it. Even it out, so that the
  // counter is odd while this one writes.
  if (r.seq.load() & 1) r.seq.fetch_add(1);
  r.seq.fetch_add(1);  // odd: being written
  r.generation.store(v.generation);
  r.root.store(v.root);
  r.txn.store(v.txn);
  r.page_count.store(v.page_count);
  r.valid.store(v.valid ? 1 : 0);
  r.seq.fetch_add(1);
  layout_->current.store(next);
}

void SharedRegistry::Invalidate() {
  Version v = published();
  v.valid = false;
  Publish(v);
}

bool SharedRegistry::InvalidateUnlessAttached() {
  if (attached() > 0) return false;
  Invalidate();
  // A process that attached before the invalidation may have read the
  // version; one that attaches after finds it invalid.
  return attached() == 0;
}

SharedRegistry::Version SharedRegistry::published() const {
  while (true) {
    const uint64_t current = layout_->current.load();
    const Layout::Record& r = layout_->records[current & 1];
    const uint64_t seq = r.seq.load();
    if (seq & 1) continue;  // being written: current moved on meanwhile
    Version v;
    v.generation = r.generation.load();
    v.root = r.root.load();
    v.txn = r.txn.load();
    v.page_count = r.page_count.load();
    v.valid = r.valid.load() != 0;
    v.published = true;
    if (r.seq.load() == seq && layout_->current.load() == current) return v;
  }
}

bool SharedRegistry::Live(uint64_t generation, std::vector<uint64_t>* txns) const {
  bool foreign = false;
  for (const Layout::Slot& slot : layout_->slots) {
    const uint64_t value = slot.value.load();
    if (value == kFree || value == kReserved) continue;
    if (slot.generation.load() != generation) {
      foreign = true;
    } else {
      txns->push_back(value - 1);
    }
  }
  return foreign;
}

uint32_t SharedRegistry::attach_epoch() const { return layout_->attach_epoch.load(); }

void SharedRegistry::WaitForAttach(uint32_t seen, absl::Duration timeout) const {
  if (layout_->attach_epoch.load() != seen) return;
  FutexWait(&layout_->attach_epoch, seen, timeout);
}

void SharedRegistry::Acknowledge(uint32_t epoch) {
  layout_->ack_epoch.store(epoch);
  FutexWakeAll(&layout_->ack_epoch);
}

void SharedRegistry::WakeWriter() { FutexWakeAll(&layout_->attach_epoch); }

bool SharedRegistry::ProcessAlive(uint64_t pid, uint64_t start_ticks) {
  if (pid == 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  // The pid may have been reused by a process started later.
  return start_ticks == 0 || ProcessStartTicks(pid) == start_ticks;
}

void SharedRegistry::ClearSlotsOf(uint64_t pid, uint64_t start) {
  for (Layout::Slot& slot : layout_->slots) {
    // A process that reused the pid keeps its own slots.
    const uint64_t owner_start = slot.owner_start.load();
    if (start != 0 && owner_start != 0 && owner_start != start) continue;
    uint64_t owner = pid;
    // Claimed by one reaper at a time, so a slot a live process takes
    // after the clear is never cleared again.
    if (!slot.owner.compare_exchange_strong(owner, kReaping)) continue;
    FreeSlot(slot);
  }
}

int SharedRegistry::ReapDeadProcesses() {
  int reaped = 0;
  for (Layout::Process& entry : layout_->processes) {
    uint64_t pid = entry.pid.load();
    const uint64_t start = entry.start.load();
    if (pid == 0 || ProcessAlive(pid, start)) continue;
    ClearSlotsOf(pid, start);
    if (entry.pid.compare_exchange_strong(pid, 0)) {
      layout_->attached.fetch_sub(1);
      ++reaped;
    }
  }
  // Slots whose owner has no entry (it died between taking a slot and
  // its entry being cleared) and is gone.
  for (Layout::Slot& slot : layout_->slots) {
    const uint64_t owner = slot.owner.load();
    const uint64_t start = slot.owner_start.load();
    if (owner != 0 && owner != kReaping && !ProcessAlive(owner, start)) {
      ClearSlotsOf(owner, start);
    }
  }
  return reaped;
}

bool SharedRegistry::WriterAlive() const {
  return ProcessAlive(layout_->writer_pid.load(), layout_->writer_start.load());
}

bool SharedRegistry::RequestPublication(absl::Duration timeout) {
  const uint32_t epoch = layout_->attach_epoch.fetch_add(1) + 1;
  FutexWakeAll(&layout_->attach_epoch);
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const uint32_t ack = layout_->ack_epoch.load();
    if (static_cast<int32_t>(ack - epoch) >= 0) return true;
    if (!WriterAlive() || absl::Now() >= deadline) return false;
    FutexWait(&layout_->ack_epoch, ack, absl::Milliseconds(50));
  }
}

absl::StatusOr<SharedRegistry::Entry> SharedRegistry::Acquire(const Version& fallback) {
  auto current = [&] {
    Version v = published();
    return v.valid ? v : fallback;
  };
  const uint64_t pid = ::getpid();
  MutexLock lock(&mu_);
  Version v = current();
  int slot = -1;
  while (true) {
    const auto key = std::make_pair(v.generation, v.txn);
    if (auto it = held_.find(key); it != held_.end()) {
      if (slot >= 0) FreeSlot(layout_->slots[slot]);  // taken for a version that moved on
      ++it->second.refs;
      return Entry{v, it->second.slot};
    }
    for (int i = 0; slot < 0 && i < kSlots; ++i) {
      uint64_t expected = 0;
      if (layout_->slots[i].owner.compare_exchange_strong(expected, pid)) {
        layout_->slots[i].owner_start.store(start_ticks_);
        layout_->slots[i].value.store(kReserved);
        layout_->slots[i].since_us.store(SnapshotClockMicros());
        slot = i;
      }
    }
    if (slot < 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "all ", kSlots, " snapshot slots of the coordination file are taken by readers"));
    }
    Layout::Slot& s = layout_->slots[slot];
    s.generation.store(v.generation);
    s.value.store(v.txn + 1);
    // Store, then recheck (see the header): a writer that published past
    // v before the store was seen would have us register again.
    const Version now = current();
    if (now.generation == v.generation && now.txn == v.txn) {
      if (!ProtectedByAWriter(v)) {
        FreeSlot(s);
        return absl::UnavailableError(
            "a writer process started since this version was read and has not published one");
      }
      held_.emplace(key, Held{slot, 1});
      return Entry{v, slot};
    }
    v = now;
  }
}

bool SharedRegistry::ProtectedByAWriter(const Version& v) const {
  // After the slot's store. A valid published version is intact until a
  // newer one is published: a writer that opens with a reader process
  // attached fences every free page and frees nothing until it has
  // published, and one that opens with none invalidates the version first
  // (step 3). Any other version (the data file's checkpoint) only if no
  // writer has started since it was read and none runs: a writer that
  // starts later stores its pid before its generation, and then sees this
  // process attached and fences.
  if (v.valid && v.published) return true;
  if (layout_->writer_generation.load() != v.generation) return false;
  const uint64_t pid = layout_->writer_pid.load();
  return pid == 0 || !ProcessAlive(pid, layout_->writer_start.load());
}

uint64_t SharedRegistry::writer_generation() const {
  return layout_->writer_generation.load();
}

void SharedRegistry::Release(const Entry& entry) {
  MutexLock lock(&mu_);
  auto it = held_.find(std::make_pair(entry.version.generation, entry.version.txn));
  if (it == held_.end() || --it->second.refs > 0) return;
  FreeSlot(layout_->slots[it->second.slot]);
  held_.erase(it);
}

std::vector<SharedRegistry::SlotInfo> SharedRegistry::List() const {
  std::vector<SlotInfo> out;
  for (const Layout::Slot& slot : layout_->slots) {
    const uint64_t value = slot.value.load();
    if (value == kFree || value == kReserved) continue;
    out.push_back(SlotInfo{slot.owner.load(), slot.generation.load(), value - 1,
                           slot.since_us.load()});
  }
  return out;
}

}  // namespace laura
