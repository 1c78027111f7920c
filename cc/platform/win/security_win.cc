#include "cc/platform/win/security_win.h"

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <sddl.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

constexpr char kSystem[] = "S-1-5-18";
constexpr char kAdministrators[] = "S-1-5-32-544";

// Rights that let a holder change, replace, delete or re-permission a file or
// directory (a directory's FILE_ADD_FILE is FILE_WRITE_DATA, and so on).
constexpr ACCESS_MASK kWriteRights = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_DELETE_CHILD |
                                     FILE_WRITE_ATTRIBUTES | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_WRITE |
                                     GENERIC_ALL;

struct LocalFree {
  void operator()(void* p) const { ::LocalFree(p); }
};

std::string SidText(PSID sid) {
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(sid, &text)) return "?";
  std::unique_ptr<wchar_t, LocalFree> owned(text);
  return std::string(text, text + ::wcslen(text));  // SIDs are ASCII
}

// One TOKEN_INFORMATION_CLASS of `process`'s token, as raw bytes.
absl::StatusOr<std::vector<BYTE>> TokenInfo(HANDLE process, TOKEN_INFORMATION_CLASS cls, absl::string_view what) {
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(process, TOKEN_QUERY, &raw)) {
    return WindowsError(::GetLastError(), absl::StrCat("OpenProcessToken of ", what));
  }
  UniqueHandle token(raw);
  DWORD size = 0;
  ::GetTokenInformation(token.get(), cls, nullptr, 0, &size);
  std::vector<BYTE> info(size);
  if (size == 0 || !::GetTokenInformation(token.get(), cls, info.data(), size, &size)) {
    return WindowsError(::GetLastError(), absl::StrCat("GetTokenInformation of ", what));
  }
  return info;
}

// This process's user and default owner SIDs, read once (they never change).
struct Me {
  absl::Status status;
  std::string user;
  std::string default_owner;
};

const Me& CurrentMe() {
  static const Me* me = [] {
    auto* m = new Me;
    absl::StatusOr<std::vector<BYTE>> user = TokenInfo(::GetCurrentProcess(), TokenUser, "this process");
    absl::StatusOr<std::vector<BYTE>> owner = TokenInfo(::GetCurrentProcess(), TokenOwner, "this process");
    if (!user.ok() || !owner.ok()) {
      m->status = user.ok() ? owner.status() : user.status();
      return m;
    }
    m->user = SidText(reinterpret_cast<TOKEN_USER*>(user->data())->User.Sid);
    m->default_owner = SidText(reinterpret_cast<TOKEN_OWNER*>(owner->data())->Owner);
    return m;
  }();
  return *me;
}

bool IsMine(const std::string& sid) {
  const Me& me = CurrentMe();
  return sid == me.user || sid == me.default_owner;
}

// The first SID other than this user, SYSTEM and Administrators to which an
// allow entry of `dacl` that applies to the object itself grants a write
// right; "" if none.
std::string OtherWriter(PACL dacl) {
  if (dacl == nullptr) return "S-1-1-0 (no DACL: everyone has every right)";
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* raw = nullptr;
    if (!::GetAce(dacl, i, &raw)) return "?";
    const ACE_HEADER* header = static_cast<ACE_HEADER*>(raw);
    if (header->AceFlags & INHERIT_ONLY_ACE) continue;  // for children only
    if (header->AceType == ACCESS_DENIED_ACE_TYPE) continue;
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) {
      // Object and callback entries: not made by ipckit; judged unsafe.
      return absl::StrCat("(an entry of type ", header->AceType, ")");
    }
    const auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
    if ((ace->Mask & kWriteRights) == 0) continue;
    const std::string sid = SidText(const_cast<DWORD*>(&ace->SidStart));
    if (IsMine(sid) || sid == kSystem || sid == kAdministrators) continue;
    return sid;
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> SecuritySddl(SecuredObject kind, bool allow_other_users, absl::string_view user_sid) {
  switch (kind) {
    case SecuredObject::kKernelObject:
      return absl::StrCat("D:P(A;;GA;;;SY)(A;;GA;;;", user_sid, ")", allow_other_users ? "(A;;GRGW;;;WD)" : "");
    case SecuredObject::kDirectory:
      // A directory is never shared by its creator (spec/file_channel.md:
      // new directories are 0700 even for a shared channel).
      if (allow_other_users) return InvalidArgumentError("ipckit makes no directory other users may write");
      return absl::StrCat("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;", user_sid, ")");
    case SecuredObject::kFile:
      return absl::StrCat("D:P(A;;FA;;;SY)(A;;FA;;;", user_sid, ")", allow_other_users ? "(A;;FRFWSD;;;WD)" : "");
  }
  return InvalidArgumentError("unknown kind of object");
}

absl::StatusOr<Security> Security::For(SecuredObject kind, bool allow_other_users) {
  absl::StatusOr<std::string> user = CurrentUserSid();
  if (!user.ok()) return user.status();
  absl::StatusOr<std::string> sddl = SecuritySddl(kind, allow_other_users, *user);
  if (!sddl.ok()) return sddl.status();
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(Widen(*sddl).c_str(), SDDL_REVISION_1, &sd,
                                                              nullptr)) {
    return WindowsError(::GetLastError(), absl::StrCat("security descriptor ", *sddl));
  }
  Security security;
  security.descriptor_.reset(sd);
  security.attributes_.nLength = sizeof(security.attributes_);
  security.attributes_.lpSecurityDescriptor = sd;
  security.attributes_.bInheritHandle = FALSE;
  security.sddl_ = *std::move(sddl);
  return security;
}

absl::StatusOr<std::string> CurrentUserSid() {
  const Me& me = CurrentMe();
  if (!me.status.ok()) return me.status;
  return me.user;
}

absl::StatusOr<std::string> UserSidOf(HANDLE process, absl::string_view what) {
  absl::StatusOr<std::vector<BYTE>> user = TokenInfo(process, TokenUser, what);
  if (!user.ok()) return user.status();
  return SidText(reinterpret_cast<TOKEN_USER*>(user->data())->User.Sid);
}

namespace {

// SecurityInfoOf; the SDDL text only `with_text` (for messages and tests:
// the check of every file open does without it).
absl::StatusOr<SecurityInfo> Inspect(HANDLE handle, SE_OBJECT_TYPE type, absl::string_view what_object,
                                     bool with_text) {
  if (!CurrentMe().status.ok()) return CurrentMe().status;
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const SECURITY_INFORMATION what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
  const DWORD err = ::GetSecurityInfo(handle, type, what, &owner, nullptr, &dacl, nullptr, &sd);
  if (err != ERROR_SUCCESS) return WindowsError(err, absl::StrCat("security of ", what_object));
  std::unique_ptr<void, LocalFree> owned_sd(sd);
  SecurityInfo info;
  info.owner = owner != nullptr ? SidText(owner) : "(none)";
  info.owned_by_me = owner != nullptr && IsMine(info.owner);
  info.other_writer = OtherWriter(dacl);
  wchar_t* text = nullptr;
  if (with_text &&
      ::ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, what, &text, nullptr)) {
    std::unique_ptr<wchar_t, LocalFree> owned_text(text);
    info.sddl.assign(text, text + ::wcslen(text));  // SDDL is ASCII
  }
  return info;
}

}  // namespace

absl::StatusOr<SecurityInfo> SecurityInfoOf(HANDLE handle, SE_OBJECT_TYPE type, absl::string_view what) {
  return Inspect(handle, type, what, /*with_text=*/true);
}

absl::Status CheckPrivate(HANDLE handle, absl::string_view path, absl::string_view opt_in) {
  const std::string what = absl::StrCat("'", path, "'");
  absl::StatusOr<SecurityInfo> info = Inspect(handle, SE_FILE_OBJECT, what, /*with_text=*/false);
  if (!info.ok()) return info.status();
  if (info->owned_by_me && info->other_writer.empty()) return absl::OkStatus();
  info = Inspect(handle, SE_FILE_OBJECT, what, /*with_text=*/true);  // for the message
  if (!info.ok()) return info.status();
  std::string problem;
  if (!info->owned_by_me) {
    problem = absl::StrCat("is owned by ", info->owner, ", not by this user (", CurrentMe().user, ")");
  } else if (!info->other_writer.empty()) {
    problem = absl::StrCat("is writable by ", info->other_writer, " (", info->sddl, ")");
  } else {
    return absl::OkStatus();
  }
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied,
                   absl::StrCat("'", path, "' ", problem, "; refused (", opt_in, " permits it)"));
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
