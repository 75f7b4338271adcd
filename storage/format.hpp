#pragma once

namespace baton::storage {

/// The leading byte of every stored record says how the rest is encoded.
///
/// format_v1: JSON text. Definitions, scope settings, schedules and auth records are still
/// written so; process snapshots, history and callback records were, by earlier releases,
/// and are still read (storage/legacy_json_codec.cpp).
inline constexpr char format_v1 = '\x01';
/// format_v2: the record's `inspect` (storage/inspect.hpp) through caf::binary_serializer.
/// Process snapshots (and the outbox, which holds snapshots), history and callback targets.
inline constexpr char format_v2 = '\x02';

}  // namespace baton::storage
