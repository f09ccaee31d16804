// qr.cc — libqrencode to inline SVG.
#include "qr.h"

#include <qrencode.h>

#include <memory>

#include "gate.h"

namespace yesno::verifier {

Result<QrMatrix> EncodeQr(std::string_view text) {
  if (text.empty() || text.size() > 1024) return MakeError(ErrorCode::kInvalidArgument, "QR text must be 1..1024 bytes");
  const std::string copy(text);  // libqrencode wants a NUL-terminated string
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString8bit(copy.c_str(), 0, QR_ECLEVEL_M),
                                                       &QRcode_free);
  if (!code) return MakeError(ErrorCode::kInternal, "libqrencode could not encode the text");
  QrMatrix m;
  m.size = code->width;
  const std::size_t n = static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size);
  m.dark.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.dark[i] = (code->data[i] & 1) != 0;  // bit 0: dark module
  return m;
}

std::string QrSvg(const QrMatrix& m, int pixels, std::string_view label) {
  const int total = m.size + 2 * kQrQuietZone;
  const std::string t = std::to_string(total);
  const std::string px = std::to_string(pixels);
  const std::string escaped = HtmlEscape(label);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + t + " " + t + "\" width=\"" + px +
                    "\" height=\"" + px + "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"" + escaped +
                    "\"><title>" + escaped + "</title><rect width=\"" + t + "\" height=\"" + t +
                    "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  // One horizontal run of dark modules per "M x y h n v1 h -n z".
  for (int y = 0; y < m.size; ++y) {
    for (int x = 0; x < m.size;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size && m.at(x + run, y)) ++run;
      svg += "M" + std::to_string(x + kQrQuietZone) + " " + std::to_string(y + kQrQuietZone) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace yesno::verifier
