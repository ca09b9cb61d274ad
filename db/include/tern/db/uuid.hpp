// tern::uuid4(): a random UUID (RFC 4122 version 4), as Python's uuid.uuid4() — what a
// UUIDField's generated default calls (`tern::UUIDField{.primary_key = true,
// .default_factory = tern::uuid4}`).
#pragma once

#include "tern/protocol/values.hpp"

namespace tern {

/// A random UUID: 122 bits from the operating system's random source (getrandom(2)), the
/// version (4) and variant (RFC 4122) bits set. Throws InterfaceError when the system has no
/// randomness to give.
Uuid uuid4();

}  // namespace tern
