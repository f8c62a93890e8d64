// RunProgram, StartProgram and PtySession (subprocess.h).
#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace laura {
namespace {

[[noreturn]] void Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  std::perror("execv");
  ::_exit(127);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int StatusOf(int wstatus) { return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1; }

}  // namespace

ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_data,
                         const std::vector<std::string>& env) {
  char dir_template[] = "/tmp/laura_run_XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  { std::ofstream(in, std::ios::binary) << stdin_data; }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fin = ::open(in.c_str(), O_RDONLY);
    const int fout = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int ferr = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fin, 0);
    ::dup2(fout, 1);
    ::dup2(ferr, 2);
    Exec(argv, env);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ProgramResult result{StatusOf(wstatus), Slurp(out), Slurp(err)};
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  ::rmdir(dir.c_str());
  return result;
}

pid_t StartProgram(const std::vector<std::string>& argv, int* stdin_pipe) {
  int fds[2] = {-1, -1};
  if (stdin_pipe != nullptr && ::pipe2(fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(stdin_pipe != nullptr ? fds[0] : null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    Exec(argv, {});
  }
  if (stdin_pipe != nullptr) {
    ::close(fds[0]);
    *stdin_pipe = fds[1];
  }
  return pid;
}

PtySession::PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  struct winsize size = {};
  size.ws_row = 40;
  size.ws_col = 200;
  pid_ = ::forkpty(&fd_, nullptr, nullptr, &size);
  if (pid_ == 0) Exec(argv, env);
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
  if (fd_ >= 0) ::close(fd_);
}

void PtySession::Write(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n <= 0) return;
    done += n;
  }
}

bool PtySession::ReadUntil(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t found;
  while ((found = output_.find(text, mark_)) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    struct pollfd p = {fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, n);
  }
  mark_ = found + text.size();
  return true;
}

int PtySession::Wait() {
  if (pid_ <= 0) return -1;
  // Drain the terminal so the program is never blocked writing to it.
  char buf[4096];
  while (true) {
    struct pollfd p = {fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0 && ::read(fd_, buf, sizeof buf) > 0) continue;
    int wstatus;
    const pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return StatusOf(wstatus);
    }
  }
}

}  // namespace laura
