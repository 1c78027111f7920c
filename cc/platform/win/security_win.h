// Who may reach what ipckit creates on Windows (spec/windows.md, "Security"):
// the one place that builds the security descriptor of every named pipe,
// directory, file, file mapping and mutex ipckit makes, and that judges the
// security of a directory or file someone else may have made.
//
//   IPCKIT_ASSIGN_OR_RETURN(win::Security security, win::Security::For(win::SecuredObject::kDirectory));
//   ::CreateDirectoryW(path.c_str(), security.attributes());
//   ...
//   IPCKIT_ASSIGN_OR_RETURN(win::SecurityInfo info, win::SecurityInfoOf(handle, SE_FILE_OBJECT));
//   if (!info.owned_by_me || !info.other_writer.empty()) { /* refuse */ }
//
// Every descriptor is owner-only and protected (nothing inherited from a
// parent directory): full access for this user and SYSTEM, nobody else, the
// Windows form of mode 0700/0600. The caller's opt-in (allow_other_users, a
// shared directory's files) adds one Everyone entry.
#ifndef IPCKIT_CC_PLATFORM_WIN_SECURITY_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_SECURITY_WIN_H_

#include <windows.h>
// After windows.h:
#include <aclapi.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace platform {
namespace win {

// What a descriptor is for: the rights are spelled per kind so that Windows
// stores them as given (a generic right on an inheritable directory entry
// would be split in two).
enum class SecuredObject {
  kKernelObject,  // named pipe, file mapping, mutex: GA; opt-in Everyone GRGW
  kDirectory,     // FA, inherited by what is made inside (OICI); no opt-in
  kFile,          // FA; opt-in Everyone FRFWSD (read, write, replace)
};

// The SDDL of the descriptor For() builds, for the user SID `user_sid`.
// invalid_argument for a directory with `allow_other_users`.
absl::StatusOr<std::string> SecuritySddl(SecuredObject kind, bool allow_other_users, absl::string_view user_sid);

// A security descriptor and the SECURITY_ATTRIBUTES that carry it (handles
// made with it are not inheritable).
class Security {
 public:
  static absl::StatusOr<Security> For(SecuredObject kind, bool allow_other_users = false);

  Security(Security&&) noexcept = default;
  Security& operator=(Security&&) noexcept = default;

  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }
  const std::string& sddl() const { return sddl_; }

 private:
  Security() = default;
  struct LocalFreeDeleter {
    void operator()(void* p) const { ::LocalFree(p); }
  };
  std::unique_ptr<void, LocalFreeDeleter> descriptor_;
  SECURITY_ATTRIBUTES attributes_{};
  std::string sddl_;
};

// This process's user SID as text ("S-1-5-21-..."), read once.
absl::StatusOr<std::string> CurrentUserSid();
// The user SID of `process`'s token (PROCESS_QUERY_LIMITED_INFORMATION).
absl::StatusOr<std::string> UserSidOf(HANDLE process, absl::string_view what);

// What an existing object's owner and DACL allow.
struct SecurityInfo {
  std::string owner;          // the owner SID as text
  bool owned_by_me = false;   // this user, or this token's default owner (an elevated administrator's objects
                              // belong to Administrators)
  std::string other_writer;   // a SID other than this user, its default owner, SYSTEM and Administrators that an
                              // allow entry grants a write, delete or re-permission right to; "WD" (Everyone) for
                              // a missing DACL; "" if none
  std::string sddl;           // owner and DACL, for messages and tests
};

// The owner and DACL of `handle` (opened with READ_CONTROL); `what` names it
// in an error.
absl::StatusOr<SecurityInfo> SecurityInfoOf(HANDLE handle, SE_OBJECT_TYPE type, absl::string_view what = "object");

// permission_denied naming `path` unless `handle`'s owner is this user and no
// one else may write it; `opt_in` names the option that lifts the check.
absl::Status CheckPrivate(HANDLE handle, absl::string_view path, absl::string_view opt_in);

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_SECURITY_WIN_H_
