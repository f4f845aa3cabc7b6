// The Zava store dashboard: one store's figures, inventory and orders, kept live by Server-Sent Events.
// No framework and no build step; the chart is plain SVG. Data is only ever set as text, never as HTML.
// The server's Content-Security-Policy allows this file and style.css only: no inline script or style.
"use strict";

const RECENT = 50; // orders listed, as the server sends them
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const whole = new Intl.NumberFormat("en-US");
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "zava-dashboard-token";
const RETRY_MAX_MS = 30000; // a refused live feed (the server's page limit, say) is retried up to this far apart

const state = {
  store: null,
  source: null,
  rows: new Map(), // product_id -> inventory row
  trs: new Map(), // product_id -> <tr>
  orders: [],
  items: new Map(), // order_id -> items, for the orders opened
  token: null, // the dashboard's token, when it asks for one: from ?token= once, then kept for this tab
  readOnly: false,
  lastEventId: null,
  retryMs: 2000,
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

function takeToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given !== null) { // kept for this tab and taken out of the address bar
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, body) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  const options = body === undefined ? { headers } : {
    method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body),
    referrerPolicy: "same-origin", // the page's no-referrer policy may send "Origin: null": this sends its origin
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
  if (input && document.activeElement !== input) input.value = r.stock_level;
}

function stockForm(r) {
  const input = el("input", { class: "stock-input", type: "text", inputmode: "numeric", "aria-label": `stock of ${r.sku}` });
  return el("form", { onsubmit: (e) => { e.preventDefault(); setStock(r.product_id, input.value); } },
    input, el("button", { type: "submit" }, "Set"));
}

function newRow(r) {
  // data-label: each cell's heading, shown beside it where a narrow screen lays the rows out as cards
  const tr = el("tr", { "data-product": r.product_id },
    el("td", { class: "name" }), el("td", { "data-label": "SKU" }), el("td", { "data-label": "Aisle" }),
    el("td", { "data-label": "Shelf" }), el("td", { "data-label": "Bin" }),
    el("td", { class: "num stock", "data-label": "Stock" }), el("td", { class: "num", "data-label": "Threshold" }),
    el("td", { class: "write" }, ...(state.readOnly ? [] : [stockForm(r)])));
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
    const moves = state.readOnly ? [] : o.moves.map((m) =>
      el("button", { type: "button", onclick: () => moveOrder(o.order_id, m) }, MOVE_LABELS[m] || m));
    const toggle = el("button", { type: "button", class: "items-toggle", onclick: () => toggleItems(o.order_id) },
      state.items.has(o.order_id) ? "Hide items" : "Items");
    rows.push(el("tr", { "data-order": o.order_id },
      el("td", { class: "id" }, o.order_id), el("td", {}, o.order_date.replace("T", " ").replace("Z", "")),
      el("td", { class: "name" }, o.customer_name), el("td", { class: "num", "data-label": "Items" }, o.item_count),
      el("td", { class: "num" }, money.format(o.total)), el("td", {}, el("span", { class: `status ${o.status}` }, o.status)),
      el("td", { class: "actions" }, toggle, ...moves)));
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
  const query = new URLSearchParams(); // an EventSource sends no headers of its own: the token goes in the query
  if (state.token) query.set("token", state.token);
  if (state.lastEventId) query.set("last_event_id", state.lastEventId);
  const source = new EventSource(`/api/stores/${state.store}/events?${query}`);
  state.source = source;
  const remember = (e) => { if (e.lastEventId) state.lastEventId = e.lastEventId; };
  source.addEventListener("hello", (e) => {
    remember(e);
    const hello = JSON.parse(e.data);
    state.retryMs = 2000;
    setLive(true, "live");
    if (hello.page) showPage(hello.page); // a fresh stream brings the whole page; a resumed one only changes
  });
  source.addEventListener("inventory", (e) => { remember(e); applyInventory(JSON.parse(e.data)); });
  source.addEventListener("order", (e) => { remember(e); applyOrder(JSON.parse(e.data)); });
  source.addEventListener("summary", (e) => { remember(e); showSummary(JSON.parse(e.data)); });
  source.addEventListener("ping", remember);
  source.onerror = () => {
    if (source !== state.source) return;
    setLive(false, "reconnecting…");
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    setTimeout(() => { if (source === state.source) listen(); }, state.retryMs); // refused: try again, less often
    state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
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
  state.token = takeToken();
  const stores = await api("/api/stores");
  state.readOnly = stores.read_only;
  document.body.classList.toggle("read-only", state.readOnly);
  $("store-switcher").replaceChildren(...stores.stores.map((s) => el("option", { value: s.store_id }, s.store_name)));
  $("store-switcher").addEventListener("change", (e) => switchStore(e.target.value));
  const wanted = new URL(location.href).searchParams.get("store");
  switchStore(stores.stores.some((s) => s.store_id === wanted) ? wanted : stores.default_store);
}

start().catch((e) => say(`Could not start: ${e.message}`, "error"));
