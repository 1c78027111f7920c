// The shared conformance vectors (conformance/vectors/<area>/*.json), loaded
// and checked for a C++ test: every implementation's own tests run them.
//
//   for (const ipckit::testing::VectorFile& f : ipckit::testing::LoadVectorFiles("frame")) {
//     for (const auto& c : f.doc["cases"].GetArray()) Check(c);
//   }
#ifndef IPCKIT_CC_TESTING_VECTOR_FILES_H_
#define IPCKIT_CC_TESTING_VECTOR_FILES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace ipckit::testing {

struct VectorFile {
  std::string path;
  // An "ipckit-vectors" object, format_version 1, of the area asked for,
  // with a non-empty "cases" array.
  rapidjson::Document doc;
};

// conformance/vectors/<area>/*.json from the test's runfiles, in name order.
// A file that does not parse or break the schema above is a test failure
// (ADD_FAILURE, naming the file) and is left out; so is an area with no file.
std::vector<VectorFile> LoadVectorFiles(absl::string_view area);

}  // namespace ipckit::testing

#endif  // IPCKIT_CC_TESTING_VECTOR_FILES_H_
