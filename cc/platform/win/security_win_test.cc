// security_win.h under Wine: the descriptors of what ipckit creates (channel
// directories and files, file mappings, the shared-memory creation mutex,
// pipes for children),
// read back with GetSecurityInfo, and the refusal of a directory or file that
// others may write or that another user owns (spec/windows.md, "Security").
//
// What Wine shows: kernel objects (mappings, mutexes, pipes) keep the
// descriptor exactly as given. Files and directories do not: Wine keeps their
// security as Unix mode bits and owner, so a descriptor reads back as the
// entries those imply, without the protected flag ("D:" for "D:P"), and an
// Everyone entry as the "other" bits allow (an opt-in file's Everyone entry
// reads back as read-only, 0x1200a9). So the exact file and directory
// descriptors are asserted on Windows, and under Wine the entries without
// "P" (owner-only) or the presence of an Everyone entry (opt-in).
#include "cc/platform/win/security_win.h"

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <sddl.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/pipe/anon_pipe.h"
#include "cc/platform/shm/internal/shm_object_state.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/win/pipe_win.h"
#include "cc/platform/win/shm_win.h"
#include "cc/platform/win/test_util_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

// Wine exports wine_get_version from ntdll; Windows does not.
bool UnderWine() {
  return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
}

std::string Me() {
  absl::StatusOr<std::string> me = CurrentUserSid();
  EXPECT_TRUE(me.ok()) << me.status();
  return me.ok() ? *me : "";
}

// The DACL part ("D:...") of `info`'s SDDL.
std::string DaclOf(const SecurityInfo& info) {
  const size_t d = info.sddl.find("D:");
  return d == std::string::npos ? "" : info.sddl.substr(d);
}

// A file or directory's security, opened without following a reparse point.
SecurityInfo FileSecurity(const std::string& path) {
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                               nullptr));
  EXPECT_TRUE(h.valid()) << path << ": " << ::GetLastError();
  absl::StatusOr<SecurityInfo> info = SecurityInfoOf(h.get(), SE_FILE_OBJECT, path);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *info : SecurityInfo{};
}

// Adds an allow entry for Everyone with `rights` (SDDL) to `path`'s DACL.
void GrantEveryone(const std::string& path, const char* rights) {
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), READ_CONTROL | WRITE_DAC,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  ASSERT_TRUE(h.valid()) << path << ": " << ::GetLastError();
  const std::string sddl = absl::StrCat(DaclOf(FileSecurity(path)), "(A;;", rights, ";;;WD)");
  PSECURITY_DESCRIPTOR sd = nullptr;
  ASSERT_TRUE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(Widen(sddl).c_str(), SDDL_REVISION_1, &sd,
                                                                     nullptr))
      << sddl;
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  ASSERT_TRUE(::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
  const DWORD err = ::SetSecurityInfo(h.get(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, dacl,
                                      nullptr);
  ::LocalFree(sd);
  ASSERT_EQ(err, static_cast<DWORD>(ERROR_SUCCESS));
}

// What a file or directory made with `sddl` reads back as here (see the top).
std::string AsStored(std::string sddl) {
  if (UnderWine()) absl::StrReplaceAll({{"D:P(", "D:("}}, &sddl);
  return sddl;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    ASSERT_NE(base, nullptr);
    root_ = absl::StrCat(base, "\\", UniqueTestName("sec"));
  }
  std::string root_;
};

TEST_F(SecurityTest, TheDescriptorsByteForByte) {
  const std::string me = "S-1-5-21-1-2-3-1001";
  EXPECT_EQ(*SecuritySddl(SecuredObject::kKernelObject, false, me), "D:P(A;;GA;;;SY)(A;;GA;;;S-1-5-21-1-2-3-1001)");
  EXPECT_EQ(*SecuritySddl(SecuredObject::kKernelObject, true, me),
            "D:P(A;;GA;;;SY)(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GRGW;;;WD)");
  EXPECT_EQ(*SecuritySddl(SecuredObject::kDirectory, false, me),
            "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;S-1-5-21-1-2-3-1001)");
  EXPECT_EQ(ErrorClassOf(SecuritySddl(SecuredObject::kDirectory, true, me).status()), kErrInvalidArgument);
  EXPECT_EQ(*SecuritySddl(SecuredObject::kFile, false, me), "D:P(A;;FA;;;SY)(A;;FA;;;S-1-5-21-1-2-3-1001)");
  EXPECT_EQ(*SecuritySddl(SecuredObject::kFile, true, me),
            "D:P(A;;FA;;;SY)(A;;FA;;;S-1-5-21-1-2-3-1001)(A;;FRFWSD;;;WD)");
  absl::StatusOr<Security> security = Security::For(SecuredObject::kFile);
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->sddl(), *SecuritySddl(SecuredObject::kFile, false, Me()));
  EXPECT_EQ(security->attributes()->bInheritHandle, FALSE);
}

TEST_F(SecurityTest, NewDirectoriesAndFilesAreOwnerOnly) {
  const std::string dir = root_ + "\\a\\channel";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  for (const std::string& d : {root_, root_ + "\\a", dir}) {  // every directory it made
    const SecurityInfo info = FileSecurity(d);
    EXPECT_TRUE(info.owned_by_me) << info.sddl;
    EXPECT_EQ(info.other_writer, "") << info.sddl;
    EXPECT_EQ(DaclOf(info), AsStored(*SecuritySddl(SecuredObject::kDirectory, false, Me()))) << d;
  }
  const std::string file = dir + "\\x.json";
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(file, kOpenReadWrite | kOpenCreate, 0600);
  ASSERT_TRUE(fd.ok()) << fd.status();
  const SecurityInfo info = FileSecurity(file);
  EXPECT_TRUE(info.owned_by_me) << info.sddl;
  EXPECT_EQ(DaclOf(info), AsStored(*SecuritySddl(SecuredObject::kFile, false, Me())));
  // It passes the check of an existing file.
  EXPECT_TRUE(OpenOwnedRegularFile(file, kOpenRead).ok());
  EXPECT_TRUE(CheckChannelDirectory(dir, /*allow_shared=*/false).ok());
}

// What the check adds to every open of an existing file (printed, not
// asserted): a GetSecurityInfo and the SID compares.
TEST_F(SecurityTest, TheCostOfCheckingAnOpen) {
  const std::string dir = root_ + "\\cost";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  const std::string file = dir + "\\x.json";
  ASSERT_TRUE(OpenOwnedRegularFile(file, kOpenWrite | kOpenCreate).ok());
  constexpr int kOpens = 200;
  for (bool shared : {false, true}) {  // checked, and skipped by the opt-in
    const absl::Time start = absl::Now();
    for (int i = 0; i < kOpens; ++i) ASSERT_TRUE(OpenOwnedRegularFile(file, kOpenRead, 0600, shared).ok());
    std::printf("%s open of an existing file: %.1f us\n", shared ? "unchecked (shared)" : "checked",
                absl::ToDoubleMicroseconds((absl::Now() - start) / kOpens));
  }
}

TEST_F(SecurityTest, ASharedDirectorysNewFilesLetEveryoneIn) {
  const std::string dir = root_ + "\\shared";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  const std::string file = dir + "\\x.json";
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(file, kOpenReadWrite | kOpenCreate, 0660, true);
  ASSERT_TRUE(fd.ok()) << fd.status();
  const SecurityInfo info = FileSecurity(file);
  if (UnderWine()) {
    EXPECT_TRUE(absl::StrContains(info.sddl, ";;;WD)")) << info.sddl;
  } else {
    EXPECT_EQ(DaclOf(info), *SecuritySddl(SecuredObject::kFile, true, Me()));
    EXPECT_EQ(info.other_writer, "S-1-1-0");
  }
}

TEST_F(SecurityTest, ADirectoryEveryoneMayWriteIsRefusedUnlessShared) {
  const std::string dir = root_ + "\\open";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  GrantEveryone(dir, "FA");
  EXPECT_EQ(FileSecurity(dir).other_writer, "S-1-1-0") << FileSecurity(dir).sddl;
  absl::Status refused = CheckChannelDirectory(dir, /*allow_shared=*/false);
  EXPECT_EQ(ErrorClassOf(refused), kErrPermissionDenied) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "writable by S-1-1-0")) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "allow_shared_directory")) << refused;
  EXPECT_TRUE(CheckChannelDirectory(dir, /*allow_shared=*/true).ok());
}

TEST_F(SecurityTest, AFileEveryoneMayWriteIsRefusedUnlessShared) {
  const std::string dir = root_ + "\\files";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  const std::string file = dir + "\\x.json";
  ASSERT_TRUE(OpenOwnedRegularFile(file, kOpenWrite | kOpenCreate).ok());
  GrantEveryone(file, "FA");
  absl::StatusOr<UniqueFd> refused = OpenOwnedRegularFile(file, kOpenRead);
  EXPECT_EQ(ErrorClassOf(refused.status()), kErrPermissionDenied) << refused.status();
  // kOpenCreate of an existing file is checked too.
  refused = OpenOwnedRegularFile(file, kOpenReadWrite | kOpenCreate);
  EXPECT_EQ(ErrorClassOf(refused.status()), kErrPermissionDenied) << refused.status();
  EXPECT_TRUE(OpenOwnedRegularFile(file, kOpenRead, 0600, /*allow_other_owner=*/true).ok());
}

// Another user's directory, and file in a directory of ours. Wine cannot set
// an owner (it keeps the Unix owner, and ignores OWNER_SECURITY_INFORMATION
// on files), so the test has Linux's chown do it: Wine runs a Unix program
// given by its Z: path. That needs root; on Windows it needs a second
// account, so there it is skipped.
TEST_F(SecurityTest, AnotherUsersDirectoryOrFileIsRefusedUnlessShared) {
  if (!UnderWine()) GTEST_SKIP() << "needs a second account on Windows";
  const std::string dir = root_ + "\\theirs";
  ASSERT_TRUE(MakePrivateDirs(dir).ok());
  const std::string file = root_ + "\\mine\\x.json";
  ASSERT_TRUE(MakePrivateDirs(root_ + "\\mine").ok());
  ASSERT_TRUE(OpenOwnedRegularFile(file, kOpenWrite | kOpenCreate).ok());
  // Z:\x\y is /x/y; the marker is renamed into place once chown has answered.
  std::string unix_root = root_.substr(2);
  absl::StrReplaceAll({{"\\", "/"}}, &unix_root);
  const std::string marker = root_ + "\\chowned";
  const std::wstring command = Widen(absl::StrCat(
      "Z:\\bin\\sh -c \"cd '", unix_root, "' && if chown 4321 theirs mine/x.json; then echo ok; else echo no; fi",
      " > chowned.tmp && mv chowned.tmp chowned\""));
  absl::StatusOr<UniqueHandle> child = StartProcess(command);
  ASSERT_TRUE(child.ok()) << child.status();
  // Wine cannot wait for a Unix child: wait for its marker instead, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string answer;
  while (answer.empty() && absl::Now() < deadline) {
    UniqueHandle m(::CreateFileW(Widen(marker).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0,
                                 nullptr));
    if (m.valid()) {
      char buf[8] = {};
      DWORD n = 0;
      ::ReadFile(m.get(), buf, sizeof(buf) - 1, &n, nullptr);
      answer.assign(buf, n);
    } else {
      ::Sleep(10);  // polling for the marker, bounded by the deadline
    }
  }
  ASSERT_FALSE(answer.empty()) << "sh did not answer within 30 s";
  if (answer != "ok\n") GTEST_SKIP() << "chown refused (not root)";
  EXPECT_FALSE(FileSecurity(dir).owned_by_me) << FileSecurity(dir).sddl;
  absl::Status refused = CheckChannelDirectory(dir, /*allow_shared=*/false);
  EXPECT_EQ(ErrorClassOf(refused), kErrPermissionDenied) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "not by this user")) << refused;
  EXPECT_TRUE(CheckChannelDirectory(dir, /*allow_shared=*/true).ok());

  absl::StatusOr<UniqueFd> theirs = OpenOwnedRegularFile(file, kOpenRead);
  EXPECT_EQ(ErrorClassOf(theirs.status()), kErrPermissionDenied) << theirs.status();
  EXPECT_TRUE(absl::StrContains(theirs.status().message(), "not by this user")) << theirs.status();
  EXPECT_TRUE(OpenOwnedRegularFile(file, kOpenRead, 0600, /*allow_other_owner=*/true).ok());
}

// Kernel objects keep their descriptor as given, under Wine too.
TEST_F(SecurityTest, MappingsAndTheirCreationMutexAreOwnerOnly) {
  const std::string expected = *SecuritySddl(SecuredObject::kKernelObject, false, Me());
  const std::string name = UniqueTestName("secmap");
  absl::StatusOr<FileMapping> mapping = FileMapping::Create(absl::StrCat("Local\\", name), 4096);
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  absl::StatusOr<SecurityInfo> info = SecurityInfoOf(mapping->handle(), SE_KERNEL_OBJECT);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(DaclOf(*info), expected);

  absl::StatusOr<ShmObject> object = ShmCreateExclusive(absl::StrCat("/", UniqueTestName("secobj")), 0600, 4096);
  ASSERT_TRUE(object.ok()) << object.status();
  info = SecurityInfoOf(object->state().lock.get(), SE_KERNEL_OBJECT);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(DaclOf(*info), expected);
  info = SecurityInfoOf(object->state().file.handle(), SE_KERNEL_OBJECT);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(DaclOf(*info), expected);
}

// A mapping another user made first (a squatter in this session) reads as
// theirs, so SharedMemory's owner check refuses it. Wine, unlike Windows
// (SeRestorePrivilege), lets a kernel object's owner be set to any SID, which
// stands in for the other user here.
TEST_F(SecurityTest, AMappingAnotherUserOwnsReadsAsTheirs) {
  const std::string name = UniqueTestName("secown");
  absl::StatusOr<ShmObject> mine = ShmCreateExclusive(absl::StrCat("/", name), 0600, 4096);
  ASSERT_TRUE(mine.ok()) << mine.status();
  absl::StatusOr<ObjectInfo> info = StatObject(*mine);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->owner_uid, 0u);  // CurrentUserId() on Windows
  if (!UnderWine()) GTEST_SKIP() << "setting another owner needs SeRestorePrivilege on Windows";
  PSID anonymous = nullptr;
  ASSERT_TRUE(::ConvertStringSidToSidW(L"S-1-5-7", &anonymous));
  const DWORD err = ::SetSecurityInfo(mine->state().file.handle(), SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION,
                                      anonymous, nullptr, nullptr, nullptr);
  ::LocalFree(anonymous);
  ASSERT_EQ(err, static_cast<DWORD>(ERROR_SUCCESS));
  absl::StatusOr<ShmObject> opened = ShmOpen(absl::StrCat("/", name), ShmAccess::kReadWrite);
  ASSERT_TRUE(opened.ok()) << opened.status();
  info = StatObject(*opened);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->owner_uid, kOtherUserId);
}

// The pipes made for a child process: AnonymousPipe's (its reader is the
// pipe's server end) and win::MakeChildPipe's.
TEST_F(SecurityTest, PipesForChildrenAreOwnerOnly) {
  const std::string expected = *SecuritySddl(SecuredObject::kKernelObject, false, Me());
  absl::StatusOr<AnonPipeEnds> anon = MakeAnonPipe();
  ASSERT_TRUE(anon.ok()) << anon.status();
  absl::StatusOr<SecurityInfo> info =
      SecurityInfoOf(::LongToHandle(anon->reader.get()), SE_KERNEL_OBJECT, "anonymous pipe");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(DaclOf(*info), expected);
  absl::StatusOr<ChildPipe> child = MakeChildPipe(PipeDirection::kToChild);
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::string> dacl = PipeDaclOf(child->ours);
  ASSERT_TRUE(dacl.ok()) << dacl.status();
  EXPECT_EQ(*dacl, expected);
}

}  // namespace
}  // namespace win
}  // namespace platform
}  // namespace ipckit
