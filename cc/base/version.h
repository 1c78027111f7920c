// The library version and the wire-format version, kept apart on purpose.
//
//   std::cout << "ipckit " << ipckit::kLibraryVersion
//             << " (format " << ipckit::kFormatVersion << ")\n";
//   // ipckit 0.2.0 (format 1)
//
// The format version names a revision of spec/ and changes only when bytes on
// the wire or on disk change (spec/conventions.md, "Versioning").
#ifndef IPCKIT_CC_BASE_VERSION_H_
#define IPCKIT_CC_BASE_VERSION_H_

namespace ipckit {

inline constexpr char kLibraryVersion[] = "0.2.0";
inline constexpr int kFormatVersion = 1;

}  // namespace ipckit

#endif  // IPCKIT_CC_BASE_VERSION_H_
