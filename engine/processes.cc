// Reader processes beside one writer process: the engine's side of the
// coordination file's protocol (btree/shared_registry.h).
//
// The writer process records itself under a new generation at open,
// fences the free pages if readers of an earlier writer process are
// still attached, and keeps a servant thread that waits (a futex in the
// coordination file) for reader processes to attach. For each, it takes
// the writer role, writes every frame to the file, turns write-through on
// and publishes its latest version, then acknowledges. Write-through stays
// on while any reader process is attached; the first writer role taken
// with none attached turns it off (DBImpl::AcquireWriter).
//
// A read-only open attaches, asks a running writer for its latest version
// and reads that (no log), or, with no writer running, reads the data
// file's checkpoint as before (refusing a log that needs replaying).
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/db_impl.h"

namespace laura {
namespace engine_internal {
namespace {
// How long a reader's open waits for a running writer to publish: the
// writer answers as soon as it holds the writer role (a long write
// transaction delays it).
constexpr absl::Duration kPublicationTimeout = absl::Seconds(30);
// The servant also wakes this often to clear entries of dead readers.
constexpr absl::Duration kServantTick = absl::Seconds(1);
}  // namespace

absl::Status DBImpl::OpenShared(bool* following) {
  *following = false;
  LAURA_ASSIGN_OR_RETURN(shared_, SharedRegistry::Open(path_ + "/SHARED"));
  shared_->ReapDeadProcesses();
  if (!options_.read_only) {
    generation_ = shared_->BeginWriter();
    return absl::OkStatus();
  }
  LAURA_RETURN_IF_ERROR(shared_->Attach());
  if (shared_->WriterAlive() && !shared_->RequestPublication(kPublicationTimeout) &&
      shared_->WriterAlive()) {
    return absl::UnavailableError(absl::StrCat(
        "database ", path_, ": the writer process did not publish its latest version within ",
        absl::FormatDuration(kPublicationTimeout)));
  }
  *following = shared_->published().valid;
  // Read before the data file's meta page (DiskManager::Open, next): a
  // writer that starts after makes that fallback stale.
  fallback_generation_ = shared_->writer_generation();
  return absl::OkStatus();
}

absl::Status DBImpl::StartSharing() {
  // Requests made before this point are answered here.
  const uint32_t epoch = shared_->attach_epoch();
  if (shared_->attached() > 0) {
    LAURA_RETURN_IF_ERROR(ShareLatest());
    shared_->Acknowledge(epoch);
  }
  servant_ = std::thread([this, epoch] { RunServant(epoch); });
  return absl::OkStatus();
}

absl::Status DBImpl::ShareLatest() {
  LAURA_RETURN_IF_ERROR(pager_->Flush());
  pager_->set_write_through(true);
  tree_->StartSharing();
  return absl::OkStatus();
}

void DBImpl::RunServant(uint32_t served) {
  while (!servant_stop_.load()) {
    shared_->WaitForAttach(served, kServantTick);
    if (servant_stop_.load()) break;
    shared_->ReapDeadProcesses();
    const uint32_t epoch = shared_->attach_epoch();
    if (epoch == served) continue;
    if (!AcquireWriter(/*wait=*/true).ok()) break;  // closed or failed
    absl::Status s = ShareLatest();
    MutexLock lock(&write_mu_);
    writer_active_ = false;
    if (!s.ok()) {
      Fail(s).IgnoreError();
      break;
    }
    served = epoch;
    shared_->Acknowledge(epoch);
  }
}

void DBImpl::StopServant() {
  if (!servant_.joinable()) return;
  servant_stop_.store(true);
  shared_->WakeWriter();
  servant_.join();
}

}  // namespace engine_internal
}  // namespace laura
