// token.cc — RFC 9577/9578 structures for token type 0x0002 and issuance.
#include "yesno/token.h"

#include <algorithm>

#include "yesno/wire.h"

namespace yesno {
namespace {

Error Malformed(const char* what) { return MakeError(ErrorCode::kMalformedInput, what); }

constexpr BlindRsaVariant kTokenVariant = BlindRsaVariant::kSha384PssDeterministic;

}  // namespace

Result<TokenChallenge> ParseTokenChallenge(ByteView in) {
  wire::Reader r(in);
  TokenChallenge c;
  if (!r.ReadU16(c.token_type) || !r.ReadU16Prefixed(c.issuer_name) || !r.ReadU8Prefixed(c.redemption_context) ||
      !r.ReadU16Prefixed(c.origin_info) || !r.empty()) {
    return Malformed("TokenChallenge: bad length");
  }
  if (c.token_type != kTokenTypeBlindRsa && c.token_type != kTokenTypeVoprf) return Malformed("TokenChallenge: unknown token type");
  if (c.issuer_name.empty()) return Malformed("TokenChallenge: empty issuer_name");
  if (!c.redemption_context.empty() && c.redemption_context.size() != kRedemptionContextBytes) {
    return Malformed("TokenChallenge: redemption_context must be 0 or 32 bytes");
  }
  return c;
}

Result<Bytes> SerializeTokenChallenge(const TokenChallenge& c) {
  if (c.token_type != kTokenTypeBlindRsa && c.token_type != kTokenTypeVoprf) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenChallenge: unknown token type");
  }
  if (c.issuer_name.empty() || (!c.redemption_context.empty() && c.redemption_context.size() != kRedemptionContextBytes)) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenChallenge: bad issuer_name or redemption_context");
  }
  wire::Writer w;
  w.WriteU16(c.token_type);
  if (!w.WriteU16Prefixed(c.issuer_name) || !w.WriteU8Prefixed(c.redemption_context) ||
      !w.WriteU16Prefixed(c.origin_info)) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenChallenge: field too long");
  }
  return w.Take();
}

Bytes ChallengeDigest(ByteView serialized_challenge) { return Sha256(serialized_challenge); }

Result<Bytes> CrossOriginChallenge(std::string_view issuer_name) {
  TokenChallenge c;
  c.token_type = kTokenTypeBlindRsa;
  c.issuer_name = ToBytes(issuer_name);
  return SerializeTokenChallenge(c);
}

Result<TokenRequest> ParseTokenRequest(ByteView in) {
  wire::Reader r(in);
  TokenRequest req;
  if (!r.ReadU16(req.token_type) || req.token_type != kTokenTypeBlindRsa || !r.ReadU8(req.truncated_token_key_id) ||
      !r.ReadBytes(kBlindRsaNk, req.blinded_msg) || !r.empty()) {
    return Malformed("TokenRequest: bad length or type");
  }
  return req;
}

Result<Bytes> SerializeTokenRequest(const TokenRequest& req) {
  if (req.token_type != kTokenTypeBlindRsa || req.blinded_msg.size() != kBlindRsaNk) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenRequest: bad type or blinded_msg size");
  }
  wire::Writer w;
  w.WriteU16(req.token_type);
  w.WriteU8(req.truncated_token_key_id);
  w.WriteBytes(req.blinded_msg);
  return w.Take();
}

Result<TokenResponse> ParseTokenResponse(ByteView in) {
  if (in.size() != kBlindRsaNk) return Malformed("TokenResponse: bad length");
  return TokenResponse{Bytes(in.begin(), in.end())};
}

Result<Bytes> SerializeTokenResponse(const TokenResponse& resp) {
  if (resp.blind_sig.size() != kBlindRsaNk) return MakeError(ErrorCode::kInvalidArgument, "TokenResponse: bad size");
  return resp.blind_sig;
}

Result<Token> ParseToken(ByteView in) {
  wire::Reader r(in);
  Token t;
  if (!r.ReadU16(t.token_type) || t.token_type != kTokenTypeBlindRsa || !r.ReadBytes(kNonceBytes, t.nonce) ||
      !r.ReadBytes(kDigestBytes, t.challenge_digest) || !r.ReadBytes(kTokenKeyIdBytes, t.token_key_id) ||
      !r.ReadBytes(kBlindRsaNk, t.authenticator) || !r.empty()) {
    return Malformed("Token: bad length or type");
  }
  return t;
}

Result<Bytes> SerializeToken(const Token& t) {
  if (t.token_type != kTokenTypeBlindRsa || t.nonce.size() != kNonceBytes || t.challenge_digest.size() != kDigestBytes ||
      t.token_key_id.size() != kTokenKeyIdBytes || t.authenticator.size() != kBlindRsaNk) {
    return MakeError(ErrorCode::kInvalidArgument, "Token: bad type or field size");
  }
  Bytes out = TokenAuthenticatorInput(t);
  out.insert(out.end(), t.authenticator.begin(), t.authenticator.end());
  return out;
}

Bytes TokenAuthenticatorInput(const Token& t) {
  wire::Writer w;
  w.WriteU16(t.token_type);
  w.WriteBytes(t.nonce);
  w.WriteBytes(t.challenge_digest);
  w.WriteBytes(t.token_key_id);
  return w.Take();
}

Result<TokenIssuance> BeginTokenIssuance(const RsaPublicKey& issuer_key, ByteView serialized_challenge, ByteView nonce,
                                         Rng& rng) {
  if (nonce.size() != kNonceBytes) return MakeError(ErrorCode::kInvalidArgument, "TokenIssuance: nonce must be 32 bytes");
  if (issuer_key.modulus_bytes() != kBlindRsaNk) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenIssuance: type 0x0002 needs an RSA-2048 key");
  }
  Token shell;
  shell.nonce = Bytes(nonce.begin(), nonce.end());
  shell.challenge_digest = ChallengeDigest(serialized_challenge);
  shell.token_key_id = issuer_key.KeyId();
  TokenIssuance issuance;
  issuance.token_input_ = TokenAuthenticatorInput(shell);
  auto blinded = BlindRsaBlind(issuer_key, kTokenVariant, issuance.token_input_, rng);
  if (!blinded.ok()) return blinded.error();
  issuance.request_.token_type = kTokenTypeBlindRsa;
  issuance.request_.truncated_token_key_id = issuer_key.KeyId().back();
  issuance.request_.blinded_msg = std::move(blinded->blinded_msg);
  issuance.inv_ = std::move(blinded->inv);
  return issuance;
}

Result<TokenResponse> SignTokenRequest(const RsaPrivateKey& key, const TokenRequest& request) {
  const RsaPublicKey& pub = key.public_key();
  if (request.token_type != kTokenTypeBlindRsa) return Malformed("TokenRequest: unsupported token type");
  if (request.truncated_token_key_id != pub.KeyId().back()) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenRequest: truncated key id does not match the key");
  }
  if (request.blinded_msg.size() != pub.modulus_bytes()) return Malformed("TokenRequest: blinded_msg has the wrong size");
  auto sig = BlindRsaBlindSign(key, request.blinded_msg);
  if (!sig.ok()) return sig.error();
  return TokenResponse{std::move(*sig)};
}

Result<Token> FinalizeToken(const RsaPublicKey& issuer_key, TokenIssuance& issuance, const TokenResponse& response) {
  if (issuance.consumed_) return MakeError(ErrorCode::kInvalidArgument, "TokenIssuance: already finalized");
  // The key id is public; a plain comparison is fine.
  const ByteView input_key_id = ByteView(issuance.token_input_).last(kTokenKeyIdBytes);
  if (!std::equal(input_key_id.begin(), input_key_id.end(), issuer_key.KeyId().begin(), issuer_key.KeyId().end())) {
    return MakeError(ErrorCode::kInvalidArgument, "TokenIssuance: finalized with another key");
  }
  issuance.consumed_ = true;
  auto sig = BlindRsaFinalize(issuer_key, kTokenVariant, issuance.token_input_, response.blind_sig, issuance.inv_);
  issuance.inv_.clear();
  if (!sig.ok()) return sig.error();
  Token t;
  wire::Reader r(issuance.token_input_);
  if (!r.ReadU16(t.token_type) || !r.ReadBytes(kNonceBytes, t.nonce) || !r.ReadBytes(kDigestBytes, t.challenge_digest) ||
      !r.ReadBytes(kTokenKeyIdBytes, t.token_key_id)) {
    return MakeError(ErrorCode::kInternal, "TokenIssuance: corrupt token input");
  }
  t.authenticator = std::move(*sig);
  return t;
}

Status VerifyToken(const RsaPublicKey& issuer_key, const Token& token) {
  if (token.token_type != kTokenTypeBlindRsa) return Malformed("Token: unsupported token type");
  if (token.token_key_id != issuer_key.KeyId()) {
    return MakeError(ErrorCode::kVerificationFailed, "Token: token_key_id does not match the key");
  }
  return BlindRsaVerify(issuer_key, kTokenVariant, TokenAuthenticatorInput(token), token.authenticator);
}

}  // namespace yesno
