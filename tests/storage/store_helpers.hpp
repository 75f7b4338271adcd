#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <variant>

#include "storage/process_store.hpp"
#include "tests/storage/temp_dir.hpp"

namespace baton::testing {

/// Opens the store in `dir`, failing the test when it cannot.
inline std::unique_ptr<storage::process_store> open_store(const temp_dir& dir, bool sync = false) {
  auto opened = storage::process_store::open(dir.str(), sync);
  if (!opened.ok()) FAIL("cannot open store: " << opened.error().describe());
  return std::move(opened).value();
}

/// Submits `b` through the group committer and waits until it is durable.
/// @returns the commit's error text, empty on success.
inline std::string commit(storage::process_store& store, storage::batch b) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto answered = promise->get_future();
  store.committer().submit(std::move(b), [promise](const storage::status& written) {
    promise->set_value(written.ok() ? std::string() : written.describe());
  });
  if (answered.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    FAIL("commit did not answer within 10 s");
  }
  return answered.get();
}

/// Stores a process `id` of definition "Work" (SUCCEEDED unless said) and waits until it is
/// durable.
/// Stores `p` as a new process (snapshot and indexes), durably.
inline void put_process(storage::process_store& store, const model::process_state& p) {
  storage::batch b;
  store.put_process(b, p, std::nullopt);
  REQUIRE(commit(store, std::move(b)).empty());
}

/// Stores a process of definition "Work" with no steps, in `status`.
inline void put_process(storage::process_store& store, const std::string& id,
                        model::process_status status = model::process_status::succeeded) {
  model::process_state p;
  p.id = id;
  p.definition = "Work";
  p.status = status;
  put_process(store, p);
}

}  // namespace baton::testing
