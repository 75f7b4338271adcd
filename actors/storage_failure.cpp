#include <spdlog/spdlog.h>

#include "actors/engine.hpp"

namespace baton::actors {

engine_errc errc_of(const storage::status& failure) {
  return failure.code() == storage::storage_errc::no_space ? engine_errc::storage_full
                                                           : engine_errc::storage_unavailable;
}

std::string storage_message(const storage::status& failure, std::string_view doing) {
  // The detail names files and RocksDB's state: the operator reads it here, the client
  // learns only what it can act on.
  spdlog::warn("storage failed while {}: {}", doing, failure.describe());
  switch (failure.code()) {
    case storage::storage_errc::no_space:
      return "the data volume is full; the request was not acknowledged. Retry after space is "
             "freed";
    case storage::storage_errc::corruption:
      return "stored data could not be read; see the server log";
    case storage::storage_errc::shutting_down:
      return "the server is shutting down";
    case storage::storage_errc::not_owner:
      return failure.detail() + "; the request was not acknowledged. Retry later";
    default:
      return "storage is unavailable; the request was not acknowledged. Retry later";
  }
}

}  // namespace baton::actors
