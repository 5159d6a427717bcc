// Early-return helpers for absl::Status and absl::StatusOr.
#ifndef CONTOUR_COMMON_STATUS_MACROS_H_
#define CONTOUR_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CONTOUR_CONCAT_INNER_(a, b) a##b
#define CONTOUR_CONCAT_(a, b) CONTOUR_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status contour_status_ = (expr);           \
    if (!contour_status_.ok()) return contour_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, StatusOrExpr());` declares x from the value, or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CONTOUR_ASSIGN_OR_RETURN_IMPL_(CONTOUR_CONCAT_(contour_statusor_, __LINE__), lhs, expr)

#define CONTOUR_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // CONTOUR_COMMON_STATUS_MACROS_H_
