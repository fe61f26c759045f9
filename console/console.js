// The FinOps console: draws what the FinOps API (`{GW}/finops/v1/…`) answers for the key entered in the page. No
// build step: plain browser JavaScript, Chart.js served by the gateway beside it. Every figure comes from the API —
// the charts from the FOCUS rows the download gives, the budget and batches from their own routes.

(() => {
  const keyItem = "finops.console.key";
  const $ = (id) => document.getElementById(id);
  const main = $("main");
  const status = $("status");
  /** Charts by canvas id, so a redraw replaces the one before. */
  const charts = {};
  let nextBatches = null;

  const palette = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#4d7c0f", "#be185d"];
  const onDemandColour = "#475569";

  const usd = (value) => {
    const abs = Math.abs(value);
    const digits = abs === 0 ? 2 : abs < 0.01 ? 6 : abs < 1 ? 4 : 2;
    return `$${value.toFixed(digits)}`;
  };
  const isoDay = (date) => date.toISOString().slice(0, 10);
  const addDays = (day, days) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000));

  const say = (text, state) => {
    status.textContent = text;
    if (state) main.dataset.state = state;
  };

  /** The API, with the key; a refusal becomes an Error carrying the gateway's own message. */
  const api = async (path) => {
    const key = sessionStorage.getItem(keyItem);
    const response = await fetch(`v1/${path}`, { headers: { authorization: `Bearer ${key}` } });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        message = (await response.json()).error?.message ?? message;
      } catch {}
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return response;
  };

  const period = () => ({ from: $("from").value, to: $("to").value });
  const query = () => `from=${period().from}&to=${period().to}`;

  /** What a FOCUS row is grouped by: its model, its provider, or one of its tags. */
  const groupOf = (row) => {
    const by = $("by").value;
    if (by === "model") return row.x_Model || "(no model)";
    if (by === "provider") return row.ServiceProviderName;
    const tags = JSON.parse(row.Tags || "{}");
    return tags[$("tag").value.trim()] ?? "(untagged)";
  };

  const draw = (id, config) => {
    charts[id]?.destroy();
    charts[id] = new Chart($(id), {
      ...config,
      options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
    });
  };

  /**
   * Cost per day and group (stacked), the on-demand equivalent per day (a line), from the period's settled FOCUS rows;
   * batches still running as one more bar at their estimate.
   */
  const showDaily = async () => {
    const { data: all } = await (await api(`focus?${query()}&format=json`)).json();
    const rows = all.filter((row) => row.x_CostStatus === "settled");
    const estimates = all.filter((row) => row.x_CostStatus === "estimate");
    const { from, to } = period();
    const last = to > isoDay(new Date()) ? addDays(isoDay(new Date()), 1) : to;
    const days = [];
    for (let day = from; day < last && days.length < 366; day = addDays(day, 1)) days.push(day);
    const groups = [...new Set(rows.map(groupOf))].sort();
    const cost = new Map(groups.map((group) => [group, days.map(() => 0)]));
    const onDemand = days.map(() => 0);
    const running = days.map(() => 0);
    for (const row of estimates) {
      const i = days.indexOf(String(row.ChargePeriodStart).slice(0, 10));
      if (i >= 0) running[i] += row.BilledCost;
    }
    for (const row of rows) {
      const i = days.indexOf(String(row.ChargePeriodStart).slice(0, 10));
      if (i < 0) continue;
      cost.get(groupOf(row))[i] += row.BilledCost;
      onDemand[i] += row.x_OnDemandCost;
    }
    const total = rows.reduce((sum, row) => sum + row.BilledCost, 0);
    const totalOnDemand = rows.reduce((sum, row) => sum + row.x_OnDemandCost, 0);
    const batches = new Set(rows.map((row) => row.x_BatchId)).size;
    const totals = $("totals");
    totals.replaceChildren();
    for (const [term, value] of [
      ["Settled batches", String(batches)],
      ...(estimates.length > 0
        ? [["Still running (estimate)", usd(estimates.reduce((sum, row) => sum + row.BilledCost, 0))]]
        : []),
      ["Cost at batch rates", usd(total)],
      ["The same on demand", usd(totalOnDemand)],
      [
        "Saved",
        `${usd(totalOnDemand - total)}${totalOnDemand > 0 ? ` (${Math.round((1 - total / totalOnDemand) * 100)} %)` : ""}`,
      ],
    ]) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      totals.append(dt, dd);
    }
    draw("daily", {
      type: "bar",
      data: {
        labels: days,
        datasets: [
          ...groups.map((group, i) => ({
            label: group,
            data: cost.get(group),
            backgroundColor: palette[i % palette.length],
            stack: "cost",
          })),
          ...(estimates.length > 0
            ? [{ label: "Running (estimate)", data: running, backgroundColor: "#cbd5e1", stack: "cost" }]
            : []),
          {
            type: "line",
            label: "On demand",
            data: onDemand,
            borderColor: onDemandColour,
            backgroundColor: onDemandColour,
            borderDash: [6, 4],
            pointRadius: 3,
          },
        ],
      },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: (value) => usd(Number(value)) } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${usd(item.parsed.y)}`,
              footer: (items) => {
                const i = items[0]?.dataIndex ?? 0;
                const spent = groups.reduce((sum, group) => sum + cost.get(group)[i], 0);
                return `Saved ${usd(onDemand[i] - spent)}`;
              },
            },
          },
        },
      },
    });
    $("daily").setAttribute(
      "aria-label",
      `Cost per day by ${$("by").value}: ${usd(total)} in all, ${usd(totalOnDemand)} on demand`,
    );
    const head = $("daily-table").tHead;
    head.replaceChildren(row(["Day", ...groups, "Cost", "On demand", "Saved"], "th"));
    const body = $("daily-table").tBodies[0];
    body.replaceChildren(
      ...days.flatMap((day, i) => {
        const spent = groups.reduce((sum, group) => sum + cost.get(group)[i], 0);
        if (spent === 0 && onDemand[i] === 0) return [];
        return [
          row([
            day,
            ...groups.map((group) => usd(cost.get(group)[i])),
            usd(spent),
            usd(onDemand[i]),
            usd(onDemand[i] - spent),
          ]),
        ];
      }),
    );
  };

  /** The key's budget this month: used against the limit. */
  const showBudget = async () => {
    const budget = await (await api("budget")).json();
    const text = $("budget-text");
    const limit = budget.monthly;
    draw("budget", {
      type: "bar",
      data: {
        labels: [budget.month],
        datasets: [
          { label: "Spent or reserved", data: [budget.committed], backgroundColor: palette[0] },
          {
            label: "Left",
            data: [limit === null ? 0 : Math.max(0, limit - budget.committed)],
            backgroundColor: "#cbd5e1",
          },
        ],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { callback: (value) => usd(Number(value)) } },
          y: { stacked: true },
        },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${usd(item.parsed.x)}` } } },
      },
    });
    const who = budget.credential ? `Key ${budget.credential}: ` : "";
    text.textContent =
      who +
      (limit === null
        ? `No budget on this key: ${usd(budget.committed)} spent or reserved in ${budget.month}. ` +
          `The owner sets one with npm run keys -- budget --name ${budget.credential ?? "NAME"} --monthly-usd 250.`
        : `${usd(budget.committed)} of ${usd(limit)} spent or reserved in ${budget.month} ` +
          `(${Math.round((budget.committed / limit) * 100)} %), ${usd(Math.max(0, limit - budget.committed))} left.`);
    $("budget").setAttribute("aria-label", text.textContent);
  };

  const row = (cells, tag = "td") => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement(tag);
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell;
      if (tag === "th") td.scope = "col";
      tr.append(td);
    }
    return tr;
  };

  const shownId = (batch) => batch.ids?.[batch.dialect] ?? batch.id;
  const progressText = (batch) => {
    const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
    const parts = batch.progress.parts.length;
    return `${counts.completed + counts.failed} of ${counts.total} rows${counts.failed ? ` (${counts.failed} failed)` : ""}${parts > 1 ? `, ${parts} jobs` : ""}`;
  };

  /** A page of batches, newest first (`after` continues the list). */
  const showBatches = async (after) => {
    const page = await (await api(`batches?limit=20${after ? `&after=${encodeURIComponent(after)}` : ""}`)).json();
    const body = $("batches").tBodies[0];
    if (!after) body.replaceChildren();
    for (const batch of page.data) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Timeline";
      button.setAttribute("aria-label", `Timeline of ${shownId(batch)}`);
      button.addEventListener("click", () => showTimeline(batch));
      const tr = row([
        batch.created_at.replace("T", " ").slice(0, 19),
        shownId(batch),
        `${batch.provider} · ${batch.model ?? "—"}`,
        batch.status,
        progressText(batch),
        batch.cost?.batch == null ? "—" : usd(batch.cost.batch),
        batch.cost?.saved == null ? "—" : usd(batch.cost.saved),
        button,
      ]);
      tr.cells[5].className = "number";
      tr.cells[6].className = "number";
      tr.dataset.batch = batch.id;
      body.append(tr);
    }
    nextBatches = page.has_more ? page.last_id : null;
    $("more").hidden = !nextBatches;
    if (!after && page.data.length === 0)
      body.append(row(["No batches yet for this key.", "", "", "", "", "", "", ""]));
  };

  /** A batch's states (each until the next) and its upstream jobs, in seconds from its creation. */
  const showTimeline = (batch) => {
    const start = Date.parse(batch.created_at);
    const at = (iso) => (Date.parse(iso) - start) / 1000;
    const states = Object.entries(batch.status_times);
    const end = Math.max(
      ...states.map(([, time]) => at(time)),
      ...batch.progress.parts.map((p) => at(p.ended_at ?? batch.created_at)),
    );
    const spans = states.map(([state, time], i) => ({
      label: state,
      from: at(time),
      to: i + 1 < states.length ? at(states[i + 1][1]) : at(time) + Math.max(0.01 * end, 0.01),
      counts: i === states.length - 1 ? batch.request_counts : undefined,
    }));
    const jobs = batch.progress.parts.map((part) => ({
      label: `job ${part.part + 1}${part.attempt > 1 ? ` (run ${part.attempt})` : ""}`,
      from: at(part.submitted_at ?? batch.created_at),
      to: part.ended_at ? at(part.ended_at) : end,
      counts: { total: part.rows, completed: part.completed, failed: part.failed },
      state: part.state,
    }));
    const all = [...spans, ...jobs];
    $("timeline-section").hidden = false;
    $("timeline-heading").textContent = `Timeline of ${shownId(batch)}`;
    draw("timeline", {
      type: "bar",
      data: {
        labels: all.map((span) => span.label),
        datasets: [
          {
            label: "From creation (s)",
            data: all.map((span) => [span.from, span.to]),
            backgroundColor: all.map((_, i) => (i < spans.length ? palette[0] : palette[2])),
          },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, title: { display: true, text: "seconds from creation" } } },
        plugins: { legend: { display: false } },
      },
    });
    const counts = (c) => (c ? `${c.completed} completed, ${c.failed} failed of ${c.total}` : "");
    $("timeline-table").tBodies[0].replaceChildren(
      ...spans.map((span, i) =>
        row([
          span.label,
          `${span.from.toFixed(1)} s`,
          i + 1 < spans.length ? `${span.to.toFixed(1)} s` : "—",
          counts(span.counts),
        ]),
      ),
      ...jobs.map((job) =>
        row([`${job.label}: ${job.state}`, `${job.from.toFixed(1)} s`, `${job.to.toFixed(1)} s`, counts(job.counts)]),
      ),
    );
    $("timeline").setAttribute(
      "aria-label",
      `States and upstream jobs of ${shownId(batch)} over ${end.toFixed(1)} seconds`,
    );
    $("timeline-heading").focus();
  };

  const showAll = async () => {
    if (!sessionStorage.getItem(keyItem)) {
      say("Enter a key to see its batches.", "waiting");
      return;
    }
    say("Loading…", "loading");
    try {
      await Promise.all([showDaily(), showBudget(), showBatches()]);
      say(`Showing ${period().from} to ${period().to} (exclusive), UTC days.`, "ready");
    } catch (error) {
      const hint = error.status === 401 || error.status === 403 ? " Check the key, or enter another." : "";
      say(`The gateway answered: ${error.message}.${hint}`, "error");
    }
  };

  /** The period's FOCUS rows as the CSV file the API answers. */
  const download = async () => {
    try {
      const response = await api(`focus?${query()}&format=csv`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = `focus-${period().from}-to-${period().to}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say(`Downloaded the FOCUS rows of ${period().from} to ${period().to}.`);
    } catch (error) {
      say(`The download failed: ${error.message}.`, "error");
    }
  };

  const today = isoDay(new Date());
  $("from").value = `${today.slice(0, 7)}-01`;
  $("to").value = addDays(today, 1);
  $("by").addEventListener("change", () => {
    $("tag-field").hidden = $("by").value !== "tag";
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(keyItem, $("key").value.trim());
    $("key").value = "";
    showAll();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(keyItem);
    // Nothing the key showed stays on the page.
    for (const [id, chart] of Object.entries(charts)) {
      chart.destroy();
      delete charts[id];
    }
    for (const id of ["totals", "budget-text"]) $(id).replaceChildren();
    for (const id of ["daily-table", "batches", "timeline-table"]) $(id).tBodies[0].replaceChildren();
    $("timeline-section").hidden = true;
    $("more").hidden = true;
    say("The key is forgotten.", "waiting");
  });
  $("period").addEventListener("submit", (event) => {
    event.preventDefault();
    showAll();
  });
  $("download").addEventListener("click", download);
  $("more").addEventListener("click", () => nextBatches && showBatches(nextBatches));
  showAll();
})();
