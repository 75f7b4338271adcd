#pragma once

#include <caf/send.hpp>
#include <cstdint>

#include "actors/messages.hpp"
#include "storage/group_commit.hpp"

namespace baton::actors {

/// Submits `writes` to the group committer; `to` gets `write_done{token, status}` once they
/// are durable or failed. The committer's thread only posts that message: what the write was
/// for stays in the actor's state under `token`, so the message carries no code.
template <class Handle>
void submit_durable(storage::group_committer& committer, const Handle& to, std::uint64_t token,
                    storage::batch writes) {
  committer.submit(std::move(writes), [to, token](const storage::status& written) {
    caf::anon_send(to, write_done{token, written});
  });
}

}  // namespace baton::actors
