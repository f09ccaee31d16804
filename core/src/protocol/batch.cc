// batch.cc — generic batched token requests and responses.
#include "yesno/batch.h"

#include "yesno/token.h"
#include "yesno/wire.h"

namespace yesno {
namespace {

constexpr std::size_t kVoprfP384ElementBytes = 49;
constexpr std::size_t kVoprfP384ProofBytes = 96;

Error Malformed(const char* what) { return MakeError(ErrorCode::kMalformedInput, what); }

bool PeekU16(ByteView in, uint16_t& out) {
  if (in.size() < 2) return false;
  out = static_cast<uint16_t>((in[0] << 8) | in[1]);
  return true;
}

}  // namespace

std::size_t TokenRequestSize(uint16_t token_type) {
  switch (token_type) {
    case kTokenTypeVoprf: return 2 + 1 + kVoprfP384ElementBytes;
    case kTokenTypeBlindRsa: return 2 + 1 + kBlindRsaNk;
    default: return 0;
  }
}

std::size_t TokenResponseSize(uint16_t token_type) {
  switch (token_type) {
    case kTokenTypeVoprf: return kVoprfP384ElementBytes + kVoprfP384ProofBytes;
    case kTokenTypeBlindRsa: return kBlindRsaNk;
    default: return 0;
  }
}

Result<GenericBatchTokenRequest> ParseGenericBatchTokenRequest(ByteView in) {
  wire::Reader outer(in);
  ByteView list;
  if (!outer.ReadVarintPrefixed(list) || !outer.empty()) return Malformed("GenericBatchTokenRequest: bad length");
  GenericBatchTokenRequest batch;
  wire::Reader r(list);
  while (!r.empty()) {
    GenericTokenRequest item;
    ByteView rest;
    if (!r.ReadView(r.remaining(), rest) || !PeekU16(rest, item.token_type)) {
      return Malformed("GenericBatchTokenRequest: truncated element");
    }
    const std::size_t size = TokenRequestSize(item.token_type);
    if (size == 0) return Malformed("GenericBatchTokenRequest: unknown token type");
    if (rest.size() < size) return Malformed("GenericBatchTokenRequest: truncated element");
    item.token_request.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(size));
    r = wire::Reader(rest.subspan(size));
    batch.requests.push_back(std::move(item));
  }
  return batch;
}

Result<Bytes> SerializeGenericBatchTokenRequest(const GenericBatchTokenRequest& batch) {
  wire::Writer list;
  for (const auto& item : batch.requests) {
    uint16_t type = 0;
    if (!PeekU16(item.token_request, type) || type != item.token_type ||
        item.token_request.size() != TokenRequestSize(item.token_type)) {
      return MakeError(ErrorCode::kInvalidArgument, "GenericTokenRequest: type and size disagree");
    }
    list.WriteBytes(item.token_request);
  }
  wire::Writer w;
  if (!w.WriteVarintPrefixed(list.bytes())) return MakeError(ErrorCode::kInvalidArgument, "batch too large");
  return w.Take();
}

Result<GenericBatchTokenResponse> ParseGenericBatchTokenResponse(ByteView in) {
  wire::Reader outer(in);
  ByteView list;
  if (!outer.ReadVarintPrefixed(list) || !outer.empty()) return Malformed("GenericBatchTokenResponse: bad length");
  GenericBatchTokenResponse batch;
  wire::Reader r(list);
  while (!r.empty()) {
    uint8_t present = 0;
    if (!r.ReadU8(present) || present > 1) return Malformed("OptionalTokenResponse: bad presence octet");
    if (present == 0) {
      batch.responses.emplace_back(std::nullopt);
      continue;
    }
    GenericTokenResponse item;
    if (!r.ReadU16(item.token_type)) return Malformed("GenericTokenResponse: truncated");
    const std::size_t size = TokenResponseSize(item.token_type);
    if (size == 0) return Malformed("GenericTokenResponse: unknown token type");
    if (!r.ReadBytes(size, item.token_response)) return Malformed("GenericTokenResponse: truncated");
    batch.responses.emplace_back(std::move(item));
  }
  return batch;
}

Result<Bytes> SerializeGenericBatchTokenResponse(const GenericBatchTokenResponse& batch) {
  wire::Writer list;
  for (const auto& item : batch.responses) {
    if (!item) {
      list.WriteU8(0);
      continue;
    }
    if (item->token_response.size() != TokenResponseSize(item->token_type) || TokenResponseSize(item->token_type) == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "GenericTokenResponse: type and size disagree");
    }
    list.WriteU8(1);
    list.WriteU16(item->token_type);
    list.WriteBytes(item->token_response);
  }
  wire::Writer w;
  if (!w.WriteVarintPrefixed(list.bytes())) return MakeError(ErrorCode::kInvalidArgument, "batch too large");
  return w.Take();
}

}  // namespace yesno
