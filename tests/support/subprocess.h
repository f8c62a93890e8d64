// Running a program in tests: RunProgram (stdin from a string, stdout and
// stderr captured, exit status) and PtySession (a program on a
// pseudo-terminal, for line editing). POSIX only.
#ifndef LAURA_TESTS_SUPPORT_SUBPROCESS_H_
#define LAURA_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace laura {

struct ProgramResult {
  int exit_status = -1;  // -1 if killed by a signal
  std::string out, err;
};

// Runs argv[0] with argv, feeding stdin_data, with env ("NAME=value")
// added to the environment. Waits for it to end.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         const std::vector<std::string>& env = {});

// Starts a program with stdout and stderr to /dev/null; returns its pid.
// With stdin_pipe, its standard input is a pipe whose write end is
// stored there (the caller closes it); otherwise /dev/null.
pid_t StartProgram(const std::vector<std::string>& argv, int* stdin_pipe = nullptr);

class PtySession {
 public:
  PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~PtySession();
  bool started() const { return pid_ > 0; }
  void Write(const std::string& bytes);
  // Reads until the output after the last match (or the start) contains
  // `text`, or the timeout passes. Returns whether it did.
  bool ReadUntil(const std::string& text,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything read so far.
  const std::string& output() const { return output_; }
  // Waits for the program to end; its exit status.
  int Wait();

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  size_t mark_ = 0;  // end of the last match
};

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_SUBPROCESS_H_
