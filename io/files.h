// files.h — crash-safe file helpers for the programs (never used by core).
#ifndef YESNO_IO_FILES_H_
#define YESNO_IO_FILES_H_

#include <sys/types.h>

#include <string>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/secret_bytes.h"

namespace yesno::files {

// ReadFile reads a whole file (at most `max_bytes`; kMalformedInput beyond).
Result<Bytes> ReadFile(const std::string& path, std::size_t max_bytes = 16 * 1024 * 1024);
// ReadSecretFile reads a whole file into a zeroizing buffer.
Result<SecretBytes> ReadSecretFile(const std::string& path, std::size_t max_bytes = 64 * 1024);
// WriteFileAtomic writes `data` to a temporary file in the same directory
// with `mode`, fsyncs it, renames it over `path` and fsyncs the directory: a
// crash leaves either the old file or the new one, never a torn file.
Status WriteFileAtomic(const std::string& path, ByteView data, mode_t mode = 0600);
// MakePrivateDir creates `path` (and parents) with mode 0700; an existing
// directory is accepted only if it is not group/world accessible.
Status MakePrivateDir(const std::string& path);
bool Exists(const std::string& path);

}  // namespace yesno::files

#endif  // YESNO_IO_FILES_H_
