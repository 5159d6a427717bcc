// Small helpers for building Envoy protos: Any packing and durations.
#ifndef CONTOUR_TRANSLATE_PROTO_UTIL_H_
#define CONTOUR_TRANSLATE_PROTO_UTIL_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"

namespace contour::translate {

// Packs a message into an Any with the type.googleapis.com/ prefix Envoy expects.
google::protobuf::Any PackAny(const google::protobuf::Message& message);

google::protobuf::Duration ProtoDuration(absl::Duration duration);
google::protobuf::Duration ProtoSeconds(int64_t seconds);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_PROTO_UTIL_H_
