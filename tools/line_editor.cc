// LineEditor over libedit's readline interface (line_editor.h).
#include "tools/line_editor.h"

#include <editline/readline.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace laura {
namespace {

constexpr int kHistoryLines = 1000;

// libedit calls back through plain functions; one editor at a time.
std::vector<std::string>* completion_words = nullptr;

char* NextCompletion(const char* text, int state) {
  static size_t index;
  if (state == 0) index = 0;
  const size_t length = std::strlen(text);
  while (completion_words != nullptr && index < completion_words->size()) {
    const std::string& word = (*completion_words)[index++];
    if (word.compare(0, length, text) == 0) return ::strdup(word.c_str());
  }
  return nullptr;
}

char** Complete(const char* text, int start, int /*end*/) {
  // Only the command name, the first word after the start or a ';'.
  int i = start - 1;
  while (i >= 0 && (rl_line_buffer[i] == ' ' || rl_line_buffer[i] == '\t')) --i;
  rl_attempted_completion_over = 1;  // never fall back to file names
  if (i >= 0 && rl_line_buffer[i] != ';') return nullptr;
  return rl_completion_matches(text, NextCompletion);
}

// Set by SIGINT while ReadLine waits.
volatile sig_atomic_t interrupted = 0;

// libedit retries a read that a signal interrupted once, then gives up
// (readline returns NULL). Making the terminal non-blocking here turns
// that retry into an immediate EAGAIN, so one Ctrl-C ends the read at
// once; ReadLine makes it blocking again. (libedit's own handler passes
// SIGINT on to this one.)
void OnInterrupt(int) {
  const int saved_errno = errno;
  interrupted = 1;
  const int flags = fcntl(STDIN_FILENO, F_GETFL);
  if (flags >= 0) fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
  errno = saved_errno;
}

void MakeInputBlocking() {
  const int flags = fcntl(STDIN_FILENO, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK);
}

// Installs OnInterrupt for SIGINT, without SA_RESTART so that the read
// waiting for a key returns; restores the previous action when destroyed.
class InterruptCatcher {
 public:
  InterruptCatcher() {
    struct sigaction action = {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptCatcher() { sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_;
};

}  // namespace

LineEditor::LineEditor(std::string history_path, std::vector<std::string> words)
    : history_path_(std::move(history_path)), words_(std::move(words)) {
  // Multi-byte input needs the terminal's character type; only LC_CTYPE,
  // so numbers still print the same everywhere.
  std::setlocale(LC_CTYPE, "");
  completion_words = &words_;
  rl_readline_name = const_cast<char*>("laura");
  rl_attempted_completion_function = Complete;
  using_history();
  stifle_history(kHistoryLines);
  if (!history_path_.empty()) read_history(history_path_.c_str());
}

LineEditor::~LineEditor() {
  if (!history_path_.empty()) write_history(history_path_.c_str());
  completion_words = nullptr;
}

std::optional<std::string> LineEditor::ReadLine(const std::string& prompt) {
  const InterruptCatcher catcher;
  char* line;
  while (true) {
    interrupted = 0;
    line = readline(prompt.c_str());
    MakeInputBlocking();
    if (!interrupted) break;
    std::free(line);  // Ctrl-C: drop the line, prompt again
    std::fputs("^C\n", stdout);
    std::fflush(stdout);
  }
  if (line == nullptr) return std::nullopt;
  std::string result(line);
  std::free(line);
  if (!result.empty() && result.find_first_not_of(" \t") != std::string::npos) {
    add_history(result.c_str());
  }
  return result;
}

std::string LineEditor::DefaultHistoryPath() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string(home) + "/.laura_history" : "";
}

}  // namespace laura
