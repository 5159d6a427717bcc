// The ClusterLoadAssignments being served, as an immutable value that an Endpoints change copies
// cheaply. A whole-map copy per change cost as much as the cluster count (10,000 names copied to
// change one); here a value is a base map shared between versions plus the changes made since
// (the overlay, where a null resource marks a name removed from the base). A change copies the
// overlay only; once the overlay outgrows about the square root of the base it is folded into a
// new base, so a change costs O(√n) amortized instead of O(n).
#ifndef CONTOUR_XDS_SERVED_ENDPOINTS_H_
#define CONTOUR_XDS_SERVED_ENDPOINTS_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "xds/endpoint_table.h"
#include "xds/resource.h"

namespace contour::xds {

class ServedEndpoints {
 public:
  // Empty. `min_fold` is the overlay size that is never folded (tests make it small).
  explicit ServedEndpoints(size_t min_fold = 64);

  // A new value with `changes` applied; this one stays as it is (streams may still read it).
  ServedEndpoints With(const EndpointChanges& changes) const;

  // The assignment named `name`, or null.
  ResourcePtr Find(const std::string& name) const;

  // Calls visit(name, assignment) for every assignment, in name order.
  void ForEach(const std::function<void(const std::string&, const ResourcePtr&)>& visit) const;

  size_t overlay_size() const { return overlay_->size(); }

 private:
  size_t min_fold_;
  std::shared_ptr<const ResourceMap> base_;
  std::shared_ptr<const ResourceMap> overlay_;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_SERVED_ENDPOINTS_H_
