// qr.h — QR codes for the browser gate, rendered server-side as inline SVG.
//
// The encoding is libqrencode's (Debian libqrencode-dev): 8-bit mode, error
// correction level M, the smallest version that fits. QrSvg draws the module
// matrix as one <path> of dark runs on a white square with a quiet zone, so
// the page needs no image file, script or external asset.
#ifndef YESNO_SERVER_VERIFIER_QR_H_
#define YESNO_SERVER_VERIFIER_QR_H_

#include <string>
#include <string_view>
#include <vector>

#include "yesno/result.h"

namespace yesno::verifier {

// QrMatrix is a square of modules, row-major; true = dark.
struct QrMatrix {
  int size = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x)]; }
};

inline constexpr int kQrQuietZone = 4;  // modules of white around the code (ISO/IEC 18004)

// EncodeQr encodes `text` (at most 1024 bytes) with libqrencode.
Result<QrMatrix> EncodeQr(std::string_view text);

// QrSvg renders `m` as a standalone SVG element, (size + 2·quiet zone)
// modules square, `pixels` wide and high. `label` (already plain text) becomes
// the SVG's <title> and aria-label; it is HTML-escaped here.
std::string QrSvg(const QrMatrix& m, int pixels, std::string_view label);

}  // namespace yesno::verifier

#endif  // YESNO_SERVER_VERIFIER_QR_H_
