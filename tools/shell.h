// Shell: the commands of the laura shell, run against one open database.
// Input comes a line at a time (from the line editor, -c or standard
// input); each line holds commands separated by ';' in the notation of
// text_escape.h. Results go to `out`, one-line errors ("error: ...") to
// `err`. The command table, with each command's usage and help, is in
// shell.cc; `help` prints it.
#ifndef LAURA_TOOLS_SHELL_H_
#define LAURA_TOOLS_SHELL_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "laura/db.h"
#include "tools/shell_lexer.h"

namespace laura {

class Shell {
 public:
  Shell(DB* db, std::ostream& out, std::ostream& err);
  ~Shell();

  // Runs the commands of one line in order, stopping at the first that
  // fails (its error is printed) unless keep_going. Returns whether all
  // succeeded.
  bool ExecuteLine(absl::string_view line, bool keep_going = false);
  // Whether quit (or exit) was run.
  bool quit() const { return quit_; }
  // Whether a write transaction (begin) is open.
  bool in_transaction() const { return txn_ != nullptr; }
  // Rolls back a write transaction left open, saying so on err. Call at
  // the end of input.
  void End();

  // The key space in use ("" for the default).
  const std::string& space() const { return space_.name(); }

  // Draw a progress line during import and export (on a terminal).
  void set_progress(bool on) { progress_ = on; }

  // Every command name, for completion.
  static std::vector<std::string> CommandNames();

  struct Command;  // a command's name, usage, help and handler (shell.cc)
  struct Args;     // a command's arguments and options
  // The command table, in the order help lists it.
  static const std::vector<Command>& Commands();

 private:
  absl::Status Execute(const ShellCommand& tokens);

  absl::Status Get(const Args& a);
  absl::Status Put(const Args& a);
  absl::Status Del(const Args& a);
  absl::Status Scan(const Args& a);
  absl::Status Prefix(const Args& a);
  absl::Status Count(const Args& a);
  absl::Status Begin(const Args& a);
  absl::Status Commit(const Args& a);
  absl::Status Rollback(const Args& a);
  absl::Status Stats(const Args& a);
  absl::Status Check(const Args& a);
  absl::Status Checkpoint(const Args& a);
  absl::Status Sync(const Args& a);
  absl::Status Advise(const Args& a);
  absl::Status Import(const Args& a);
  absl::Status Export(const Args& a);
  absl::Status Timer(const Args& a);
  absl::Status Use(const Args& a);
  absl::Status Spaces(const Args& a);
  absl::Status CreateSpace(const Args& a);
  absl::Status DropSpace(const Args& a);
  absl::Status Help(const Args& a);
  absl::Status Quit(const Args& a);

  // FailedPrecondition if a write transaction is open (for commands that
  // need the writer role themselves).
  absl::Status NotInTransaction(absl::string_view command) const;
  std::unique_ptr<Iterator> NewIterator();
  // Prints the keys in [from, to) (to empty: no bound) that start with
  // prefix, up to limit, in order or reversed.
  absl::Status PrintRange(const std::string& from, const std::string& to,
                          const std::string& prefix, uint64_t limit, bool reverse);

  DB* const db_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<WriteTransaction> txn_;
  KeySpace space_;  // the key space commands use (use NAME)
  bool timer_ = false;
  bool quit_ = false;
  bool progress_ = false;
};

// The closest command name to an unknown one, or "" if none is close.
std::string NearestCommand(absl::string_view name);

}  // namespace laura

#endif  // LAURA_TOOLS_SHELL_H_
