// Two small macros for early return on error, since Debian's Abseil
// (20220623) has no ABSL_RETURN_IF_ERROR / ASSIGN_OR_RETURN.
#ifndef LAURA_STORAGE_STATUS_MACROS_H_
#define LAURA_STORAGE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the caller if not OK.
#define LAURA_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::absl::Status laura_status_ = (expr);          \
    if (!laura_status_.ok()) return laura_status_;  \
  } while (0)

#define LAURA_CONCAT_INNER_(a, b) a##b
#define LAURA_CONCAT_(a, b) LAURA_CONCAT_INNER_(a, b)

// `lhs` = value of the StatusOr `expr`, or returns its status if not OK.
// Example: LAURA_ASSIGN_OR_RETURN(auto file, env->OpenFile(path, mode));
#define LAURA_ASSIGN_OR_RETURN(lhs, expr) \
  LAURA_ASSIGN_OR_RETURN_IMPL_(LAURA_CONCAT_(laura_statusor_, __LINE__), lhs, expr)

#define LAURA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // LAURA_STORAGE_STATUS_MACROS_H_
