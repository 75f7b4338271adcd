#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace baton::storage {

/// Why a storage call failed. Not-found is no failure: a read answers an empty optional for a
/// key that is not there, and one of these only when it could not read at all, so a broken
/// disk never reads as "no such process".
enum class storage_errc : std::uint8_t {
  ok,
  io_error,       ///< the device failed a read, write or sync; may pass (503)
  corruption,     ///< a record or file does not decode; needs an operator (503)
  no_space,       ///< the volume is full or below `storage.min_free_bytes` (507)
  busy,           ///< RocksDB asked to try again, or writes stopped while it recovers (503)
  shutting_down,  ///< the store is closing (503)
  /// In a cluster: this node may not write the partition (another owns it, or nobody does
  /// yet). The detail says whose it is and is fit for a client (503 + Retry-After).
  not_owner,
};
std::string_view to_string(storage_errc code);

/// The outcome of a storage call. `detail` holds RocksDB's text and paths: it is for the log,
/// never for a client.
class [[nodiscard]] status {
 public:
  status() = default;
  status(storage_errc code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  bool ok() const { return code_ == storage_errc::ok; }
  storage_errc code() const { return code_; }
  const std::string& detail() const { return detail_; }
  /// "no_space: <detail>", for log lines.
  std::string describe() const;

 private:
  storage_errc code_ = storage_errc::ok;
  std::string detail_;
};

/// A value, or the status of why there is none. No implicit truth value: a caller says which
/// it means (`ok()`, `value()`), so `if (store.process_raw(id))` cannot compile into
/// "was there no I/O error" when "was it found" was meant.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}           // NOLINT: a value is a success
  result(status failure) : v_(std::move(failure)) {}  // NOLINT: @pre !failure.ok()

  bool ok() const { return v_.index() == 0; }
  /// The failure; an ok status when there is a value.
  const status& error() const {
    static const status none;
    return ok() ? none : std::get<1>(v_);
  }
  /// @pre ok(); throws std::runtime_error otherwise (tests lean on that, code checks first).
  T& value() & { return checked(), std::get<0>(v_); }
  const T& value() const& { return checked(), std::get<0>(v_); }
  /// By value: `for (auto& x : store.list(q).value().states)` keeps what it walks alive.
  T value() && { return checked(), std::get<0>(std::move(v_)); }

 private:
  void checked() const {
    if (!ok()) throw std::runtime_error("storage: " + std::get<1>(v_).describe());
  }
  std::variant<T, status> v_;
};

}  // namespace baton::storage
