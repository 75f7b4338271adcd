// Fuzzes the decoders of stored records (storage/record_codec, storage/json_codec): process
// snapshots, history runs and callback targets in the binary format and the legacy JSON one,
// schedules, schedule runs and recovery markers. A damaged record is refused, never a crash
// or an unbounded allocation; a record that decodes encodes to one that decodes to the same.
// The first byte picks the decoder; the rest, format byte first, is the stored value.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/json_codec.hpp"
#include "storage/record_codec.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton;
using baton::fuzz::require;

namespace {

/// decode(encode(decode(stored))) == decode(stored) for a codec with optional results.
template <class Decode, class Encode>
void check_round_trip(std::string_view stored, Decode decode, Encode encode) {
  auto first = decode(stored);
  if (!first) return;
  auto again = decode(encode(*first));
  require(again && *again == *first, "a decoded record encodes to the same record", stored);
}

void check_history(std::string_view stored) {
  std::vector<model::history_entry> entries{model::history_entry{}};  // decoding appends
  if (!storage::decode_history_record(stored, entries)) {
    require(entries.size() == 1, "a history record that does not decode leaves out alone", stored);
    return;
  }
  entries.erase(entries.begin());
  std::vector<const model::history_entry*> run;
  for (const auto& e : entries) run.push_back(&e);
  std::vector<model::history_entry> again;
  require(
      storage::decode_history_record(storage::encode_history_run(run), again) && again == entries,
      "a decoded history run encodes to the same run", stored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view stored(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      return check_round_trip(stored, storage::decode_process, storage::encode_process), 0;
    case 1:
      return check_history(stored), 0;
    case 2:
      return check_round_trip(stored, storage::decode_callback, storage::encode_callback), 0;
    case 3:
      return check_round_trip(stored, storage::decode_schedule, storage::encode_schedule), 0;
    case 4: {
      // A schedule run has no operator==: its encoding must be a fixed point instead.
      auto encode = [](const storage::stored_schedule_run& r) {
        return storage::encode_schedule_run(r.run, r.advance ? &*r.advance : nullptr);
      };
      auto first = storage::decode_schedule_run(stored);
      if (!first) return 0;
      auto again = storage::decode_schedule_run(encode(*first));
      require(again && encode(*again) == encode(*first), "a decoded schedule run re-encodes alike",
              stored);
      return 0;
    }
    default:
      return check_round_trip(stored, storage::decode_recovery_need, storage::encode_recovery_need),
             0;
  }
}
