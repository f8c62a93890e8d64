// MappingFaults (see mapping_faults.h): the process-wide SIGBUS handler and
// its table of registered ranges.
//
// The table is a fixed array of slots read by the handler without locks:
// a slot is claimed with compare-and-swap on `claimed`, then its range is
// published by storing len before base (release); the handler reads base,
// then len (acquire), and a zero base means an empty slot. Everything the
// handler calls (the mmap system call, sigaction, atomics) is
// async-signal-safe.
#include "storage/mapping_faults.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace laura {
namespace {

struct Slot {
  std::atomic<bool> claimed{false};
  std::atomic<uintptr_t> base{0};
  std::atomic<size_t> len{0};
  std::atomic<uint64_t> faults{0};
  std::atomic<uint64_t> first_fault{0};
};

Slot g_slots[MappingFaults::kMaxRegions];
struct sigaction g_previous;  // written once, before the handler can run
std::once_flag g_install_once;
absl::Status g_install_status;

// The slot whose range holds addr, or nullptr.
Slot* FindSlot(uintptr_t addr) {
  for (Slot& slot : g_slots) {
    const uintptr_t base = slot.base.load(std::memory_order_acquire);
    if (base == 0 || addr < base) continue;
    if (addr - base < slot.len.load(std::memory_order_acquire)) return &slot;
  }
  return nullptr;
}

// Not our fault: do what would have happened without us.
void Chain(int sig, siginfo_t* info, void* context) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Default (or ignored, which the kernel does not honour for a fault):
  // restore the default action; the access faults again and ends the
  // process with SIGBUS, as it would have.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGBUS, &dfl, nullptr);
}

// Puts a private zero page over the faulting one. The kernel swaps the
// page atomically: another thread reading it sees the old page (and faults
// itself, landing here too) or zeros, which fail verification. The call is
// the raw system call, not mmap(3): ThreadSanitizer's mmap interceptor
// records a new mapping as a write by the calling thread, so a zero page
// mapped from one reader's fault would be reported as a race with every
// other reader of that page (under TSan:
// MappingFaultsTest.AZeroPageMappedOnOneThreadIsReadOnAnotherWithoutARace).
void* MapZeroPage(void* page, uintptr_t page_size) {
  return reinterpret_cast<void*>(syscall(SYS_mmap, page, page_size, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  Slot* slot = FindSlot(addr);
  if (slot == nullptr) return Chain(sig, info, context);
  const uintptr_t page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  void* page = reinterpret_cast<void*>(addr & ~(page_size - 1));
  if (MapZeroPage(page, page_size) == MAP_FAILED) {
    return Chain(sig, info, context);  // cannot recover: behave as before
  }
  const uint64_t offset = addr - slot->base.load(std::memory_order_relaxed);
  if (slot->faults.load(std::memory_order_relaxed) == 0) {
    slot->first_fault.store(offset, std::memory_order_relaxed);
  }
  slot->faults.fetch_add(1, std::memory_order_release);
}

void InstallHandler() {
  struct sigaction action = {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &g_previous) != 0) {
    g_install_status = absl::InternalError(
        absl::StrCat("cannot install the SIGBUS handler for mapped files (errno ", errno, ")"));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MappingFaults>> MappingFaults::Register(char* base, size_t len) {
  std::call_once(g_install_once, InstallHandler);
  if (!g_install_status.ok()) return g_install_status;
  for (int i = 0; i < kMaxRegions; ++i) {
    bool expected = false;
    if (!g_slots[i].claimed.compare_exchange_strong(expected, true)) continue;
    Slot& slot = g_slots[i];
    slot.faults.store(0, std::memory_order_relaxed);
    slot.first_fault.store(0, std::memory_order_relaxed);
    slot.len.store(len, std::memory_order_release);
    slot.base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    return std::unique_ptr<MappingFaults>(new MappingFaults(i));
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "more than ", kMaxRegions, " mapped databases are open in this process"));
}

MappingFaults::~MappingFaults() {
  Slot& slot = g_slots[slot_];
  slot.base.store(0, std::memory_order_release);
  slot.len.store(0, std::memory_order_release);
  slot.claimed.store(false, std::memory_order_release);
}

const std::atomic<uint64_t>& MappingFaults::counter() const { return g_slots[slot_].faults; }

uint64_t MappingFaults::first_fault_offset() const {
  return g_slots[slot_].first_fault.load(std::memory_order_relaxed);
}

}  // namespace laura
