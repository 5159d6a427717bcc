// A scratch directory for a test, removed with everything in it when the object goes away.
#ifndef CONTOUR_TESTS_SUPPORT_TEMP_DIR_H_
#define CONTOUR_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace contour::testing {

class TempDir {
 public:
  // Under $TMPDIR (or /tmp); aborts the test program if none can be made.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name (parent directories made) and returns the full path.
  std::string Write(std::string_view name, std::string_view contents) const;

 private:
  std::string path_;
};

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_TEMP_DIR_H_
