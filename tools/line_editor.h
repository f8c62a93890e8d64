// LineEditor: reads the interactive shell's lines through libedit: line
// editing keys, history kept across runs in a file, tab completion of
// command names at the start of a command. The character type comes from
// the environment's locale (LC_CTYPE), so a UTF-8 terminal's multi-byte
// characters reach the shell whole; Ctrl-C at the prompt drops the line
// being typed and gives a new prompt, as sqlite3 does (it does not end the
// shell, whose history is saved when it ends). Proven by
// LauraCliTest.InteractiveShellKeepsUtf8AndCtrlCClearsTheLine.
#ifndef LAURA_TOOLS_LINE_EDITOR_H_
#define LAURA_TOOLS_LINE_EDITOR_H_

#include <optional>
#include <string>
#include <vector>

namespace laura {

class LineEditor {
 public:
  // history_path: where history is loaded from and saved to ("" for none).
  // words: what tab completes at the start of a command.
  LineEditor(std::string history_path, std::vector<std::string> words);
  ~LineEditor();  // saves the history
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next line, without its newline; nullopt at the end of input.
  // Ctrl-C while it waits abandons the line and reads a new one.
  std::optional<std::string> ReadLine(const std::string& prompt);

  // ~/.laura_history, or "" without HOME.
  static std::string DefaultHistoryPath();

 private:
  const std::string history_path_;
  std::vector<std::string> words_;
};

}  // namespace laura

#endif  // LAURA_TOOLS_LINE_EDITOR_H_
