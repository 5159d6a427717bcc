#include "translate/proto_util.h"

namespace contour::translate {

google::protobuf::Any PackAny(const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.PackFrom(message);
  return any;
}

google::protobuf::Duration ProtoDuration(absl::Duration duration) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
  return out;
}

google::protobuf::Duration ProtoSeconds(int64_t seconds) {
  google::protobuf::Duration out;
  out.set_seconds(seconds);
  return out;
}

}  // namespace contour::translate
