#include "xds/served_endpoints.h"

#include <algorithm>
#include <cmath>

namespace contour::xds {

ServedEndpoints::ServedEndpoints(size_t min_fold)
    : min_fold_(min_fold),
      base_(std::make_shared<ResourceMap>()),
      overlay_(std::make_shared<ResourceMap>()) {}

ServedEndpoints ServedEndpoints::With(const EndpointChanges& changes) const {
  auto overlay = std::make_shared<ResourceMap>(*overlay_);
  for (const ResourcePtr& resource : changes.updated) (*overlay)[resource->name] = resource;
  for (const std::string& name : changes.removed) {
    if (base_->contains(name)) {
      (*overlay)[name] = nullptr;
    } else {
      overlay->erase(name);
    }
  }
  ServedEndpoints next = *this;
  const size_t fold_at =
      std::max(min_fold_, static_cast<size_t>(std::sqrt(static_cast<double>(base_->size()))));
  if (overlay->size() <= fold_at) {
    next.overlay_ = std::move(overlay);
    return next;
  }
  auto base = std::make_shared<ResourceMap>(*base_);
  for (const auto& [name, resource] : *overlay) {
    if (resource != nullptr) {
      (*base)[name] = resource;
    } else {
      base->erase(name);
    }
  }
  next.base_ = std::move(base);
  next.overlay_ = std::make_shared<ResourceMap>();
  return next;
}

ResourcePtr ServedEndpoints::Find(const std::string& name) const {
  if (auto changed = overlay_->find(name); changed != overlay_->end()) return changed->second;
  if (auto found = base_->find(name); found != base_->end()) return found->second;
  return nullptr;
}

void ServedEndpoints::ForEach(
    const std::function<void(const std::string&, const ResourcePtr&)>& visit) const {
  auto base = base_->begin();
  auto changed = overlay_->begin();
  while (base != base_->end() || changed != overlay_->end()) {
    if (changed == overlay_->end() || (base != base_->end() && base->first < changed->first)) {
      visit(base->first, base->second);
      ++base;
      continue;
    }
    if (base != base_->end() && base->first == changed->first) ++base;  // the overlay's wins
    if (changed->second != nullptr) visit(changed->first, changed->second);
    ++changed;
  }
}

}  // namespace contour::xds
