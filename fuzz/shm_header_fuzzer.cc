// Fuzzes the shared-memory segment header parser (cc/shm/shm_header.h).
// Input: 8 bytes of little-endian object size, then the object's first bytes.
// Invariants: a header that parses describes a layout inside the object, and
// building a header from the parsed fields gives back the same 64 bytes
// (every version-1 field is either taken from the fields or a constant that
// the parser insists on), which parse to the same fields.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "cc/shm/shm_header.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipckit::shm;
  if (size < 8) return 0;
  uint64_t object_size = 0;
  for (int i = 7; i >= 0; --i) object_size = object_size << 8 | data[i];
  absl::string_view head(reinterpret_cast<const char*>(data) + 8, size - 8);

  auto parsed = ParseHeader(head, object_size);
  if (!parsed.ok()) return 0;
  const HeaderFields& f = *parsed;
  IPCKIT_FUZZ_CHECK(head.size() >= kHeaderSize, "a parsed header was fully present");
  IPCKIT_FUZZ_CHECK(f.data_offset >= kHeaderSize && f.data_offset % kDataAlignment == 0,
                    "data starts aligned after the header");
  IPCKIT_FUZZ_CHECK(f.data_offset <= object_size && f.user_size <= object_size - f.data_offset,
                    "the user data lies inside the object");
  if (f.data_offset != kHeaderSize) return 0;  // a layout version 1 reads but does not write

  auto rebuilt = BuildHeader(f);
  IPCKIT_FUZZ_CHECK(rebuilt.ok(), "a parsed header's fields build");
  IPCKIT_FUZZ_CHECK(*rebuilt == head.substr(0, kHeaderSize), "build(parse(h)) == h");
  auto reparsed = ParseHeader(*rebuilt, object_size);
  IPCKIT_FUZZ_CHECK(reparsed.ok(), "a built header parses");
  IPCKIT_FUZZ_CHECK(reparsed->user_size == f.user_size && reparsed->checksum == f.checksum &&
                        reparsed->creator_pid == f.creator_pid &&
                        reparsed->creator_pid_namespace == f.creator_pid_namespace &&
                        reparsed->creator_start_time == f.creator_start_time &&
                        reparsed->creation_time_ns == f.creation_time_ns &&
                        reparsed->state == f.state,
                    "parse(build(f)) == f");
  return 0;
}
