#include "cc/file_channel/channel_file_readers.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/json/json.h"
#include "cc/json/writer.h"

namespace ipckit {
namespace {

constexpr absl::string_view kReaderPrefix = ".reader.";
constexpr absl::string_view kJsonSuffix = ".json";

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The document of a reader file; corrupt for anything but one JSON object.
absl::StatusOr<rapidjson::Document> LoadObject(absl::string_view text, absl::string_view label) {
  if (text.size() > kMaxReaderFileBytes) {
    return TooLargeError(absl::StrCat(label, ": ", text.size(), " bytes, over the limit ", kMaxReaderFileBytes));
  }
  json::LoadOptions options;
  options.max_depth = 4;
  absl::StatusOr<rapidjson::Document> doc = json::Loads(text, options);
  if (!doc.ok()) return CorruptError(absl::StrCat(label, ": ", doc.status().message()));
  if (!doc->IsObject()) return CorruptError(absl::StrCat(label, ": not a JSON object"));
  return doc;
}

absl::Status FieldError(absl::string_view label, absl::string_view where, absl::string_view expected) {
  return CorruptError(absl::StrCat(label, ": ", where, " must be ", expected));
}

std::string Text(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

}  // namespace

absl::Status ValidateReaderName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return InvalidArgumentError(absl::StrCat("reader name \"", absl::CEscape(name),
                                             "\" is not 1 to 64 characters of A-Z a-z 0-9 _ -"));
  }
  return absl::OkStatus();
}

std::string ChannelFileStem(absl::string_view channel_file_name) {
  absl::ConsumeSuffix(&channel_file_name, kJsonSuffix);
  return std::string(channel_file_name);
}

std::string ReaderCursorFileName(absl::string_view stem, absl::string_view name) {
  return absl::StrCat(kReaderPrefix, stem, ".", name, kJsonSuffix);
}

std::string ReaderLockFileName(absl::string_view stem, absl::string_view name) {
  return absl::StrCat(kReaderPrefix, stem, ".", name, ".lock");
}

std::string ClaimsFileName(absl::string_view stem) { return absl::StrCat(".claims.", stem, kJsonSuffix); }

std::optional<std::string> ReaderNameOfCursorFile(absl::string_view stem, absl::string_view file_name) {
  const std::string prefix = absl::StrCat(kReaderPrefix, stem, ".");
  if (!absl::ConsumePrefix(&file_name, prefix) || !absl::ConsumeSuffix(&file_name, kJsonSuffix)) {
    return std::nullopt;
  }
  if (!ValidateReaderName(file_name).ok()) return std::nullopt;
  return std::string(file_name);
}

std::string ComposeReaderCursor(const ReaderCursor& cursor) {
  json::OutputBuffer out;
  json::CompactWriter w(out);
  w.StartObject();
  w.Key("pos");
  w.Uint64(cursor.pos);
  w.Key("ids");
  w.StartArray();
  // Ids come from validated channel files, so they are valid UTF-8.
  for (const std::string& id : cursor.ids) w.String(id);
  w.EndArray();
  w.Key("updated");
  w.Uint64(cursor.updated_ms);
  w.EndObject();
  return absl::StrCat(absl::string_view(out.GetString(), out.GetSize()), "\n");
}

absl::StatusOr<ReaderCursor> ParseReaderCursor(absl::string_view text, absl::string_view label) {
  absl::StatusOr<rapidjson::Document> doc = LoadObject(text, label);
  if (!doc.ok()) return doc.status();
  ReaderCursor cursor;
  for (const char* key : {"pos", "updated"}) {
    auto it = doc->FindMember(key);
    if (it == doc->MemberEnd() || !it->value.IsUint64()) {
      return FieldError(label, absl::StrCat("\"", key, "\""), "an unsigned integer");
    }
    (absl::string_view(key) == "pos" ? cursor.pos : cursor.updated_ms) = it->value.GetUint64();
  }
  auto ids = doc->FindMember("ids");
  if (ids == doc->MemberEnd() || !ids->value.IsArray()) return FieldError(label, "\"ids\"", "an array of strings");
  for (const rapidjson::Value& id : ids->value.GetArray()) {
    if (!id.IsString()) return FieldError(label, "each of \"ids\"", "a string");
    cursor.ids.push_back(Text(id));
  }
  return cursor;
}

bool CursorExpired(const ReaderCursor& cursor, uint64_t now_ms, absl::Duration ttl) {
  const int64_t ttl_ms = absl::ToInt64Milliseconds(ttl);
  return cursor.updated_ms <= now_ms && now_ms - cursor.updated_ms >= static_cast<uint64_t>(std::max<int64_t>(0, ttl_ms));
}

std::string ComposeClaims(const Claims& claims) {
  json::OutputBuffer out;
  json::CompactWriter w(out);
  w.StartObject();
  for (const ClaimEntry& e : claims) {
    w.Key(e.request_id);
    w.StartObject();
    w.Key("reader");
    w.String(e.claim.reader);
    w.Key("pid");
    w.Uint64(e.claim.pid);
    w.Key("at");
    w.Uint64(e.claim.at_ms);
    w.EndObject();
  }
  w.EndObject();
  return absl::StrCat(absl::string_view(out.GetString(), out.GetSize()), "\n");
}

absl::StatusOr<Claims> ParseClaims(absl::string_view text, absl::string_view label) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; })) {
    return Claims();
  }
  absl::StatusOr<rapidjson::Document> doc = LoadObject(text, label);
  if (!doc.ok()) return doc.status();
  Claims claims;
  absl::flat_hash_set<std::string> seen;
  for (const auto& member : doc->GetObject()) {
    ClaimEntry e;
    e.request_id = Text(member.name);
    const std::string where = absl::StrCat("the claim on \"", absl::CEscape(e.request_id), "\"");
    if (!seen.insert(e.request_id).second) return CorruptError(absl::StrCat(label, ": ", where, " appears twice"));
    const rapidjson::Value& v = member.value;
    if (!v.IsObject()) return FieldError(label, where, "an object");
    auto reader = v.FindMember("reader");
    auto pid = v.FindMember("pid");
    auto at = v.FindMember("at");
    if (reader == v.MemberEnd() || !reader->value.IsString() || pid == v.MemberEnd() || !pid->value.IsUint() ||
        at == v.MemberEnd() || !at->value.IsUint64()) {
      return FieldError(label, where, "{\"reader\":<string>,\"pid\":<u32>,\"at\":<u64>}");
    }
    e.claim.reader = Text(reader->value);
    e.claim.pid = pid->value.GetUint();
    e.claim.at_ms = at->value.GetUint64();
    claims.push_back(std::move(e));
  }
  return claims;
}

absl::string_view ClaimOutcomeName(ClaimOutcome outcome) {
  switch (outcome) {
    case ClaimOutcome::kClaimed: return "claimed";
    case ClaimOutcome::kAnswered: return "answered";
    case ClaimOutcome::kClaimedByOther: return "claimed_by_other";
  }
  return "?";
}

ClaimDecision DecideClaim(absl::string_view request_id, const Claims& claims,
                          const std::vector<std::string>& request_ids,
                          const std::vector<ScannedMessage>& reply_file, const Claim& mine,
                          const std::function<bool(const Claim&)>& alive) {
  ClaimDecision d;
  for (const ScannedMessage& m : reply_file) {
    if (m.message.type == MessageType::kResponse && m.message.reply_to && *m.message.reply_to == request_id) {
      d.outcome = ClaimOutcome::kAnswered;
      return d;
    }
  }
  for (const ClaimEntry& e : claims) {
    if (e.request_id != request_id) continue;
    // A name is open in one instance at a time, so a claim under our name is
    // ours even from an earlier process (a restart); an anonymous one is ours
    // by pid.
    const bool ours = mine.reader.empty() ? e.claim.reader.empty() && e.claim.pid == mine.pid
                                          : e.claim.reader == mine.reader;
    if (!ours && alive(e.claim)) {
      d.outcome = ClaimOutcome::kClaimedByOther;
      d.holder = e.claim;
      return d;
    }
  }
  // C4: claims on requests no longer in the request file go with them.
  const absl::flat_hash_set<absl::string_view> present(request_ids.begin(), request_ids.end());
  for (const ClaimEntry& e : claims) {
    if (e.request_id != request_id && present.contains(e.request_id)) d.claims.push_back(e);
  }
  d.claims.push_back(ClaimEntry{std::string(request_id), mine});
  return d;
}

}  // namespace ipckit
