// Test helpers: parse expected protos from text format, compare with a readable diff.
#ifndef CONTOUR_TESTS_TRANSLATE_PROTO_TEST_UTIL_H_
#define CONTOUR_TESTS_TRANSLATE_PROTO_TEST_UTIL_H_

#include <memory>
#include <string>

#include "dag/dag.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace contour::translate::test_util {

// Parses `text` (text format, Any written expanded) or fails the test.
template <typename T>
T ParseText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << "unparsable expected " << T::descriptor()->full_name() << ":\n"
      << text;
  return message;
}

// Matches a proto equal to `expected`; Any fields are compared unpacked.
MATCHER_P(EqualsProto, expected, "") {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "differences (expected → actual):\n" << diff;
  return false;
}

// A shared Service for DAG fixtures.
inline std::shared_ptr<const dag::Service> MakeService(const std::string& ns,
                                                       const std::string& name, int32_t port,
                                                       const std::string& port_name = "") {
  auto service = std::make_shared<dag::Service>();
  service->namespace_ = ns;
  service->name = name;
  service->port = port;
  service->port_name = port_name;
  return service;
}

inline dag::Cluster MakeCluster(std::shared_ptr<const dag::Service> service, uint32_t weight = 0,
                                const std::string& strategy = "") {
  dag::Cluster cluster;
  cluster.upstream = std::move(service);
  cluster.weight = weight;
  cluster.load_balancer_strategy = strategy;
  return cluster;
}

}  // namespace contour::translate::test_util

#endif  // CONTOUR_TESTS_TRANSLATE_PROTO_TEST_UTIL_H_
