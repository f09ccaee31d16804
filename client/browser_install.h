// browser_install.h — `yesno browser install|uninstall`: registers the wallet
// as the native messaging host of the yesno extension for one browser (or
// one custom profile directory).
#ifndef YESNO_CLIENT_BROWSER_INSTALL_H_
#define YESNO_CLIENT_BROWSER_INSTALL_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "wallet_commands.h"

namespace yesno::cli {

// kExtensionId is the extension's fixed id: derived from the public key in
// browser/extension/manifest.json (`key`): the first 32 hex digits of the
// SHA-256 of the DER key, each mapped 0-f → a-p.
inline constexpr char kExtensionId[] = "ipflpcnmdihkchpeckmhfjfappafdmbd";

struct BrowserInstallArgs {
  std::string browser = "chromium";  // chromium | chrome
  std::string user_data_dir;         // a custom profile: DIR/NativeMessagingHosts/
  std::string host_program;          // the yesno binary (default: this program)
};

// NativeHostDir is where `args.browser` (or the custom profile) looks for
// host manifests. Errors: kInvalidArgument for an unknown browser.
Result<std::string> NativeHostDir(const BrowserInstallArgs& args);

// HostManifestJson is the manifest text for a host started by `wrapper`.
std::string HostManifestJson(const std::string& wrapper);

int RunBrowserInstall(const Env& env, const BrowserInstallArgs& args);
int RunBrowserUninstall(const Env& env, const BrowserInstallArgs& args);

void AddBrowserInstallCommands(CLI::App& app, Env& env, std::function<int()>& run);

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_BROWSER_INSTALL_H_
