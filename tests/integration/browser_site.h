// browser_site.h — the site the real-browser tests drive: a yesno-issuer
// (claim age_over_18), a yesno-verifier behind the site's origin under /yesno
// (--public-prefix /yesno) and nginx with the shipped deploy/nginx/yesno.conf
// protecting /adult/, all on free loopback ports in a private directory.
// Used by browser_gate_test.cc and extension_test.cc.
#ifndef YESNO_TESTS_INTEGRATION_BROWSER_SITE_H_
#define YESNO_TESTS_INTEGRATION_BROWSER_SITE_H_

#include <memory>
#include <string>
#include <vector>

#include "testing/child_process.h"

namespace yesno::testing {

class BrowserSite {
 public:
  // Start brings everything up; `extra_locations` is inserted into the
  // shipped server block (before the gated part). Returns "" or what failed.
  std::string Start(const std::string& tag, const std::string& extra_locations = "");
  // Stop ends nginx, the verifier and the issuer (gracefully) and returns
  // nginx's access log + the verifier's log.
  std::string Stop();

  // NewWallet enrolls someone born `birth` (YYYY-MM-DD) in a new wallet:
  // a key-file wallet (<dir>/wallet, <dir>/wallet.key), or one locked with
  // `passphrase`. Returns the wallet's directory ("" on failure, `why` set).
  std::string NewWallet(const std::string& name, const std::string& birth, std::string& why,
                        const std::string& passphrase = "");
  // WalletArgv is `yesno --wallet W [--key-file K]` for a wallet directory.
  static std::vector<std::string> WalletArgv(const std::string& wallet_dir, bool key_file = true);

  std::string dir;          // private; www/ is the document root
  std::string site;         // http://127.0.0.1:PORT
  int site_port = 0;
  bool stopped_cleanly = false;  // after Stop: nginx and the verifier exited with 0
  std::string issuer_url;
  std::string issuer_key;
  std::string verifier_url;

 private:
  std::unique_ptr<ChildProcess> issuer_;
  std::unique_ptr<ChildProcess> verifier_;
  std::unique_ptr<ChildProcess> nginx_;
};

}  // namespace yesno::testing

#endif  // YESNO_TESTS_INTEGRATION_BROWSER_SITE_H_
