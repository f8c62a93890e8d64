// Progress (progress.h).
#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_format.h"

namespace laura {
namespace {

std::string Bytes(double b) {
  if (b >= 1e9) return absl::StrFormat("%.2f GB", b / 1e9);
  if (b >= 1e6) return absl::StrFormat("%.1f MB", b / 1e6);
  return absl::StrFormat("%.0f kB", b / 1e3);
}

std::string Count(double n) {
  if (n >= 1e6) return absl::StrFormat("%.2fM", n / 1e6);
  if (n >= 1e3) return absl::StrFormat("%.1fk", n / 1e3);
  return absl::StrFormat("%.0f", n);
}

}  // namespace

Progress::Progress(bool enabled, std::string label, uint64_t total_bytes)
    : enabled_(enabled),
      label_(std::move(label)),
      total_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fputc('\n', stderr);
}

bool Progress::StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::MaybeDraw(uint64_t bytes, uint64_t records) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(bytes, records, false);
}

void Progress::Finish(uint64_t bytes, uint64_t records) {
  if (!enabled_) return;
  Draw(bytes, records, true);
  std::fputc('\n', stderr);
  drawn_ = false;
}

void Progress::Draw(uint64_t bytes, uint64_t records, bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? records / seconds : 0;
  std::string line = absl::StrFormat("%s: ", label_);
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(bytes) / total_);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    line += '[';
    line.append(filled, '#');
    line.append(kWidth - filled, '.');
    line += "] ";
    line += absl::StrFormat("%3.0f%% %s / %s", fraction * 100, Bytes(bytes), Bytes(total_));
  } else {
    line += Bytes(bytes);
  }
  line += absl::StrFormat(", %s records, %s/s", Count(records), Count(rate));
  if (final) {
    line += absl::StrFormat(", %.1f s", seconds);
  } else if (total_ > 0 && bytes > 0 && bytes < total_) {
    const int eta = static_cast<int>(seconds * (total_ - bytes) / bytes);
    line += absl::StrFormat(", ETA %d:%02d", eta / 60, eta % 60);
  }
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace laura
