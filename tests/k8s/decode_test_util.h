// Helpers shared by the decoder tests.
#ifndef CONTOUR_TESTS_K8S_DECODE_TEST_UTIL_H_
#define CONTOUR_TESTS_K8S_DECODE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "k8s/decode.h"

namespace contour::k8s::testing {

inline std::vector<std::string> IssueStrings(const std::vector<DecodeIssue>& issues) {
  std::vector<std::string> strings;
  for (const DecodeIssue& issue : issues) strings.push_back(issue.ToString());
  return strings;
}

// "Kind ns/name" of each decoded object, in order.
inline std::vector<std::string> ObjectNames(const DecodeResult& result) {
  std::vector<std::string> names;
  for (const Object& object : result.objects) {
    const ObjectMeta& meta = MetaOf(object);
    names.push_back(std::string(KindOf(object)) + " " + meta.namespace_ + "/" + meta.name);
  }
  return names;
}

}  // namespace contour::k8s::testing

#endif  // CONTOUR_TESTS_K8S_DECODE_TEST_UTIL_H_
