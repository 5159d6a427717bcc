#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace contour {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(
      what, " ", path, ": ", std::error_code(errno, std::generic_category()).message()));
}

absl::Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path);
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("opening", path);
    absl::Status status = WriteAll(fd, text, path);
    if (::close(fd) != 0 && status.ok()) status = ErrnoError("closing", path);
    return status;
  }
  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return ErrnoError("creating a temporary file for", path);
  absl::Status status = WriteAll(fd, text, path);
  if (status.ok() && ::fchmod(fd, mode) != 0) status = ErrnoError("setting the mode of", path);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("syncing", path);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("closing", path);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("renaming a temporary file to", path);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

}  // namespace contour
