// Progress: the progress line an import or export draws on standard error
// (bytes, records, records per second, percent and ETA when the total is
// known), redrawn at most ten times a second; nothing when disabled.
#ifndef LAURA_TOOLS_PROGRESS_H_
#define LAURA_TOOLS_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace laura {

class Progress {
 public:
  // label: what is done ("import", "export"). total_bytes: 0 if unknown.
  Progress(bool enabled, std::string label, uint64_t total_bytes);
  ~Progress();

  void set_total_bytes(uint64_t total) { total_ = total; }
  // Cheap enough to call per record: it looks at the clock every 4096 calls.
  void Update(uint64_t bytes, uint64_t records) {
    if (enabled_ && (++calls_ & 4095) == 0) MaybeDraw(bytes, records);
  }
  // Draws the final line and ends it.
  void Finish(uint64_t bytes, uint64_t records);

  // Whether standard error is a terminal (the default for enabled).
  static bool StderrIsTerminal();

 private:
  void MaybeDraw(uint64_t bytes, uint64_t records);
  void Draw(uint64_t bytes, uint64_t records, bool final);

  const bool enabled_;
  const std::string label_;
  uint64_t total_;
  uint64_t calls_ = 0;
  bool drawn_ = false;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace laura

#endif  // LAURA_TOOLS_PROGRESS_H_
