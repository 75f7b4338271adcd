// The dashboard: throughput, latency and queue depths from /metrics, drawn as charts.
import { call, text } from "./api.js";
import { el, show } from "./dom.js";
import { lineChart, barChart, parseMetrics } from "./charts.js";

function total(metrics, name, filter) {
  return metrics.filter((m) => m.name === name && (!filter || filter(m.labels)))
    .reduce((a, m) => a + m.value, 0);
}

export async function dashboard(main, keepAlive) {
  // [{at, metrics}], from this visit only: a rate across the time the page was closed
  // would average over a gap nobody saw.
  const samples = [];
  const charts = el("div", { class: "charts", id: "charts" });
  show(main, el("h1", {}, "Dashboard"),
    el("p", { class: "muted" }, "From /metrics, sampled every two seconds while this page is open."), charts);
  const draw = async () => {
    const metrics = parseMetrics(await text("/metrics"));
    samples.push({ at: Date.now(), metrics });
    if (samples.length > 60) samples.shift();
    const rate = (name) => samples.slice(1).map((s, i) => {
      const prev = samples[i];
      return [s.at, Math.max(0, (total(s.metrics, name) - total(prev.metrics, name)) / ((s.at - prev.at) / 1000))];
    });
    const latency = samples.slice(1).map((s, i) => {
      const prev = samples[i];
      const sum = (m) => total(m, "baton_http_request_duration_seconds_sum");
      const count = (m) => total(m, "baton_http_request_duration_seconds_count");
      const n = count(s.metrics) - count(prev.metrics);
      return [s.at, n > 0 ? ((sum(s.metrics) - sum(prev.metrics)) / n) * 1000 : 0];
    });
    const byStatus = metrics.filter((m) => m.name === "baton_processes_finished_total")
      .map((m) => [m.labels.status || "", m.value]);
    const jobs = metrics.filter((m) => m.name === "baton_jobs").map((m) => [`${m.labels.type}/${m.labels.state}`, m.value]);
    const queues = (await call("GET", "/api/v1/scopes")).map((s) => [s.name, s.queued.length]);
    show(charts,
      lineChart("process starts per second", rate("baton_processes_started_total")),
      lineChart("mean request latency, ms", latency),
      barChart("processes ended, by status", byStatus),
      barChart("scope queue depths", queues),
      barChart("jobs by type and state", jobs));
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 2000);
  keepAlive(() => clearInterval(timer));
}
