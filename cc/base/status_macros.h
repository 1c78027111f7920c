// Early-return helpers for absl::Status and absl::StatusOr.
//
//   IPCKIT_RETURN_IF_ERROR(fd_io::WriteAll(fd, bytes, deadline));
//   IPCKIT_ASSIGN_OR_RETURN(auto header, shm::ParseHeader(bytes));
//   use(header);
#ifndef IPCKIT_CC_BASE_STATUS_MACROS_H_
#define IPCKIT_CC_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define IPCKIT_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::absl::Status ipckit_status_ = (expr);           \
    if (!ipckit_status_.ok()) return ipckit_status_;  \
  } while (0)

#define IPCKIT_STATUS_CONCAT_INNER_(a, b) a##b
#define IPCKIT_STATUS_CONCAT_(a, b) IPCKIT_STATUS_CONCAT_INNER_(a, b)

#define IPCKIT_ASSIGN_OR_RETURN(lhs, expr) \
  IPCKIT_ASSIGN_OR_RETURN_IMPL_(IPCKIT_STATUS_CONCAT_(ipckit_statusor_, __LINE__), lhs, expr)

#define IPCKIT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // IPCKIT_CC_BASE_STATUS_MACROS_H_
