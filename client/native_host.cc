#include "native_host.h"

#include <sodium.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string_view>
#include <unistd.h>

#include "browser_install.h"
#include "http_client.h"
#include "yesno/claims.h"

namespace yesno::cli {
namespace {

using nlohmann::json;

constexpr char kVersion[] = "0.1.0";
constexpr char kPassphraseRequired[] = "passphrase_required";

json HostError(std::string_view reason, std::string_view message) {
  return json{{"type", "error"}, {"reason", reason}, {"message", message}};
}

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

// WipeStrings overwrites every string in `doc` (it may hold a passphrase or
// a ticket) before the document is freed.
void WipeStrings(json& doc) {
  if (doc.is_string()) {
    Wipe(doc.get_ref<std::string&>());
  } else if (doc.is_structured()) {
    for (auto& v : doc) WipeStrings(v);
  }
}

// Captured is what one in-process wallet command printed.
struct Captured {
  int rc = kExitError;
  json doc;  // the last JSON line (null if none)
};

// RunCaptured runs `command` with an Env whose output goes to a buffer (JSON
// mode) and whose passphrase comes from `passphrase` (never a terminal).
template <typename Fn>
Captured RunCaptured(const Env& base, const SecretBytes* passphrase, Fn command) {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in;
  Env env = base;
  env.out.json = true;
  env.out.out = &out;
  env.out.err = &err;
  env.in = &in;
  env.progress = false;
  env.read_passphrase = [passphrase](bool) -> Result<SecretBytes> {
    if (passphrase == nullptr || passphrase->empty()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(kPassphraseRequired) + ": the wallet's passphrase is needed");
    }
    return SecretBytes(passphrase->begin(), passphrase->end());
  };
  Captured c;
  c.rc = command(env);
  std::istringstream lines(out.str());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    json parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) c.doc = std::move(parsed);
  }
  return c;
}

// WalletFailure turns a wallet command's {"error": ...} into a host error
// with a reason the extension can act on.
json WalletFailure(const Captured& c) {
  std::string message = "the wallet failed";
  if (c.doc.is_object() && c.doc.contains("error") && c.doc["error"].is_string()) message = c.doc["error"].get<std::string>();
  if (message.find(kPassphraseRequired) != std::string::npos) {
    return HostError("passphrase_required", "The wallet is locked with a passphrase: enter it to go on.");
  }
  if (message.find("wrong passphrase") != std::string::npos) {
    return HostError("wrong_passphrase", "That passphrase does not open the wallet. Nothing was shared.");
  }
  if (message.find("another site") != std::string::npos) return HostError("another_site", message);
  if (message.find("no wallet at") != std::string::npos) return HostError("no_wallet", message);
  return HostError("wallet_error", message);
}

// String reads a required (or optional, then "") string field.
bool String(const json& req, const char* name, std::string& out, bool required = true) {
  const auto it = req.find(name);
  if (it == req.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return required ? !out.empty() : true;
}

// PlainNo is the plain-language reason for a "no", for the consent window.
std::string PlainNo(const std::string& reason, const std::string& claim) {
  const std::string phrase = claim.empty() ? "this" : ClaimPhraseForPeople(claim);
  if (reason == "no_token") {
    return "Your wallet holds no proof that you are " + phrase +
           " right now (the issuer has not vouched for it, or the wallet has not been refilled yet). Nothing was shared.";
  }
  if (reason == "key_mismatch") {
    return "This site offered a key your wallet has not seen for this issuer, so it might be telling visitors apart. "
           "Nothing was shared.";
  }
  if (reason == "declined") return "Nothing was shared.";
  return "The site did not accept the proof (" + reason + ").";
}

json Status(const Env& env, const SecretBytes* pass) {
  Captured c = RunCaptured(env, pass, [](const Env& e) { return RunStatus(e); });
  if (c.rc != kExitYes || !c.doc.is_object() || !c.doc.contains("issuers")) return WalletFailure(c);
  json issuers = json::array();
  for (const auto& i : c.doc["issuers"]) {
    json claims = json::object();
    if (i.contains("claims") && i["claims"].is_object()) {
      for (const auto& [claim, v] : i["claims"].items()) {
        json entry{{"unused", v.value("unused", 0)}, {"spent", v.value("spent", 0)}};
        // Why a 0 is a 0 (no secrets: counts, a date, a yes/no).
        for (const char* field : {"vouched", "quota_limit", "quota_remaining", "more_from"}) {
          if (v.contains(field)) entry[field] = v[field];
        }
        claims[claim] = std::move(entry);
      }
    }
    issuers.push_back({{"name", i.value("name", "")}, {"claims", claims}});
  }
  return json{{"type", "status"}, {"issuers", issuers}};
}

// GateSession reads a gate request's `session` and `origin` into `args`
// (session, expected_origin), or says why not. The same check the wallet
// makes, here before anything else: a page on one site cannot hand the
// wallet another site's session.
std::optional<json> GateSession(const json& req, std::string_view what, ProveArgs& args) {
  std::string origin;
  if (!String(req, "session", args.session) || !String(req, "origin", origin)) {
    return HostError("bad_request",
                     std::string(what) + " needs `session` (the gate link) and `origin` (the tab's top-level origin)");
  }
  auto url = net::ParseUrl(args.session);
  if (!url.ok()) return HostError("bad_request", "the gate link is not a URL: " + url.error().message);
  if (url->Origin() != origin) {
    return HostError("another_site", "This request comes from another site (" + url->Origin() + ") than the page you are on (" +
                                         origin + "). Nothing was sent.");
  }
  args.expected_origin = origin;
  return std::nullopt;
}

json Prove(const Env& env, const json& req, const SecretBytes* pass) {
  ProveArgs args;
  if (auto bad = GateSession(req, "prove", args)) return *bad;
  if (!String(req, "claim", args.claim, false)) return HostError("bad_request", "`claim` must be a string");
  args.assume_yes = true;  // the extension's window asked
  Captured c = RunCaptured(env, pass, [&args](const Env& e) { return RunProve(e, args); });
  if (c.rc == kExitError || !c.doc.is_object() || !c.doc.contains("answer")) return WalletFailure(c);
  json reply = c.doc;
  reply["type"] = "prove";
  if (reply.value("answer", "") != "yes") {
    const std::string claim = reply.value("claim", args.claim);
    if (!reply.contains("message")) reply["message"] = PlainNo(reply.value("reason", "unknown"), claim);
  }
  return reply;
}

// Decline tells a gate session "no" the way `yesno prove --decline
// --session` does: it reads the session's challenge and posts one of its
// vnonces to …/decline (the verifier takes a decline only from whoever holds
// the challenge). Nothing else is sent; the wallet is not opened.
json Decline(const Env& env, const json& req) {
  ProveArgs args;
  if (auto bad = GateSession(req, "decline", args)) return *bad;
  args.decline = true;
  Captured c = RunCaptured(env, nullptr, [&args](const Env& e) { return RunProve(e, args); });
  if (c.rc == kExitError || !c.doc.is_object() || c.doc.value("reason", "") != "declined") return WalletFailure(c);
  // `told`: whether the verifier took the "no" (it refuses one for a session
  // answered or expired meanwhile); the window then does not claim it.
  return json{{"type", "decline"}, {"answer", "no"}, {"reason", "declined"}, {"told", c.doc.value("told", false)}};
}

json Authorize(const Env& env, const json& req, const SecretBytes* pass) {
  ProveArgs args;
  if (!String(req, "www_authenticate", args.www_authenticate) || !String(req, "url", args.target_url)) {
    return HostError("bad_request", "authorize needs `www_authenticate` (the 401's challenge) and `url`");
  }
  if (args.www_authenticate.size() > 16 * 1024) return HostError("bad_request", "the challenge is too long");
  args.assume_yes = true;
  Captured c = RunCaptured(env, pass, [&args](const Env& e) { return RunProve(e, args); });
  if (c.rc == kExitError || !c.doc.is_object()) return WalletFailure(c);
  json reply = c.doc;
  reply["type"] = "authorize";
  if (c.rc == kExitYes && reply.contains("authorization")) {
    reply["answer"] = "yes";
    return reply;
  }
  reply["answer"] = "no";
  if (!reply.contains("message")) reply["message"] = PlainNo(reply.value("reason", "unknown"), reply.value("claim", ""));
  return reply;
}

json Refill(const Env& env, const json& req, const SecretBytes* pass) {
  RefillArgs args;
  if (!String(req, "claim", args.claim, false)) return HostError("bad_request", "`claim` must be a string");
  const auto due = req.find("if_due");
  if (due != req.end() && !due->is_boolean()) return HostError("bad_request", "`if_due` must be true or false");
  args.if_due = due != req.end() && due->get<bool>();
  Captured c = RunCaptured(env, pass, [&args](const Env& e) { return RunRefill(e, args); });
  if (c.rc != kExitYes || !c.doc.is_object()) return WalletFailure(c);
  json reply = c.doc;
  reply["type"] = "refill";
  return reply;
}

json Enroll(const Env& env, const json& req, const SecretBytes* pass) {
  EnrollArgs args;
  if (!String(req, "issuer", args.issuer) || !String(req, "issuer_key", args.issuer_key) ||
      !String(req, "ticket", args.ticket)) {
    return HostError("bad_request", "enroll needs `issuer`, `issuer_key` and `ticket`");
  }
  if (args.ticket == "-") return HostError("bad_request", "`ticket` must be the ticket itself");
  Captured c = RunCaptured(env, pass, [&args](const Env& e) { return RunEnroll(e, args); });
  Wipe(args.ticket);
  if (c.rc != kExitYes || !c.doc.is_object()) return WalletFailure(c);
  json reply = c.doc;
  reply["type"] = "enroll";
  return reply;
}

json Info(const Env& env) {
  std::error_code ec;
  return json{{"type", "info"},
              {"version", kVersion},
              {"unlock", env.global.key_file.empty() ? "passphrase" : "key_file"},
              {"wallet_exists", std::filesystem::exists(env.WalletPath(), ec)}};
}

bool ReadExactly(std::istream& in, char* data, std::size_t n) {
  in.read(data, static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(in.gcount()) == n;
}

// Skip discards `n` bytes without keeping them; false if the input ends first.
bool Skip(std::istream& in, std::size_t n) {
  std::array<char, 4096> buf{};
  while (n > 0) {
    const std::size_t chunk = std::min(n, buf.size());
    if (!ReadExactly(in, buf.data(), chunk)) return false;
    n -= chunk;
  }
  return true;
}

void WriteFrame(std::ostream& out, const json& reply) {
  const std::string frame = EncodeHostFrame(reply);
  out.write(frame.data(), static_cast<std::streamsize>(frame.size()));
  out.flush();
}

}  // namespace

std::string ClaimPhraseForPeople(std::string_view claim) {
  if (auto n = AgeClaimThreshold(claim)) return "over " + std::to_string(*n);
  return "\u201c" + std::string(claim) + "\u201d";
}

json HandleHostRequest(const Env& env, std::string& request) {
  json req = json::parse(request, nullptr, false);
  Wipe(request);
  if (req.is_discarded()) return HostError("malformed_json", "the message is not valid UTF-8 JSON");
  struct WipeOnExit {
    json& doc;
    ~WipeOnExit() { WipeStrings(doc); }
  } wipe{req};
  if (!req.is_object()) return HostError("malformed_message", "the message must be a JSON object");
  const auto type = req.find("type");
  if (type == req.end() || !type->is_string()) return HostError("missing_type", "the message has no string `type`");
  SecretBytes passphrase;
  const SecretBytes* pass = nullptr;
  if (const auto p = req.find("passphrase"); p != req.end()) {
    if (!p->is_string()) return HostError("bad_request", "`passphrase` must be a string");
    const std::string& text = p->get_ref<const std::string&>();
    passphrase.assign(text.begin(), text.end());
    pass = &passphrase;
  }
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "info") return Info(env);
  if (t == "status") return Status(env, pass);
  if (t == "prove") return Prove(env, req, pass);
  if (t == "authorize") return Authorize(env, req, pass);
  if (t == "decline") return Decline(env, req);
  if (t == "refill") return Refill(env, req, pass);
  if (t == "enroll") return Enroll(env, req, pass);
  return HostError("unknown_type", "unknown message type");
}

std::string EncodeHostFrame(const json& reply) {
  std::string body = reply.dump(-1, ' ', false, json::error_handler_t::replace);
  if (body.size() > kMaxHostReplyBytes) body = HostError("reply_too_large", "the answer would exceed 1 MB").dump();
  const auto n = static_cast<uint32_t>(body.size());
  std::string frame;
  frame.reserve(4 + body.size());
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  frame += body;
  return frame;
}

int RunNativeHost(const Env& env, std::istream& in, std::ostream& out) {
  for (;;) {
    std::array<char, 4> len_bytes{};
    in.read(len_bytes.data(), 4);
    const auto got = in.gcount();
    if (got == 0) return kExitYes;  // the browser closed the pipe
    if (got != 4) {
      WriteFrame(out, HostError("truncated", "the message length was cut off"));
      return kExitError;
    }
    uint32_t len = 0;
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(len_bytes[static_cast<std::size_t>(i)]);
    if (len > kMaxHostRequestBytes) {
      if (!Skip(in, len)) {
        WriteFrame(out, HostError("truncated", "the message ended before its announced length"));
        return kExitError;
      }
      WriteFrame(out, HostError("oversized", "the message exceeds 64 KiB"));
      continue;
    }
    std::string request(len, '\0');
    if (!ReadExactly(in, request.data(), len)) {
      Wipe(request);
      WriteFrame(out, HostError("truncated", "the message ended before its announced length"));
      return kExitError;
    }
    WriteFrame(out, HandleHostRequest(env, request));
  }
}

void AddBrowserCommands(CLI::App& app, Env& env, std::function<int()>& run) {
  CLI::App* host = app.add_subcommand(
      "native-host",
      "Speak Chrome native messaging on stdin/stdout for the yesno browser extension\n"
      "(started by the browser through the manifest `yesno browser install` writes)");
  // Chrome passes the caller's origin (chrome-extension://ID/) and, on
  // Windows, --parent-window=N; Chrome itself enforces allowed_origins.
  auto caller = std::make_shared<std::vector<std::string>>();
  host->add_option("caller", *caller, "The calling extension's origin (given by the browser)");
  host->allow_extras();
  host->callback([&env, &run, caller] {
    run = [&env] {
      std::ios::sync_with_stdio(false);
      return RunNativeHost(env, std::cin, std::cout);
    };
  });
  AddBrowserInstallCommands(app, env, run);
}

}  // namespace yesno::cli
