#include "cc/file_channel/channel_info_format.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/message.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace ipckit {
namespace {

// Picks the top-level "protocol", "version" and "format_version" out of a
// JSON object without building a DOM (and without deep recursion).
class InfoHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, InfoHandler> {
 public:
  bool Default() { return Value(Kind::kOther); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    string_ = std::string(s, n);
    return Value(Kind::kString);
  }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Uint64(uint64_t u) {
    number_ = u;
    return Value(Kind::kUnsigned);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == 1) key_ = std::string(s, n);
    return true;
  }
  bool StartObject() {
    if (depth_ == 1) Value(Kind::kOther);
    if (depth_ == 0) root_is_object_ = true;
    return ++depth_ <= kMaxJsonDepth;
  }
  bool EndObject(rapidjson::SizeType) { --depth_; return true; }
  bool StartArray() {
    if (depth_ == 1) Value(Kind::kOther);
    return ++depth_ <= kMaxJsonDepth;
  }
  bool EndArray(rapidjson::SizeType) { --depth_; return true; }

  bool root_is_object_ = false;
  std::optional<std::string> protocol_;
  std::optional<std::string> version_;
  bool version_not_string_ = false;
  bool has_format_version_ = false;
  std::optional<uint64_t> format_version_;
  std::optional<uint64_t> created_;

 private:
  enum class Kind { kString, kUnsigned, kOther };
  bool Value(Kind kind) {
    if (depth_ != 1) return true;
    if (key_ == "protocol") {
      protocol_ = kind == Kind::kString ? string_ : std::string("<not a string>");
    } else if (key_ == "version") {
      if (kind == Kind::kString) version_ = string_; else version_not_string_ = true;
    } else if (key_ == "format_version") {
      has_format_version_ = true;
      if (kind == Kind::kUnsigned) format_version_ = number_;
    } else if (key_ == "created" && kind == Kind::kUnsigned) {
      created_ = number_;
    }
    return true;
  }

  int depth_ = 0;
  std::string key_;
  std::string string_;
  uint64_t number_ = 0;
};

}  // namespace

std::string ComposeChannelInfo(uint64_t created_ms) {
  return absl::StrCat("{\"version\":\"1.0\",\"protocol\":\"file-ipc\",\"format_version\":",
                      kFileChannelFormatVersion, ",\"created\":", created_ms, "}\n");
}

absl::Status ValidateChannelInfo(absl::string_view text, absl::string_view label) {
  return ReadChannelInfo(text, label).status();
}

absl::StatusOr<ChannelInfoFields> ReadChannelInfo(absl::string_view text, absl::string_view label) {
  InfoHandler handler;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  rapidjson::ParseResult result =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream, handler);
  if (result.IsError() || stream.Tell() != text.size()) {
    if (result.Code() == rapidjson::kParseErrorTermination) {
      return TooLargeError(absl::StrCat(label, ": JSON nesting exceeds the depth limit ", kMaxJsonDepth));
    }
    return CorruptError(absl::StrCat(label, ": not valid JSON (at byte ", result.IsError() ? result.Offset() : stream.Tell(),
                                     result.IsError() ? absl::StrCat(": ", rapidjson::GetParseError_En(result.Code())) : "",
                                     ")"));
  }
  if (!handler.root_is_object_) return CorruptError(absl::StrCat(label, ": not a JSON object"));
  if (!handler.protocol_ || *handler.protocol_ != "file-ipc") {
    return UnsupportedVersionError(absl::StrCat(
        label, ": protocol is ", handler.protocol_ ? absl::StrCat("\"", absl::CHexEscape(*handler.protocol_), "\"") : "missing",
        ", expected \"file-ipc\""));
  }
  if (!handler.version_) {
    return UnsupportedVersionError(absl::StrCat(label, ": \"version\" is ",
                                                handler.version_not_string_ ? "not a string" : "missing",
                                                ", expected \"1.x\""));
  }
  absl::string_view version = *handler.version_;
  absl::string_view major = version.substr(0, version.find('.'));
  if (major != "1") {
    return UnsupportedVersionError(absl::StrCat(label, ": version \"", absl::CHexEscape(version),
                                                "\" is not supported, expected \"1.x\""));
  }
  if (handler.has_format_version_) {
    if (!handler.format_version_) {
      return CorruptError(absl::StrCat(label, ": \"format_version\" is not an unsigned integer"));
    }
    if (*handler.format_version_ > kFileChannelFormatVersion) {
      return UnsupportedVersionError(absl::StrCat(label, ": format_version ", *handler.format_version_,
                                                  " is newer than the supported ", kFileChannelFormatVersion));
    }
  }
  ChannelInfoFields fields;
  fields.format_version = handler.format_version_.value_or(0);
  fields.created_ms = handler.created_;
  return fields;
}

absl::StatusOr<std::optional<std::string>> RaiseChannelInfo(absl::string_view text, uint64_t now_ms,
                                                            absl::string_view label) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelInfoFields fields, ReadChannelInfo(text, label));
  if (fields.format_version == kFileChannelFormatVersion) return std::optional<std::string>();
  return std::optional<std::string>(ComposeChannelInfo(fields.created_ms.value_or(now_ms)));
}

}  // namespace ipckit
