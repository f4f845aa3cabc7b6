// The Zava store dashboard: one store's figures, inventory and orders, kept live by Server-Sent Events.
// No framework and no build step; the chart is plain SVG. Data is only ever set as text, never as HTML.
"use strict";

const RECENT = 50; // orders listed, as the server sends them
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const whole = new Intl.NumberFormat("en-US");
const $ = (id) => document.getElementById(id);

const state = {
  store: null,
  source: null,
  rows: new Map(), // product_id -> inventory row
  trs: new Map(), // product_id -> <tr>
  orders: [],
  items: new Map(), // order_id -> items, for the orders opened
  summaryTimer: null,
  lastEventId: null,
  firstPaintMs: null,
};
window.dashboard = state; // for the browser tests

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function say(text, kind = "info") {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

// ------------------------------------------------------------ figures and chart

function showSummary(s) {
  $("fig-orders").textContent = whole.format(s.orders_today);
  $("fig-revenue").textContent = money.format(s.revenue_today);
  $("fig-open").textContent = s.open_orders === null ? "…" : whole.format(s.open_orders);
  $("fig-low").textContent = whole.format(s.low_stock);
  drawChart(s.revenue_by_day);
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawChart(days) {
  const W = 900, H = 180, left = 56, bottom = 22, top = 8;
  const max = Math.max(1, ...days.map((d) => d.revenue));
  const step = (W - left) / days.length;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "revenue by day" });
  for (const f of [0, 0.5, 1]) {
    const y = top + (1 - f) * (H - top - bottom);
    chart.append(svg("line", { x1: left, x2: W, y1: y, y2: y, stroke: "#e6e9ed" }));
    chart.append(svg("text", { x: left - 6, y: y + 3, "text-anchor": "end" }, money.format(Math.round(max * f))));
  }
  days.forEach((d, i) => {
    const h = (d.revenue / max) * (H - top - bottom);
    const bar = svg("rect", {
      class: i === days.length - 1 ? "bar today" : "bar",
      x: left + i * step + 2, y: H - bottom - h, width: Math.max(step - 4, 1), height: h,
    });
    bar.append(svg("title", {}, `${d.day}: ${money.format(d.revenue)}, ${d.orders} orders`));
    chart.append(bar);
    if (i % 5 === 0 || i === days.length - 1) {
      chart.append(svg("text", { x: left + i * step + step / 2, y: H - 6, "text-anchor": "middle" }, d.day.slice(5)));
    }
  });
  $("chart").replaceChildren(chart);
}

function refreshSummarySoon() {
  clearTimeout(state.summaryTimer);
  const store = state.store;
  state.summaryTimer = setTimeout(async () => {
    try {
      const s = await api(`/api/stores/${store}/summary`);
      if (store === state.store) showSummary(s);
    } catch (e) { /* the next event tries again */ }
  }, 200);
}

// ------------------------------------------------------------ inventory

function fillRow(tr, r) {
  const input = tr.querySelector("input.stock-input");
  tr.className = r.low_stock ? "low" : "";
  tr.dataset.aisle = r.aisle;
  tr.dataset.text = `${r.product_name} ${r.sku}`.toLowerCase();
  const cells = tr.children;
  cells[0].textContent = r.product_name;
  cells[1].textContent = r.sku;
  cells[2].textContent = r.aisle;
  cells[3].textContent = r.shelf;
  cells[4].textContent = r.bin;
  cells[5].textContent = whole.format(r.stock_level);
  cells[6].textContent = whole.format(r.reorder_threshold);
  if (document.activeElement !== input) input.value = r.stock_level;
}

function newRow(r) {
  const input = el("input", { class: "stock-input", type: "text", inputmode: "numeric", "aria-label": `stock of ${r.sku}` });
  const form = el("form", { onsubmit: (e) => { e.preventDefault(); setStock(r.product_id, input.value); } },
    input, " ", el("button", { type: "submit" }, "Set"));
  const tr = el("tr", { "data-product": r.product_id },
    el("td", { class: "name" }), el("td"), el("td"), el("td"), el("td"),
    el("td", { class: "num stock" }), el("td", { class: "num" }), el("td", {}, form));
  fillRow(tr, r);
  return tr;
}

function renderInventory(rows) {
  state.rows = new Map(rows.map((r) => [r.product_id, r]));
  state.trs = new Map();
  const body = document.querySelector("#inventory tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = newRow(r);
    state.trs.set(r.product_id, tr);
    return tr;
  }));
  const aisles = [...new Set(rows.map((r) => r.aisle))].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const select = $("filter-aisle");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "All aisles"), ...aisles.map((a) => el("option", { value: a }, `Aisle ${a}`)));
  select.value = aisles.includes(chosen) ? chosen : "";
  applyFilter();
}

function applyFilter() {
  const text = $("filter-text").value.trim().toLowerCase();
  const aisle = $("filter-aisle").value;
  const lowOnly = $("filter-low").checked;
  let shown = 0;
  for (const [id, tr] of state.trs) {
    const r = state.rows.get(id);
    const visible = (!text || tr.dataset.text.includes(text)) && (!aisle || r.aisle === aisle) && (!lowOnly || r.low_stock);
    tr.hidden = !visible;
    shown += visible;
  }
  $("inventory-count").textContent = `${whole.format(shown)} of ${whole.format(state.trs.size)} lines`;
}

function flash(tr) {
  tr.classList.remove("flash");
  void tr.offsetWidth; // restart the animation
  tr.classList.add("flash");
}

function applyInventory(r) {
  const tr = state.trs.get(r.product_id);
  if (r.deleted) {
    if (tr) { tr.remove(); state.trs.delete(r.product_id); state.rows.delete(r.product_id); applyFilter(); }
    return;
  }
  state.rows.set(r.product_id, r);
  if (!tr) { renderInventory([...state.rows.values()]); return; }
  fillRow(tr, r);
  flash(tr);
  applyFilter();
}

async function setStock(productId, raw) {
  const text = raw.trim();
  const value = /^-?\d+$/.test(text) ? Number(text) : text; // the server validates and explains
  const r = state.rows.get(productId);
  try {
    const row = await api(`/api/stores/${state.store}/inventory/${productId}`, { stock_level: value });
    applyInventory(row);
    say(`Stock of ${row.product_name} (${row.sku}) set to ${whole.format(row.stock_level)}.`);
    refreshSummarySoon();
  } catch (e) {
    say(`Not saved: ${e.message}`, "error");
    const tr = state.trs.get(productId);
    if (tr && r) tr.querySelector("input.stock-input").value = r.stock_level;
  }
}

// ------------------------------------------------------------ orders

const MOVE_LABELS = { shipped: "Mark shipped", completed: "Mark completed" };

function renderOrders() {
  const body = document.querySelector("#orders tbody");
  const rows = [];
  for (const o of state.orders) {
    const moves = o.moves.map((m) => el("button", { type: "button", onclick: () => moveOrder(o.order_id, m) }, MOVE_LABELS[m] || m));
    const toggle = el("button", { type: "button", class: "items-toggle", onclick: () => toggleItems(o.order_id) },
      state.items.has(o.order_id) ? "Hide items" : "Items");
    rows.push(el("tr", { "data-order": o.order_id },
      el("td", {}, o.order_id), el("td", {}, o.order_date.replace("T", " ").replace("Z", "")), el("td", { class: "name" }, o.customer_name),
      el("td", { class: "num" }, o.item_count), el("td", { class: "num" }, money.format(o.total)),
      el("td", {}, el("span", { class: `status ${o.status}` }, o.status)), el("td", {}, toggle, " ", ...moves)));
    const items = state.items.get(o.order_id);
    if (items) {
      const text = items.map((i) => `${i.quantity} × ${i.product_name} (${i.sku}) ${money.format(i.line_total)}`).join("; ");
      rows.push(el("tr", { class: "items" }, el("td", { colspan: 7 }, text || "no items")));
    }
  }
  body.replaceChildren(...rows);
}

function applyOrder(o) {
  const at = state.orders.findIndex((x) => x.order_id === o.order_id);
  if (o.deleted) { if (at >= 0) state.orders.splice(at, 1); }
  else if (at >= 0) state.orders[at] = o;
  else {
    state.orders.push(o);
    state.orders.sort((a, b) => (a.order_date < b.order_date ? 1 : a.order_date > b.order_date ? -1 : 0));
    state.orders = state.orders.slice(0, RECENT);
  }
  renderOrders();
  const tr = document.querySelector(`#orders tr[data-order="${o.order_id}"]`);
  if (tr) flash(tr);
}

async function toggleItems(orderId) {
  if (state.items.has(orderId)) state.items.delete(orderId);
  else {
    try { state.items.set(orderId, await api(`/api/orders/${orderId}/items`)); }
    catch (e) { say(`Items of ${orderId}: ${e.message}`, "error"); }
  }
  renderOrders();
}

async function moveOrder(orderId, status) {
  try {
    const o = await api(`/api/orders/${orderId}/status`, { status });
    applyOrder(o);
    say(`Order ${o.order_id} is now ${o.status}.`);
    refreshSummarySoon();
  } catch (e) {
    say(`Not saved: ${e.message}`, "error");
  }
}

// ------------------------------------------------------------ loading and the live feed

function showPage(page) {
  $("store-name").textContent = page.store.store_name;
  document.title = `${page.store.store_name}: Zava dashboard`;
  showSummary(page.summary);
  renderInventory(page.inventory);
  state.orders = page.orders;
  state.items = new Map();
  renderOrders();
  if (state.firstPaintMs === null) state.firstPaintMs = performance.now();
}

function setLive(on, text) {
  $("live").className = on ? "live-on" : "live-off";
  $("live").textContent = text;
}

function listen() {
  if (state.source) state.source.close();
  const store = state.store;
  const resume = state.lastEventId ? `?last_event_id=${encodeURIComponent(state.lastEventId)}` : "";
  const source = new EventSource(`/api/stores/${store}/events${resume}`);
  state.source = source;
  const remember = (e) => { if (e.lastEventId) state.lastEventId = e.lastEventId; };
  source.addEventListener("hello", (e) => {
    remember(e);
    const hello = JSON.parse(e.data);
    setLive(true, "live");
    if (hello.page) showPage(hello.page); // a fresh stream brings the whole page; a resumed one only changes
  });
  source.addEventListener("inventory", (e) => { remember(e); applyInventory(JSON.parse(e.data)); refreshSummarySoon(); });
  source.addEventListener("order", (e) => { remember(e); applyOrder(JSON.parse(e.data)); refreshSummarySoon(); });
  source.addEventListener("summary", (e) => { remember(e); showSummary(JSON.parse(e.data)); });
  source.addEventListener("ping", remember);
  source.onerror = () => {
    if (source !== state.source) return;
    setLive(false, "reconnecting…");
    if (source.readyState === EventSource.CLOSED) setTimeout(() => { if (source === state.source) listen(); }, 2000);
  };
}

function switchStore(store) {
  state.store = store;
  state.lastEventId = null;
  const url = new URL(location.href);
  url.searchParams.set("store", store);
  history.replaceState(null, "", url);
  $("store-switcher").value = store;
  setLive(false, "connecting…");
  listen();
}

async function start() {
  for (const id of ["filter-text", "filter-aisle", "filter-low"]) $(id).addEventListener("input", applyFilter);
  const stores = await api("/api/stores");
  $("store-switcher").replaceChildren(...stores.stores.map((s) => el("option", { value: s.store_id }, s.store_name)));
  $("store-switcher").addEventListener("change", (e) => switchStore(e.target.value));
  const wanted = new URL(location.href).searchParams.get("store");
  switchStore(stores.stores.some((s) => s.store_id === wanted) ? wanted : stores.default_store);
}

start().catch((e) => say(`Could not start: ${e.message}`, "error"));
