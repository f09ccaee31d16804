// yesno/batch.h — Generic Token Batch Issuance (draft-ietf-privacypass-
// batched-tokens §6): many TokenRequests, of any known type, in one message.
//
//   struct { GenericTokenRequest generic_token_requests<V>; } GenericBatchTokenRequest
//   struct { OptionalTokenResponse optional_token_responses<V>; } GenericBatchTokenResponse
//
// <V> is a QUIC varint length with minimal encoding. Each element starts with
// its 2-byte token type, which fixes its size; unknown types are malformed
// (the issuer answers 422).
#ifndef YESNO_BATCH_H_
#define YESNO_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/result.h"

namespace yesno {

inline constexpr char kMediaTypeTokenRequest[] = "application/private-token-request";
inline constexpr char kMediaTypeTokenResponse[] = "application/private-token-response";
inline constexpr char kMediaTypeBatchRequest[] = "application/private-token-generic-batch-request";
inline constexpr char kMediaTypeBatchResponse[] = "application/private-token-generic-batch-response";

// GenericTokenRequest is one TokenRequest, kept as its full serialization
// (which starts with its token type).
struct GenericTokenRequest {
  uint16_t token_type = 0;
  Bytes token_request;  // the whole TokenRequest, token_type included
};

// GenericTokenResponse is one TokenResponse with its token type in front.
struct GenericTokenResponse {
  uint16_t token_type = 0;
  Bytes token_response;  // the TokenResponse body (blind_sig for 0x0002)
};

struct GenericBatchTokenRequest {
  std::vector<GenericTokenRequest> requests;
};
struct GenericBatchTokenResponse {
  std::vector<std::optional<GenericTokenResponse>> responses;  // nullopt: refused
};

// TokenRequestSize / TokenResponseSize give the serialized sizes for the
// token types the parsers know (0x0001 VOPRF P-384, 0x0002 Blind RSA 2048),
// or 0 for an unknown type.
std::size_t TokenRequestSize(uint16_t token_type);
std::size_t TokenResponseSize(uint16_t token_type);

Result<GenericBatchTokenRequest> ParseGenericBatchTokenRequest(ByteView in);
Result<Bytes> SerializeGenericBatchTokenRequest(const GenericBatchTokenRequest& batch);
Result<GenericBatchTokenResponse> ParseGenericBatchTokenResponse(ByteView in);
Result<Bytes> SerializeGenericBatchTokenResponse(const GenericBatchTokenResponse& batch);

}  // namespace yesno

#endif  // YESNO_BATCH_H_
