#include "token_command.h"

#include <iostream>
#include <memory>

#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/token.h"

namespace yesno::cli {
namespace {

// Invalid prints the verdict for a token that does not verify.
int Invalid(const Output& out, std::string_view reason) {
  out.Result(nlohmann::json{{"valid", false}, {"reason", reason}}, "invalid: " + std::string(reason));
  return kExitNo;
}

}  // namespace

int RunTokenVerify(const TokenVerifyArgs& args, const Output& out, std::istream& in) {
  auto key_bytes = Base64UrlDecode(args.key);
  if (!key_bytes.ok()) return out.Fail("--key is not base64url");
  auto key = RsaPublicKey::FromSpki(*key_bytes);
  if (!key.ok()) return out.Fail("--key is not a canonical id-RSASSA-PSS SPKI (SHA-384, MGF1-SHA-384, salt 48)");
  if (key->modulus_bits() != 2048) return out.Fail("--key must be RSA-2048 for token type 0x0002");
  Bytes challenge;
  if (!args.challenge.empty()) {
    auto c = Base64UrlDecode(args.challenge);
    if (!c.ok() || !ParseTokenChallenge(*c).ok()) return out.Fail("--challenge is not a base64url TokenChallenge");
    challenge = std::move(*c);
  }
  auto token_text = ReadArgument(args.token, in);
  if (!token_text.ok()) return out.Fail(token_text.error().message);

  auto token_bytes = Base64UrlDecode(*token_text);
  if (!token_bytes.ok()) return Invalid(out, "malformed (not base64url)");
  if (token_bytes->size() >= 2 && ((*token_bytes)[0] != 0x00 || (*token_bytes)[1] != 0x02)) {
    return Invalid(out, "wrong token type (only 0x0002 is supported)");
  }
  auto token = ParseToken(*token_bytes);
  if (!token.ok()) return Invalid(out, "malformed (a type-0x0002 token is exactly 354 bytes)");
  if (token->token_key_id != key->KeyId()) return Invalid(out, "token_key_id does not match --key");
  if (!challenge.empty() && token->challenge_digest != ChallengeDigest(challenge)) {
    return Invalid(out, "challenge_digest does not match --challenge");
  }
  if (!VerifyToken(*key, *token).ok()) return Invalid(out, "bad signature");
  out.Result(nlohmann::json{{"valid", true}}, "valid");
  return kExitYes;
}

int RunTokenInspect(const TokenInspectArgs& args, const Output& out, std::istream& in) {
  auto token_text = ReadArgument(args.token, in);
  if (!token_text.ok()) return out.Fail(token_text.error().message);
  auto token_bytes = Base64UrlDecode(*token_text);
  if (!token_bytes.ok()) return out.Fail("--token is not base64url");
  auto token = ParseToken(*token_bytes);
  if (!token.ok()) return out.Fail("--token is not a type-0x0002 token (354 bytes)");
  nlohmann::json doc = {
      {"token_type", token->token_type},
      {"nonce", HexEncode(token->nonce)},
      {"challenge_digest", HexEncode(token->challenge_digest)},
      {"token_key_id", HexEncode(token->token_key_id)},
      {"authenticator", HexEncode(token->authenticator)},
      {"length", token_bytes->size()},
  };
  // Inspect's output is JSON in both modes.
  *out.out << doc.dump(2) << "\n";
  return kExitYes;
}

void AddTokenCommands(CLI::App& app, const Output& out, std::function<int()>& run) {
  CLI::App* token = app.add_subcommand("token", "Developer tools for Privacy Pass type-0x0002 tokens");
  token->require_subcommand(1);

  auto verify_args = std::make_shared<TokenVerifyArgs>();
  CLI::App* verify = token->add_subcommand(
      "verify",
      "Check a token's signature, type and key id against an issuer key.\n"
      "Prints 'valid' (exit 0) or 'invalid: <reason>' (exit 1); bad arguments exit 2.");
  verify->add_option("--key", verify_args->key, "Issuer public key: id-RSASSA-PSS SPKI, base64url")->required();
  verify->add_option("--token", verify_args->token, "Token, base64url ('-' reads standard input)")->required();
  verify->add_option("--challenge", verify_args->challenge,
                     "TokenChallenge, base64url: also check the token was made for it");
  verify->callback([&out, &run, verify_args] {
    run = [&out, verify_args] { return RunTokenVerify(*verify_args, out, std::cin); };
  });

  auto inspect_args = std::make_shared<TokenInspectArgs>();
  CLI::App* inspect = token->add_subcommand("inspect", "Print a token's fields as JSON (no verification)");
  inspect->add_option("--token", inspect_args->token, "Token, base64url ('-' reads standard input)")->required();
  inspect->callback([&out, &run, inspect_args] {
    run = [&out, inspect_args] { return RunTokenInspect(*inspect_args, out, std::cin); };
  });
}

}  // namespace yesno::cli
