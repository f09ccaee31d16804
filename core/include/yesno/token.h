// yesno/token.h — Privacy Pass structures (RFC 9577 §2, RFC 9578 §6) for the
// publicly verifiable token type 0x0002 (Blind RSA 2048, RSABSSA-SHA384-PSS-
// Deterministic), with strict parsers and their paired serializers.
//
// Every Parse* rejects truncation, trailing bytes and unknown token types with
// kMalformedInput; whatever parses re-serializes byte for byte.
#ifndef YESNO_TOKEN_H_
#define YESNO_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr uint16_t kTokenTypeVoprf = 0x0001;     // known to the parsers, not issued by yesno
inline constexpr uint16_t kTokenTypeBlindRsa = 0x0002;  // the type yesno issues
inline constexpr std::size_t kBlindRsaNk = 256;         // RSA-2048 modulus bytes
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kDigestBytes = 32;
inline constexpr std::size_t kTokenKeyIdBytes = 32;
inline constexpr std::size_t kTokenInputBytes = 2 + kNonceBytes + kDigestBytes + kTokenKeyIdBytes;  // 98
inline constexpr std::size_t kTokenBytes = kTokenInputBytes + kBlindRsaNk;                            // 354
inline constexpr std::size_t kRedemptionContextBytes = 32;

// TokenChallenge (RFC 9577 §2.1).
struct TokenChallenge {
  uint16_t token_type = kTokenTypeBlindRsa;
  Bytes issuer_name;         // 1..65535 bytes
  Bytes redemption_context;  // empty or 32 bytes
  Bytes origin_info;         // 0..65535 bytes
};
// ParseTokenChallenge accepts token types 0x0001 and 0x0002.
Result<TokenChallenge> ParseTokenChallenge(ByteView in);
Result<Bytes> SerializeTokenChallenge(const TokenChallenge& challenge);
// ChallengeDigest is SHA-256 of the serialized challenge.
Bytes ChallengeDigest(ByteView serialized_challenge);
// CrossOriginChallenge is the serialized TokenChallenge that yesno tokens are
// issued against (DESIGN §3): type 0x0002, `issuer_name`, empty redemption
// context and origin info, so tokens can be fetched ahead of time.
Result<Bytes> CrossOriginChallenge(std::string_view issuer_name);

// TokenRequest (RFC 9578 §6.1).
struct TokenRequest {
  uint16_t token_type = kTokenTypeBlindRsa;
  uint8_t truncated_token_key_id = 0;
  Bytes blinded_msg;  // kBlindRsaNk bytes
};
Result<TokenRequest> ParseTokenRequest(ByteView in);
Result<Bytes> SerializeTokenRequest(const TokenRequest& request);

// TokenResponse (RFC 9578 §6.2): the blind signature.
struct TokenResponse {
  Bytes blind_sig;  // kBlindRsaNk bytes
};
Result<TokenResponse> ParseTokenResponse(ByteView in);
Result<Bytes> SerializeTokenResponse(const TokenResponse& response);

// Token (RFC 9577 §2.2) of type 0x0002.
struct Token {
  uint16_t token_type = kTokenTypeBlindRsa;
  Bytes nonce;             // 32 bytes; in yesno, a fresh Ed25519 public key
  Bytes challenge_digest;  // 32 bytes
  Bytes token_key_id;      // 32 bytes
  Bytes authenticator;     // kBlindRsaNk bytes
};
Result<Token> ParseToken(ByteView in);
Result<Bytes> SerializeToken(const Token& token);
// TokenAuthenticatorInput is token_type || nonce || challenge_digest ||
// token_key_id (98 bytes): the message the authenticator signs.
Bytes TokenAuthenticatorInput(const Token& token);

// TokenIssuance is the client's state between TokenRequest and Token: the
// token input and the blinding inverse. WARNING: single use; it is consumed
// by FinalizeToken, and reusing or copying it would link tokens.
class TokenIssuance {
 public:
  TokenIssuance(TokenIssuance&&) = default;
  TokenIssuance& operator=(TokenIssuance&&) = default;
  TokenIssuance(const TokenIssuance&) = delete;
  TokenIssuance& operator=(const TokenIssuance&) = delete;

  const TokenRequest& request() const { return request_; }
  const Bytes& token_input() const { return token_input_; }

 private:
  TokenIssuance() = default;
  TokenRequest request_;
  Bytes token_input_;
  SecretBytes inv_;
  bool consumed_ = false;
  friend Result<TokenIssuance> BeginTokenIssuance(const RsaPublicKey&, ByteView, ByteView, Rng&);
  friend Result<Token> FinalizeToken(const RsaPublicKey&, TokenIssuance&, const TokenResponse&);
};

// BeginTokenIssuance builds token_input = 0x0002 || nonce || SHA-256(challenge)
// || token_key_id and blinds it for `issuer_key` (RFC 9578 §6.1). `nonce` must
// be 32 bytes. `rng` supplies the PSS salt and the blinding factor.
Result<TokenIssuance> BeginTokenIssuance(const RsaPublicKey& issuer_key, ByteView serialized_challenge,
                                         ByteView nonce, Rng& rng);

// SignTokenRequest is the issuer's step (RFC 9578 §6.2): it checks the type,
// the truncated key id against `key` and the size, then BlindSigns.
Result<TokenResponse> SignTokenRequest(const RsaPrivateKey& key, const TokenRequest& request);

// FinalizeToken unblinds the response, verifies the signature and returns the
// Token (RFC 9578 §6.3). Fails with kVerificationFailed on a bad response and
// kInvalidArgument if `issuance` was already consumed.
Result<Token> FinalizeToken(const RsaPublicKey& issuer_key, TokenIssuance& issuance, const TokenResponse& response);

// VerifyToken checks a token of type 0x0002 against `issuer_key`: type, key id
// and the RSA-PSS signature over TokenAuthenticatorInput.
Status VerifyToken(const RsaPublicKey& issuer_key, const Token& token);

}  // namespace yesno

#endif  // YESNO_TOKEN_H_
