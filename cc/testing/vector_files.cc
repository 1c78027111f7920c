#include "cc/testing/vector_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ipckit::testing {

std::vector<VectorFile> LoadVectorFiles(absl::string_view area) {
  const std::string dir = absl::StrCat("conformance/vectors/", area);
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) ADD_FAILURE() << "no vector files in " << dir << (error ? ": " + error.message() : "");

  std::vector<VectorFile> files;
  for (std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    VectorFile file;
    file.doc.Parse(content.data(), content.size());
    const rapidjson::Document& d = file.doc;
    if (d.HasParseError()) {
      ADD_FAILURE() << path << ": invalid JSON at offset " << d.GetErrorOffset();
      continue;
    }
    const bool schema_ok = d.IsObject() && d.HasMember("format") && d["format"].IsString() &&
                           std::string(d["format"].GetString()) == "ipckit-vectors" &&
                           d.HasMember("format_version") && d["format_version"].IsInt() &&
                           d["format_version"].GetInt() == 1 && d.HasMember("area") && d["area"].IsString() &&
                           absl::string_view(d["area"].GetString()) == area && d.HasMember("cases") &&
                           d["cases"].IsArray() && !d["cases"].Empty();
    if (!schema_ok) {
      ADD_FAILURE() << path << ": not an ipckit-vectors file (format_version 1) of area '" << area
                    << "' with at least one case";
      continue;
    }
    file.path = std::move(path);
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace ipckit::testing
