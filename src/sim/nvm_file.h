// The persistent NVM image: serialisation of the object store and crash-safe file writes.
//
// File = "SXSENVM\0" | u32 format version | u32 payload length | SHA-256(payload) | payload,
// payload = JSON (variant, objects, curves). Transient objects are never stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "sim/object.h"

namespace sx::sim {

// 2: objects carry "auth" (AuthKind), "max_attempts" and "attempts" (UserID objects).
// Version 1 images (without them) still load: their objects are not authentication objects.
// 3: "scp" {"keys": {"enc","mac","dek"} or absent, "required"} (PlatformSCP03, docs/scp03.md).
// Older images load with the variant's factory key set and SCP not required.
inline constexpr uint32_t kNvmFormatVersion = 3;
inline constexpr uint32_t kNvmOldestVersion = 1;

Bytes serialize_store(const Store& s, std::string_view variant);
// Errors (Errc::Malformed) on a bad magic, a version outside [kNvmOldestVersion, kNvmFormatVersion], checksum mismatch, bad JSON,
// or a variant different from `variant`.
Result<Store> deserialize_store(ByteView file, std::string_view variant);

// Write temp file, fsync, rename over `path`, fsync the directory (fsyncs skipped when !sync).
Status write_file_atomic(const std::string& path, ByteView data, bool sync);
// nullopt when the file does not exist.
Result<std::optional<Bytes>> read_whole_file(const std::string& path);

}  // namespace sx::sim
