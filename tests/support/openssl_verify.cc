#include "tests/support/openssl_verify.h"

#include <sys/wait.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace contour::testing {
namespace {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

int OpensslVerify(const std::string& ca, const std::string& cert, const std::string& purpose) {
  const std::string command = absl::StrCat("openssl verify -CAfile ", ShellQuote(ca), " -purpose ",
                                           purpose, " ", ShellQuote(cert), " >/dev/null 2>&1");
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace contour::testing
