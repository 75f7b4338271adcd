#include "http/metrics_help.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace baton::http {

namespace {

// Sorted by name (binary search).
constexpr std::array<std::pair<std::string_view, std::string_view>, 46> helps{{
    {"baton_callbacks_delivered_total", "Process callbacks the outbox delivered."},
    {"baton_callbacks_given_up_total", "Process callbacks given up after their last retry."},
    {"baton_cluster_commands_forwarded_total",
     "Commands sent to the node that owns their partition."},
    {"baton_cluster_etcd_db_bytes", "Size of etcd's database, as etcd reports it."},
    {"baton_cluster_leases_lost_total", "Times this node lost its etcd lease."},
    {"baton_cluster_log_append_seconds", "Time to append one batch to the replicated log."},
    {"baton_cluster_log_appends_total", "Batches appended to the replicated log by this node."},
    {"baton_cluster_log_applied_total", "Log entries this node applied to its store."},
    {"baton_cluster_log_fenced_total", "Appends refused because a lease or epoch had moved on."},
    {"baton_cluster_log_floor_revision", "The etcd revision below which the log is trimmed."},
    {"baton_cluster_log_seen_revision", "The latest etcd revision this node has seen."},
    {"baton_cluster_log_trimmed_total", "Log entries deleted from etcd by the trimmer."},
    {"baton_cluster_nodes_alive", "Nodes of the cluster holding a live lease."},
    {"baton_cluster_partition_claims_total", "Partitions this node took ownership of."},
    {"baton_cluster_partition_releases_total", "Partitions this node gave up."},
    {"baton_cluster_partitions_owned", "Partitions this node owns now."},
    {"baton_data_volume_available_bytes", "Free bytes on the data folder's volume."},
    {"baton_data_volume_min_free_bytes", "Free bytes below which writes are refused (507)."},
    {"baton_http_buffered_answer_bytes", "Answer bytes waiting to be written."},
    {"baton_http_connections_open", "Client connections currently open."},
    {"baton_http_connections_refused_total", "Connections refused over http.max_connections."},
    {"baton_http_connections_total", "Client connections accepted."},
    {"baton_http_request_duration_seconds", "Time from reading a request to its answer."},
    {"baton_http_requests_total", "HTTP requests answered, by route pattern and status."},
    {"baton_http_slow_readers_closed_total",
     "Connections closed for not taking their answers in time."},
    {"baton_job_activation_latency_ms", "Time from a job becoming available to its lease."},
    {"baton_job_activation_latency_ms_max", "Longest wait of a job for its lease."},
    {"baton_job_lease_expiries_total", "Job leases that ran out before the worker answered."},
    {"baton_job_polls_parked", "Workers' long polls waiting for a job now."},
    {"baton_jobs", "Jobs by type and state (waiting or leased)."},
    {"baton_jobs_activated_total", "Jobs leased to workers."},
    {"baton_password_hashes_total", "Password hashes computed (Argon2), logins and checks."},
    {"baton_process_actors_live", "Process actors in memory."},
    {"baton_process_passivations_total", "Process actors that left memory while idle."},
    {"baton_processes_active", "Processes stored that have not ended."},
    {"baton_processes_finished_total", "Processes that ended, by status."},
    {"baton_processes_started_total", "Processes started."},
    {"baton_schedule_fire_lag_ms_max", "Longest delay of a schedule fire after its time."},
    {"baton_schedule_fires_total", "Schedule fire times that started a process."},
    {"baton_start_replays_total",
     "Idempotent starts answered with the first start's answer (a retry, or a restart)."},
    {"baton_store_batch_size", "Writes per group commit (one sync each)."},
    {"baton_store_commits_total", "Group commits written and synced."},
    {"baton_store_memtable_bytes", "Bytes in RocksDB's memtables (not yet flushed)."},
    {"baton_store_refusing_writes", "1 while the store refuses writes (full or failed), else 0."},
    {"baton_store_resumed_total", "Times the store took writes again after refusing them."},
    {"baton_store_writes_refused_total", "Writes refused because the store could not take them."},
}};

}  // namespace

std::optional<std::string_view> metric_help(std::string_view family) {
  auto it = std::lower_bound(helps.begin(), helps.end(), family,
                             [](const auto& entry, std::string_view f) { return entry.first < f; });
  if (it == helps.end() || it->first != family) return std::nullopt;
  return it->second;
}

std::string with_help_lines(std::string text) {
  static constexpr std::string_view type_line = "# TYPE ";
  std::string out;
  out.reserve(text.size() + 2048);
  std::string_view rest = text;
  std::string_view previous;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    auto line = rest.substr(0, end == std::string_view::npos ? rest.size() : end + 1);
    rest.remove_prefix(line.size());
    if (line.starts_with(type_line)) {
      auto name = line.substr(type_line.size());
      name = name.substr(0, name.find(' '));
      bool has_help = previous.starts_with("# HELP ") && previous.substr(7, name.size()) == name;
      if (auto help = metric_help(name); help && !has_help) {
        out += "# HELP ";
        out += name;
        out += ' ';
        out += *help;
        out += '\n';
      }
    }
    out += line;
    previous = line;
  }
  return out;
}

}  // namespace baton::http
