#include "conformance/cc/internal/testee_common.h"

#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/channel/frame.h"
#include "cc/platform/io/std_streams.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ipckit {
namespace conformance {
namespace {

constexpr uint32_t kMaxRequestBytes = 64u << 20;

}  // namespace

std::optional<Document> ReadRequest() {
  char header[4];
  if (!ReadStdinExact(header, 4)) return std::nullopt;
  uint32_t length = frame::DecodeHeader(header);
  if (length > kMaxRequestBytes) return std::nullopt;
  std::string body(length, '\0');
  if (!ReadStdinExact(body.data(), length)) return std::nullopt;
  Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  return doc;
}

void WriteAnswer(const Value& answer) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  answer.Accept(writer);
  std::string out(4, '\0');
  frame::EncodeHeader(static_cast<uint32_t>(buffer.GetSize()), out.data());
  out.append(buffer.GetString(), buffer.GetSize());
  if (!WriteStdoutAll(out)) std::_Exit(1);  // the tester is gone
}

Value Str(absl::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

Document FailAnswer(const absl::Status& status) {
  Document d(rapidjson::kObjectType);
  d.AddMember("ok", false, d.GetAllocator());
  d.AddMember("error", Str(ErrorClassOf(status), d.GetAllocator()), d.GetAllocator());
  d.AddMember("message", Str(status.message(), d.GetAllocator()), d.GetAllocator());
  return d;
}

Value StepError(const absl::Status& status, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("error", Str(ErrorClassOf(status), a), a);
  v.AddMember("message", Str(status.message(), a), a);
  return v;
}

absl::StatusOr<const Value*> Field(const Value& obj, const char* key) {
  if (!obj.IsObject()) return InvalidArgumentError(absl::StrCat("not an object where '", key, "' was expected"));
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return InvalidArgumentError(absl::StrCat("request lacks '", key, "'"));
  return &it->value;
}

absl::StatusOr<std::string> GetString(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* v, Field(obj, key));
  if (!v->IsString()) return InvalidArgumentError(absl::StrCat("'", key, "' is not a string"));
  return std::string(v->GetString(), v->GetStringLength());
}

absl::StatusOr<uint64_t> GetU64(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* v, Field(obj, key));
  uint64_t n = 0;
  if (v->IsUint64()) return v->GetUint64();
  if (v->IsString() && absl::SimpleAtoi(absl::string_view(v->GetString(), v->GetStringLength()), &n)) {
    return n;
  }
  return InvalidArgumentError(absl::StrCat("'", key, "' is not an unsigned integer"));
}

absl::StatusOr<std::string> GetHex(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(std::string hex, GetString(obj, key));
  if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return InvalidArgumentError(absl::StrCat("'", key, "' is not hex"));
  }
  return absl::HexStringToBytes(hex);
}

Value HexResult(absl::string_view bytes, Alloc& a) {
  Value r(rapidjson::kObjectType);
  r.AddMember("hex", Str(absl::BytesToHexString(bytes), a), a);
  return r;
}

absl::Status UnknownStep(absl::string_view what) {
  return InvalidArgumentError(absl::StrCat("unknown step '", what, "'"));
}

void Ready() {
  Document d(rapidjson::kObjectType);
  d.AddMember("ok", true, d.GetAllocator());
  d.AddMember("ready", true, d.GetAllocator());
  WriteAnswer(d);
}

void DieNow() { std::_Exit(9); }

bool AwaitContinue() {
  Document waiting(rapidjson::kObjectType);
  waiting.AddMember("ok", true, waiting.GetAllocator());
  waiting.AddMember("waiting", true, waiting.GetAllocator());
  WriteAnswer(waiting);
  return ReadRequest().has_value();  // {"op":"continue"}
}

}  // namespace conformance
}  // namespace ipckit
