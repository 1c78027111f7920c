// Fuzzes ipckit's JSON functions (cc/json/json.h).
// Input: any text.
// Invariants: whatever Loads accepts, Dumps and DumpsPretty write; both texts
// load back to the same value (compact output is a fixed point); and a load
// with a tighter depth limit fails only with too_large.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/json/json.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace json = ipckit::json;
  absl::string_view text(reinterpret_cast<const char*>(data), size);

  auto doc = json::Loads(text);
  json::LoadOptions shallow;
  shallow.max_depth = 4;
  auto shallow_doc = json::Loads(text, shallow);
  if (doc.ok() && !shallow_doc.ok()) {
    IPCKIT_FUZZ_CHECK(ipckit::ErrorClassOf(shallow_doc.status()) == "too_large",
                      "a text that loads fails a tighter depth limit only as too_large");
  }
  IPCKIT_FUZZ_CHECK(doc.ok() || !shallow_doc.ok(), "a tighter depth limit never accepts more");
  if (!doc.ok()) return 0;

  auto compact = json::Dumps(*doc);
  IPCKIT_FUZZ_CHECK(compact.ok(), "a loaded value dumps");
  auto pretty = json::DumpsPretty(*doc);
  IPCKIT_FUZZ_CHECK(pretty.ok(), "a loaded value dumps pretty");

  auto again = json::Loads(*compact);
  IPCKIT_FUZZ_CHECK(again.ok(), "Dumps output loads");
  auto compact_again = json::Dumps(*again);
  IPCKIT_FUZZ_CHECK(compact_again.ok() && *compact_again == *compact, "Dumps(Loads(Dumps(v))) == Dumps(v)");

  auto from_pretty = json::Loads(*pretty);
  IPCKIT_FUZZ_CHECK(from_pretty.ok(), "DumpsPretty output loads");
  auto compact_from_pretty = json::Dumps(*from_pretty);
  IPCKIT_FUZZ_CHECK(compact_from_pretty.ok() && *compact_from_pretty == *compact,
                    "pretty and compact texts hold the same value");
  return 0;
}
