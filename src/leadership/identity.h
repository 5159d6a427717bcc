// Who a candidate is: a name unique among the replicas competing for one lock, stable for the
// life of the process. client-go's convention: the pod's name when the downward API gives it
// (POD_NAME), else the hostname with a random suffix, so that two processes on one host (or
// two containers sharing a hostname) never take each other for the holder.
#ifndef CONTOUR_LEADERSHIP_IDENTITY_H_
#define CONTOUR_LEADERSHIP_IDENTITY_H_

#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace contour::leadership {

// `pod_name` (the POD_NAME variable; unset or empty: not given), else "<hostname>_<uuid>" with
// a random version 4 UUID drawn from `random`; a bare UUID when the hostname is empty too.
std::string MakeIdentity(std::optional<std::string_view> pod_name, std::string_view hostname,
                         std::mt19937_64& random);

// MakeIdentity from this process's environment, hostname and a random seed: for the composition
// root, which hands the result to the lock.
std::string IdentityFromEnvironment();

}  // namespace contour::leadership

#endif  // CONTOUR_LEADERSHIP_IDENTITY_H_
