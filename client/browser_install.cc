#include "browser_install.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "files.h"
#include "native_host.h"

#ifndef YESNO_EXTENSION_SOURCE_DIR
#define YESNO_EXTENSION_SOURCE_DIR ""
#endif

namespace yesno::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ConfigHome() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return xdg;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config";
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

// ShellQuote single-quotes `s` for /bin/sh ('\'' for each quote).
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string ThisProgram() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("yesno") : p.string();
}

// ExtensionDir is the unpacked extension to load: the installed copy next to
// the program (../share/yesno/browser-extension) or the source tree's.
std::string ExtensionDir(const std::string& program) {
  std::error_code ec;
  const fs::path installed = fs::path(program).parent_path().parent_path() / "share/yesno/browser-extension";
  if (fs::exists(installed / "manifest.json", ec)) return installed.lexically_normal().string();
  return YESNO_EXTENSION_SOURCE_DIR;
}

std::string ManifestPath(const std::string& dir) { return dir + "/" + kNativeHostName + ".json"; }
std::string WrapperPath(const std::string& dir) { return dir + "/" + kNativeHostName + "-host.sh"; }

}  // namespace

Result<std::string> NativeHostDir(const BrowserInstallArgs& args) {
  if (args.browser != "chromium" && args.browser != "chrome") {
    return MakeError(ErrorCode::kInvalidArgument, "--browser must be chromium or chrome");
  }
  // With --user-data-dir, Chromium reads host manifests from the profile
  // directory, not from ~/.config.
  if (!args.user_data_dir.empty()) return Absolute(args.user_data_dir) + "/NativeMessagingHosts";
  return ConfigHome() + (args.browser == "chrome" ? "/google-chrome" : "/chromium") + "/NativeMessagingHosts";
}

std::string HostManifestJson(const std::string& wrapper) {
  return json{{"name", kNativeHostName},
              {"description", "yesno wallet: proves one yes/no fact for the yesno browser extension"},
              {"path", wrapper},
              {"type", "stdio"},
              {"allowed_origins", json::array({std::string("chrome-extension://") + kExtensionId + "/"})}}
             .dump(2) + "\n";
}

int RunBrowserInstall(const Env& env, const BrowserInstallArgs& args) {
  auto dir = NativeHostDir(args);
  if (!dir.ok()) return env.out.Fail(dir.error().message);
  const std::string program = args.host_program.empty() ? ThisProgram() : Absolute(args.host_program);
  const std::string wallet = Absolute(env.WalletPath());
  std::error_code ec;
  fs::create_directories(*dir, ec);
  if (ec) return env.out.Fail("cannot create " + *dir + ": " + ec.message());
  // Chrome starts the host with only the caller's origin as argument, so a
  // small script carries the wallet's options (paths only, no secret).
  std::string script = "#!/bin/sh\n# Written by `yesno browser install`: the yesno wallet as the native messaging host\n"
                       "# of the yesno extension (chrome-extension://" + std::string(kExtensionId) + "/).\nexec " +
                       ShellQuote(program) + " --wallet " + ShellQuote(wallet);
  if (!env.global.key_file.empty()) script += " --key-file " + ShellQuote(Absolute(env.global.key_file));
  if (!env.global.ca_file.empty()) script += " --ca-file " + ShellQuote(Absolute(env.global.ca_file));
  if (env.global.insecure_http) script += " --insecure-http";
  script += " native-host \"$@\"\n";
  const std::string wrapper = WrapperPath(*dir);
  if (Status s = files::WriteFileAtomic(wrapper, AsBytes(script), 0700); !s.ok()) return env.out.Fail(s.error().message);
  const std::string manifest = ManifestPath(*dir);
  if (Status s = files::WriteFileAtomic(manifest, AsBytes(HostManifestJson(wrapper)), 0644); !s.ok()) {
    return env.out.Fail(s.error().message);
  }
  const std::string extension = ExtensionDir(program);
  std::string text = "installed the yesno native messaging host for " +
                     (args.user_data_dir.empty() ? args.browser : "the profile " + Absolute(args.user_data_dir)) +
                     ":\n  " + manifest + "\n  " + wrapper + " (starts " + program + " with the wallet " + wallet + ")\n" +
                     "Now load the extension: open chrome://extensions, turn on Developer mode, press \"Load unpacked\"\n"
                     "and choose " + (extension.empty() ? std::string("browser/extension/ of the yesno sources") : extension) +
                     "\n(its id must be " + kExtensionId + "; Chromium also takes --load-extension=DIR).";
  if (args.browser == "chrome") {
    text += "\nNote: Google Chrome 137 and later ignore --load-extension; use \"Load unpacked\".";
  }
  env.out.Result(json{{"manifest", manifest}, {"wrapper", wrapper}, {"extension_id", kExtensionId},
                      {"extension_dir", extension}, {"wallet", wallet}},
                 text);
  return kExitYes;
}

int RunBrowserUninstall(const Env& env, const BrowserInstallArgs& args) {
  auto dir = NativeHostDir(args);
  if (!dir.ok()) return env.out.Fail(dir.error().message);
  json removed = json::array();
  for (const std::string& path : {ManifestPath(*dir), WrapperPath(*dir)}) {
    std::error_code ec;
    if (fs::remove(path, ec)) removed.push_back(path);
    if (ec) return env.out.Fail("cannot remove " + path + ": " + ec.message());
  }
  std::string text = removed.empty() ? "nothing to remove in " + *dir : "removed:";
  for (const auto& r : removed) text += "\n  " + r.get<std::string>();
  env.out.Result(json{{"removed", removed}}, text);
  return kExitYes;
}

void AddBrowserInstallCommands(CLI::App& app, Env& env, std::function<int()>& run) {
  CLI::App* browser = app.add_subcommand("browser", "Connect the wallet to the yesno browser extension");
  browser->require_subcommand(1);
  auto args = std::make_shared<BrowserInstallArgs>();
  auto add_common = [args](CLI::App* cmd) {
    cmd->add_option("--browser", args->browser, "chromium (default) or chrome")
        ->check(CLI::IsMember({"chromium", "chrome"}))
        ->capture_default_str();
    cmd->add_option("--user-data-dir", args->user_data_dir,
                    "A browser started with --user-data-dir DIR looks for the host in DIR/NativeMessagingHosts/");
  };
  CLI::App* install = browser->add_subcommand(
      "install", "Write the native messaging host manifest (with the global --wallet/--key-file) for a browser");
  add_common(install);
  install->add_option("--host-program", args->host_program, "The yesno program the browser starts (default: this one)");
  install->callback([&env, &run, args] { run = [&env, args] { return RunBrowserInstall(env, *args); }; });
  CLI::App* uninstall = browser->add_subcommand("uninstall", "Remove what `yesno browser install` wrote");
  add_common(uninstall);
  uninstall->callback([&env, &run, args] { run = [&env, args] { return RunBrowserUninstall(env, *args); }; });
}

}  // namespace yesno::cli
