#include "files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace yesno::files {
namespace {

Error IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kUnavailable, what + " " + path + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

template <class Buffer>
Result<Buffer> ReadInto(const std::string& path, std::size_t max_bytes) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  Buffer out;
  uint8_t buf[16384];
  while (true) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return MakeError(ErrorCode::kMalformedInput, "file too large: " + path);
    }
    out.insert(out.end(), buf, buf + n);
  }
  explicit_bzero(buf, sizeof(buf));
  return out;
}

}  // namespace

Result<Bytes> ReadFile(const std::string& path, std::size_t max_bytes) { return ReadInto<Bytes>(path, max_bytes); }

Result<SecretBytes> ReadSecretFile(const std::string& path, std::size_t max_bytes) {
  return ReadInto<SecretBytes>(path, max_bytes);
}

Status WriteFileAtomic(const std::string& path, ByteView data, mode_t mode) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string tmp = dir + "/." + target.filename().string() + ".tmpXXXXXX";
  Fd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot create a temporary file in", dir);
  auto fail = [&tmp](Error e) {
    unlink(tmp.c_str());
    return e;
  };
  if (fchmod(fd.get(), mode) != 0) return fail(IoError("cannot chmod", tmp));
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(fd.get(), data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(IoError("cannot write", tmp));
    }
    written += static_cast<std::size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail(IoError("cannot fsync", tmp));
  if (close(fd.release()) != 0) return fail(IoError("cannot close", tmp));
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail(IoError("cannot rename onto", path));
  Fd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || fsync(dir_fd.get()) != 0) return IoError("cannot fsync directory", dir);
  return Status::Ok();
}

Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (!existed) {
    std::filesystem::create_directories(path, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create " + path + ": " + ec.message());
    if (chmod(path.c_str(), 0700) != 0) return IoError("cannot chmod", path);
    return Status::Ok();
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return IoError("cannot stat", path);
  if (!S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kInvalidArgument, path + " exists and is not a directory");
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, path + " is accessible by other users; chmod 700 it first");
  }
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

}  // namespace yesno::files
