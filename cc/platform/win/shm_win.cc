#include "cc/platform/win/shm_win.h"

#include <windows.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

// Maps all of `mapping` read-write; the view's size from VirtualQuery.
absl::Status MapWhole(HANDLE mapping, size_t size, const std::string& what, char** data, size_t* mapped) {
  void* view = ::MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, size);
  if (view == nullptr) return WindowsError(::GetLastError(), absl::StrCat("map ", what));
  MEMORY_BASIC_INFORMATION info{};
  if (::VirtualQuery(view, &info, sizeof(info)) == 0) {
    const DWORD err = ::GetLastError();
    ::UnmapViewOfFile(view);
    return WindowsError(err, absl::StrCat("size of ", what));
  }
  *data = static_cast<char*>(view);
  *mapped = size != 0 ? size : info.RegionSize;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FileMapping> FileMapping::Create(absl::string_view name, size_t size) {
  const std::string what = absl::StrCat("shared memory ", name);
  if (size == 0) return InvalidArgumentError(absl::StrCat(what, ": size 0"));
  const std::wstring wide = Widen(name);
  const uint64_t size64 = size;
  // Owner-only (Linux: mode 0600); the default DACL of a named object may
  // let other users in.
  absl::StatusOr<Security> security = Security::For(SecuredObject::kKernelObject);
  if (!security.ok()) return security.status();
  FileMapping m;
  m.mapping_.reset(::CreateFileMappingW(INVALID_HANDLE_VALUE, security->attributes(), PAGE_READWRITE,
                                        static_cast<DWORD>(size64 >> 32), static_cast<DWORD>(size64),
                                        wide.c_str()));
  if (!m.mapping_.valid()) return WindowsError(::GetLastError(), absl::StrCat("create ", what));
  // CreateFileMapping opens an existing mapping of that name instead, and says so.
  if (::GetLastError() == ERROR_ALREADY_EXISTS) return InUseError(absl::StrCat(what, ": exists"));
  absl::Status mapped = MapWhole(m.mapping_.get(), size, what, &m.data_, &m.size_);
  if (!mapped.ok()) return mapped;
  return m;
}

absl::StatusOr<FileMapping> FileMapping::Open(absl::string_view name) {
  const std::string what = absl::StrCat("shared memory ", name);
  const std::wstring wide = Widen(name);
  FileMapping m;
  m.mapping_.reset(::OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wide.c_str()));
  if (!m.mapping_.valid()) return WindowsError(::GetLastError(), absl::StrCat("open ", what));
  absl::Status mapped = MapWhole(m.mapping_.get(), 0, what, &m.data_, &m.size_);
  if (!mapped.ok()) return mapped;
  return m;
}

FileMapping::FileMapping(FileMapping&& other) noexcept
    : mapping_(std::move(other.mapping_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

FileMapping& FileMapping::operator=(FileMapping&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::UnmapViewOfFile(data_);
    mapping_ = std::move(other.mapping_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

FileMapping::~FileMapping() {
  if (data_ != nullptr) ::UnmapViewOfFile(data_);
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
