#include "storage/db.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <vector>

#include "storage/write_marks.hpp"

namespace baton::storage {

namespace {

constexpr std::array<std::string_view, cf_count> names = {"definitions", "processes", "history",
                                                          "scopes",      "schedules", "idempotency",
                                                          "indexes",     "auth",      "meta"};

/// The one place a RocksDB status becomes ours.
status status_of(const rocksdb::Status& s) {
  if (s.ok()) return {};
  auto code = s.IsNoSpace()                                    ? storage_errc::no_space
              : s.IsCorruption()                               ? storage_errc::corruption
              : s.IsShutdownInProgress()                       ? storage_errc::shutting_down
              : s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() ? storage_errc::busy
                                                               : storage_errc::io_error;
  return {code, s.ToString()};
}

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

/// RocksDB's default perf level counts every key comparison into a thread-local context
/// that nothing here reads. Each count is a lookup of that context through the shared
/// library (`__tls_get_addr` and its initialiser): ~15 instructions of every 100 spent in
/// memtable inserts. Turned off once per thread that reads or writes.
void skip_perf_counts() {
  thread_local const bool skipped = (rocksdb::SetPerfLevel(rocksdb::kDisable), true);
  (void)skipped;
}

/// The family of an index key: its tag ("a/", "c/", ...), or for the status index the tag
/// and the status ("s/SUCCEEDED/"); never anything per process, since each family costs a
/// remembered position in every memtable. The memtable keeps one insert position per
/// family, so a commit that writes into several index families does not search the skip
/// list from the top for each key: 12 % fewer instructions per start + complete
/// (callgrind), whose keys alternate between families.
class index_family : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "baton.index_family"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), family_length(key)};
  }
  bool InDomain(const rocksdb::Slice& key) const override { return family_length(key) > 0; }

 private:
  static std::size_t family_length(const rocksdb::Slice& key) {
    std::string_view k(key.data(), key.size());
    if (k.size() < 2 || k[1] != '/') return 0;
    if (k[0] != 's') return 2;
    auto status_end = k.find('/', 2);
    return status_end == std::string_view::npos ? 0 : status_end + 1;
  }
};

/// One insert position for a whole family, for families whose new keys arrive in about
/// ascending order: processes and their history are keyed by time-ordered ids, so each
/// insert lands next to the one before and starts its search there instead of at the top.
/// Schedules due together fire in the order they were armed, mostly that of their
/// time-ordered ids: their runs and idempotency keys ("schedule:<id>:<ms>") ascend too.
class whole_family : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "baton.whole_family"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return {key.data(), 0}; }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

/// A file RocksDB writes, failing appends and syncs while the switch says so.
class faulty_file : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  faulty_file(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<fault_switch> faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(std::move(faults)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (auto f = fault()) return *f;
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* dbg) override {
    if (auto f = fault()) return *f;
    return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (auto f = fault()) return *f;
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (auto f = fault()) return *f;
    return FSWritableFileOwnerWrapper::Fsync(o, dbg);
  }

 private:
  std::optional<rocksdb::IOStatus> fault() {
    switch (faults_->failing.load()) {
      case storage_errc::ok:
        return std::nullopt;
      case storage_errc::no_space:
        ++faults_->failed;
        return rocksdb::IOStatus::NoSpace("injected");
      default:
        ++faults_->failed;
        return rocksdb::IOStatus::IOError("injected");
    }
  }
  std::shared_ptr<fault_switch> faults_;
};

class faulty_file_system : public rocksdb::FileSystemWrapper {
 public:
  faulty_file_system(const std::shared_ptr<rocksdb::FileSystem>& target,
                     std::shared_ptr<fault_switch> faults)
      : FileSystemWrapper(target), faults_(std::move(faults)) {}
  const char* Name() const override { return "baton.faulty_file_system"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return wrap(target()->NewWritableFile(f, o, r, dbg), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReopenWritableFile(f, o, r, dbg), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReuseWritableFile(f, old, o, r, dbg), r);
  }

 private:
  rocksdb::IOStatus wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<faulty_file>(std::move(*r), faults_);
    return s;
  }
  std::shared_ptr<fault_switch> faults_;
};

}  // namespace

std::string_view cf_name(cf c) { return names[static_cast<std::size_t>(c)]; }

struct batch::impl {
  // Writes are recorded by family index and applied against handles at write time. Keys
  // and values live end to end in one buffer: two allocations per write (and two frees on
  // the writer thread) were a tenth of a batched cron second.
  struct op {
    cf family;
    bool erase;
    std::uint32_t key_at, key_size, value_size;  ///< the value follows its key
  };
  std::vector<op> ops;
  std::string bytes;

  void add(cf family, bool erase, std::string_view key, std::string_view value) {
    ops.push_back({family, erase, static_cast<std::uint32_t>(bytes.size()),
                   static_cast<std::uint32_t>(key.size()),
                   static_cast<std::uint32_t>(value.size())});
    bytes.append(key);
    bytes.append(value);
  }
  rocksdb::Slice key(const op& o) const { return {bytes.data() + o.key_at, o.key_size}; }
  rocksdb::Slice value(const op& o) const {
    return {bytes.data() + o.key_at + o.key_size, o.value_size};
  }
};

batch::batch() : impl_(std::make_unique<impl>()) {}
batch::~batch() = default;
batch::batch(batch&&) noexcept = default;
batch& batch::operator=(batch&&) noexcept = default;

void batch::put(cf family, std::string_view key, std::string_view value) {
  impl_->add(family, false, key, value);
}
void batch::erase(cf family, std::string_view key) { impl_->add(family, true, key, {}); }
namespace {

constexpr std::string_view packed_magic = "P1";
constexpr std::uint8_t packed_erase = 0x80;

void put_varint(std::string& out, std::uint64_t v) {
  while (v > 0x7f) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool get_bytes(std::string_view& in, std::string_view& out) {
  std::uint64_t n = 0;
  if (!get_varint(in, n) || n > in.size()) return false;
  out = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

}  // namespace

std::string batch::pack() const { return pack_all({this}); }

bool batch::touches(cf family) const {
  return std::any_of(impl_->ops.begin(), impl_->ops.end(),
                     [family](const auto& o) { return o.family == family; });
}

std::string batch::pack_all(const std::vector<const batch*>& batches) {
  std::size_t count = 0, bytes = 0;
  for (const auto* b : batches) {
    count += b->impl_->ops.size();
    bytes += b->impl_->bytes.size();
  }
  std::string out;
  out.reserve(packed_magic.size() + 8 + bytes + 8 * count);
  out += packed_magic;
  put_varint(out, count);
  for (const auto* b : batches) {
    const auto& in = *b->impl_;
    for (const auto& o : in.ops) {
      auto family = static_cast<std::uint8_t>(o.family);
      out += static_cast<char>(o.erase ? family | packed_erase : family);
      put_varint(out, o.key_size);
      out += in.key(o).ToStringView();
      if (o.erase) continue;
      put_varint(out, o.value_size);
      out += in.value(o).ToStringView();
    }
  }
  return out;
}

std::optional<batch> batch::unpack(std::string_view in) {
  if (!in.starts_with(packed_magic)) return std::nullopt;
  in.remove_prefix(packed_magic.size());
  std::uint64_t count = 0;
  if (!get_varint(in, count) || count > in.size()) return std::nullopt;  // a write is >= 2 bytes
  batch b;
  b.reserve(count, in.size());
  for (std::uint64_t i = 0; i < count; ++i) {
    if (in.empty()) return std::nullopt;
    auto tag = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    std::size_t family = tag & ~packed_erase;
    if (family >= cf_count) return std::nullopt;
    std::string_view key, value;
    if (!get_bytes(in, key)) return std::nullopt;
    if (tag & packed_erase) {
      b.erase(static_cast<cf>(family), key);
    } else {
      if (!get_bytes(in, value)) return std::nullopt;
      b.put(static_cast<cf>(family), key, value);
    }
  }
  if (!in.empty()) return std::nullopt;
  return b;
}

std::size_t batch::count() const { return impl_->ops.size(); }
std::size_t batch::bytes() const { return impl_->bytes.size(); }
void batch::reserve(std::size_t writes, std::size_t bytes) {
  impl_->ops.reserve(impl_->ops.size() + writes);
  impl_->bytes.reserve(impl_->bytes.size() + bytes);
}

struct db::impl {
  std::unique_ptr<rocksdb::Env> env;  ///< a test's faulty file system; outlives the DB below
  std::unique_ptr<rocksdb::DB> rdb;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  write_marks process_marks;  ///< the writes of `processes` keys, counted by `write_all`
  rocksdb::ColumnFamilyHandle* handle(cf c) const { return handles[static_cast<std::size_t>(c)]; }
  ~impl() {
    for (auto* h : handles) rdb->DestroyColumnFamilyHandle(h);
    if (rdb) rdb->Close();
  }
};

db::db(std::unique_ptr<impl> i, bool sync) : impl_(std::move(i)), sync_(sync) {}
db::~db() = default;

namespace {

/// The options every open uses, and the descriptor of each family (the default family last,
/// which RocksDB requires and Baton leaves empty).
std::vector<rocksdb::ColumnFamilyDescriptor> family_descriptors(rocksdb::Options& options) {
  options.IncreaseParallelism(2);
  options.OptimizeLevelStyleCompaction();
  // Readiness after a restart is bounded by replaying the WAL: cap it. Without a cap a log
  // lives until every family with data in it flushes, and the small families (indexes,
  // idempotency) flush rarely, so at 1M processes hundreds of MB were replayed on open.
  // Exceeding the cap flushes the families that hold the oldest log, in the background.
  options.max_total_wal_size = 64ull << 20;
  options.write_buffer_size = 32ull << 20;
  // Replay into memtables only; they flush in the background later, as after any write.
  options.avoid_flush_during_recovery = true;
  // Table statistics are for compaction heuristics; reading them for every file delays open.
  options.skip_stats_update_on_db_open = true;
  // Point lookups dominate (status by id): bloom filters save disk reads.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto name : names) {
    rocksdb::ColumnFamilyOptions cfo(options);
    cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (name == cf_name(cf::indexes)) {
      cfo.memtable_insert_with_hint_prefix_extractor = std::make_shared<index_family>();
    } else if (name == cf_name(cf::processes) || name == cf_name(cf::history) ||
               name == cf_name(cf::schedules) || name == cf_name(cf::idempotency)) {
      cfo.memtable_insert_with_hint_prefix_extractor = std::make_shared<whole_family>();
    }
    families.emplace_back(std::string(name), cfo);
  }
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options));
  return families;
}

}  // namespace

result<std::unique_ptr<db>> db::open(const std::string& path, bool sync, bool preallocate,
                                     std::shared_ptr<fault_switch> faults) {
  rocksdb::Options options;
  options.allow_fallocate = preallocate;
  std::unique_ptr<rocksdb::Env> faulty_env;
  if (faults) {
    faulty_env = rocksdb::NewCompositeEnv(
        std::make_shared<faulty_file_system>(rocksdb::FileSystem::Default(), faults));
    options.env = faulty_env.get();
  }
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  auto families = family_descriptors(options);
  auto i = std::make_unique<impl>();
  i->env = std::move(faulty_env);
  rocksdb::DB* raw = nullptr;
  std::error_code no_folder;
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", no_folder)) {
    // A new store (RocksDB's CURRENT names the manifest of every store it made). Opened with all
    // its families, RocksDB would create them one at a time and rewrite its OPTIONS file after
    // each: 74M instructions for nine, some 20 ms of every first start (every test's).
    // CreateColumnFamilies writes it once.
    auto status = rocksdb::DB::Open(options, path, &raw);
    if (!status.ok()) return status_of(status);
    i->rdb.reset(raw);
    families.pop_back();  // the default family: Open made it
    status = raw->CreateColumnFamilies(families, &i->handles);
    if (!status.ok()) return status_of(status);
    return std::unique_ptr<db>(new db(std::move(i), sync));
  }
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(options), path, families, &i->handles, &raw);
  if (!status.ok()) return status_of(status);
  i->rdb.reset(raw);
  // The default family is opened because RocksDB requires it; nothing lives there.
  raw->DestroyColumnFamilyHandle(i->handles.back());
  i->handles.pop_back();
  return std::unique_ptr<db>(new db(std::move(i), sync));
}

result<std::unique_ptr<db>> db::open_read_only(const std::string& path) {
  rocksdb::Options options;
  auto families = family_descriptors(options);
  auto i = std::make_unique<impl>();
  rocksdb::DB* raw = nullptr;
  auto status =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(options), path, families, &i->handles, &raw);
  if (!status.ok()) return status_of(status);
  i->rdb.reset(raw);
  raw->DestroyColumnFamilyHandle(i->handles.back());
  i->handles.pop_back();
  return std::unique_ptr<db>(new db(std::move(i), false));
}

result<std::optional<std::string>> db::get(cf family, std::string_view key) const {
  skip_perf_counts();
  // One default ReadOptions for every point read instead of constructing one per call.
  static const rocksdb::ReadOptions read_options;
  std::string out;
  auto s = impl_->rdb->Get(read_options, impl_->handle(family), slice(key), &out);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return status_of(s);
  return std::optional<std::string>(std::move(out));
}

std::optional<std::uint64_t> db::write_mark(std::string_view process_id) const {
  return impl_->process_marks.mark(process_id);
}

status db::scan(cf family, std::string_view prefix, std::string_view start,
                const visitor& visit) const {
  skip_perf_counts();
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->rdb->NewIterator(ro, impl_->handle(family)));
  for (it->Seek(slice(start.empty() ? prefix : start)); it->Valid(); it->Next()) {
    auto key = it->key();
    std::string_view k(key.data(), key.size());
    if (!k.starts_with(prefix)) break;
    auto v = it->value();
    if (!visit(k, std::string_view(v.data(), v.size()))) return {};
  }
  // An iterator that is no longer valid has either reached the end or failed: only its
  // status tells which.
  return status_of(it->status());
}

status db::scan_backward(cf family, std::string_view prefix, std::string_view start,
                         const visitor& visit) const {
  skip_perf_counts();
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->rdb->NewIterator(ro, impl_->handle(family)));
  // Every key with the prefix sorts before prefix + 0xff…: the last of them is found from there.
  std::string upper =
      start.empty() ? std::string(prefix) + std::string(8, '\xff') : std::string(start);
  for (it->SeekForPrev(slice(upper)); it->Valid(); it->Prev()) {
    auto key = it->key();
    std::string_view k(key.data(), key.size());
    if (!k.starts_with(prefix)) break;
    auto v = it->value();
    if (!visit(k, std::string_view(v.data(), v.size()))) return {};
  }
  return status_of(it->status());
}

status db::write(batch& b) { return write_all({&b}); }

status db::resume() { return status_of(impl_->rdb->Resume()); }

status db::write_all(const std::vector<const batch*>& batches) { return write_all(batches, sync_); }

status db::write_all_unsynced(const std::vector<const batch*>& batches) {
  return write_all(batches, false);
}

status db::sync_log() { return status_of(impl_->rdb->SyncWAL()); }

status db::write_all(const std::vector<const batch*>& batches, bool sync) {
  skip_perf_counts();
  // Room for every record up front: a commit of a few thousand schedule fires is megabytes,
  // and growing the buffer by doubling copied it about twice over.
  std::size_t bytes = 12;  // the batch header
  for (const auto* b : batches) bytes += b->impl_->bytes.size() + 16 * b->impl_->ops.size();
  rocksdb::WriteBatch wb(bytes);
  for (const auto* b : batches) {
    const auto& in = *b->impl_;
    for (const auto& op : in.ops) {
      auto* h = impl_->handle(op.family);
      auto s = op.erase ? wb.Delete(h, in.key(op)) : wb.Put(h, in.key(op), in.value(op));
      if (!s.ok()) return status_of(s);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // Every snapshot written is counted before and after, failed or not (see write_marks).
  auto each_snapshot = [&](auto count) {
    for (const auto* b : batches) {
      for (const auto& op : b->impl_->ops) {
        if (op.family == cf::processes) count(b->impl_->key(op).ToStringView());
      }
    }
  };
  auto& marks = impl_->process_marks;
  each_snapshot([&](std::string_view id) { marks.writing(id); });
  auto written = impl_->rdb->Write(wo, &wb);
  each_snapshot([&](std::string_view id) { marks.written(id); });
  return status_of(written);
}

std::uint64_t db::memtable_bytes() const {
  std::uint64_t bytes = 0;
  impl_->rdb->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes);
  return bytes;
}

status db::checkpoint(const std::string& dir, std::uint64_t& sequence) const {
  rocksdb::Checkpoint* raw = nullptr;
  if (auto s = rocksdb::Checkpoint::Create(impl_->rdb.get(), &raw); !s.ok()) return status_of(s);
  std::unique_ptr<rocksdb::Checkpoint> maker(raw);
  // A flush first (log_size_for_flush 0): the copy then holds table files and a short log,
  // rather than a copy of up to max_total_wal_size of live log.
  return status_of(maker->CreateCheckpoint(dir, 0, &sequence));
}

}  // namespace baton::storage
