// Chip-supplied strings (labels, broker client names, error texts) made safe
// for a terminal. PKCS#11 lets any program store any bytes in a label; printed
// raw, an ESC sequence could clear the screen, rewrite earlier lines or set the
// window title, and a newline could fake a row of `se05x list`.
#pragma once

#include <string>
#include <string_view>

namespace sx::cli {

// `s` with every byte a terminal would interpret replaced by a visible escape,
// everything else (printable ASCII, valid UTF-8 text) unchanged:
//   C0 controls and DEL (0x00-0x1F, 0x7F)        -> \xHH   (e.g. ESC -> \x1B, LF -> \x0A)
//   C1 controls U+0080-U+009F and the Unicode
//   bidirectional/line controls (U+061C, U+200E, U+200F, U+2028-U+202E,
//   U+2066-U+2069)                               -> \uHHHH (e.g. \u009B, \u202E)
//   bytes that are not valid UTF-8                -> \xHH   (e.g. \xFF)
//   a backslash                                   -> \\     (so escapes stay unambiguous)
// For text output only: --json carries the exact bytes (JSON escapes them itself).
std::string printable(std::string_view s);

}  // namespace sx::cli
