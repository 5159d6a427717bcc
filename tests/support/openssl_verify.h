// The `openssl verify` command line, for tests that want a verdict from a tool we did not write.
#ifndef CONTOUR_TESTS_SUPPORT_OPENSSL_VERIFY_H_
#define CONTOUR_TESTS_SUPPORT_OPENSSL_VERIFY_H_

#include <string>

namespace contour::testing {

// `openssl verify -CAfile CA -purpose PURPOSE CERT`: its exit status (0 when the chain
// verifies), or -1 if it did not exit normally.
int OpensslVerify(const std::string& ca, const std::string& cert, const std::string& purpose);

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_OPENSSL_VERIFY_H_
