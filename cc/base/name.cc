#include "cc/base/name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"

namespace ipckit {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
         c == '.';
}

}  // namespace

absl::Status ValidateName(absl::string_view name) {
  if (name.empty()) return InvalidArgumentError("name is empty");
  if (name.size() > kMaxNameLength) {
    return InvalidArgumentError(absl::StrFormat(
        "name is %d bytes; the limit is %d", name.size(), kMaxNameLength));
  }
  if (name.front() == '.' || name.front() == '-') {
    return InvalidArgumentError(
        absl::StrFormat("name '%s' starts with '%c'", absl::CHexEscape(name), name.front()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      return InvalidArgumentError(absl::StrFormat(
          "name '%s' has a character outside [A-Za-z0-9._-] at byte %d",
          absl::CHexEscape(name), i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SocketPathFor(absl::string_view name) {
  if (!name.empty() && name.front() == '/') {
    if (name.size() > kMaxSocketPathLength) {
      return InvalidArgumentError(absl::StrFormat(
          "socket path is %d bytes; the limit is %d", name.size(), kMaxSocketPathLength));
    }
    if (name.find('\0') != absl::string_view::npos) {
      return InvalidArgumentError("socket path contains a NUL byte");
    }
    return std::string(name);
  }
  absl::Status valid = ValidateName(name);
  if (!valid.ok()) return valid;
  return absl::StrCat("/tmp/", name, ".sock");
}

absl::StatusOr<std::string> ShmObjectNameFor(absl::string_view name) {
  absl::Status valid = ValidateName(name);
  if (!valid.ok()) return valid;
  return absl::StrCat("/", name);
}

}  // namespace ipckit
