// What the C++ testee's pieces share (conformance/cc/testee.cc and the live
// role groups in conformance/cc/roles_*.cc): the framed stdin/stdout protocol
// of conformance/protocol.md, request field readers, and the step runner of
// live roles. Private to conformance/cc.
//
//   IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
//   Ready();  // the role's object is open
//   results = RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) { ... });
#ifndef IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_COMMON_H_
#define IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_COMMON_H_

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace conformance {

using rapidjson::Document;
using rapidjson::Value;
using Alloc = Document::AllocatorType;

// The next request; nullopt at the end of stdin or on a request that is not
// a JSON object (the tester then sees the testee exit).
std::optional<Document> ReadRequest();

// Writes one framed answer; ends the process if the tester is gone.
void WriteAnswer(const Value& answer);

Value Str(absl::string_view s, Alloc& a);

// {"ok":false,"error":<class>,"message":<text>}
Document FailAnswer(const absl::Status& status);

absl::StatusOr<const Value*> Field(const Value& obj, const char* key);
absl::StatusOr<std::string> GetString(const Value& obj, const char* key);
// A number, or a string of decimal digits (the vectors' u64 fields).
absl::StatusOr<uint64_t> GetU64(const Value& obj, const char* key);
absl::StatusOr<std::string> GetHex(const Value& obj, const char* key);

// {"hex": <bytes as hex>}
Value HexResult(absl::string_view bytes, Alloc& a);

absl::Status UnknownStep(absl::string_view what);

// {"ok":true,"ready":true}: the role's object is open.
void Ready();

// Ends the process at once, as SIGKILL would: nothing is closed.
[[noreturn]] void DieNow();

// {"error":<class>,"message":<text>} as one step's result.
Value StepError(const absl::Status& status, Alloc& a);

// {"ok":true,"waiting":true}, then reads the tester's {"op":"continue"};
// false if stdin ended instead.
bool AwaitContinue();

// Runs `steps` through `step` (one call per step), handling "await" itself.
// Returns the results array; a failed step ends the script.
template <typename StepFn>
Value RunSteps(const Value& steps, Alloc& a, StepFn step) {
  Value results(rapidjson::kArrayType);
  for (const Value& s : steps.GetArray()) {
    absl::StatusOr<std::string> what = GetString(s, "do");
    if (what.ok() && *what == "await") {
      if (!AwaitContinue()) std::_Exit(0);  // the tester is gone
      results.PushBack(Value(), a);
      continue;
    }
    Value r;
    absl::Status status = what.ok() ? step(*what, s, r) : what.status();
    if (!status.ok()) {
      results.PushBack(StepError(status, a), a);
      break;
    }
    results.PushBack(r, a);
  }
  return results;
}

}  // namespace conformance
}  // namespace ipckit

#endif  // IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_COMMON_H_
