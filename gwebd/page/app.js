/*
 * app.js - gwebd's page: the printers, the queue and the history of
 * gspool, pushed by gwebd (Server-Sent Events), and the account's
 * actions on them.
 *
 * Security: every title, name, reason and prompt comes from users or
 * from a printer, so text reaches the page only through textContent,
 * never as markup; the page loads nothing but gwebd's own files and
 * answers (its Content-Security-Policy is default-src 'self', with no
 * inline script or style).  The session is an HttpOnly cookie this
 * script never sees; writes are same-origin POSTs, which carry the
 * Origin gwebd checks.
 *
 * Diagnostics: a refusal is shown as gwebd words it ("line 1207: M104
 * S305 above max_hotend 285"), next to what was asked; a lost event
 * stream says so and reconnects by itself.
 */
"use strict";

const api = "/api/gspool/";
const state = { me: null, queue: null, events: null, cams: {},
    videos: {} };
window.gspoolCsp = 0;
window.gspoolEvents = 0;
document.addEventListener("securitypolicyviolation", () => {
	window.gspoolCsp++;
	document.body.dataset.csp = String(window.gspoolCsp);
});

function $(id) {
	return document.getElementById(id);
}

/* el("p", {className: "x"}, "text", child...): attributes set as
 * properties, children as text nodes or elements. */
function el(tag, props, ...kids) {
	const e = document.createElement(tag);
	Object.assign(e, props || {});
	for (const k of kids)
		if (k !== null && k !== undefined && k !== false)
			e.append(typeof k === "string" ? document.createTextNode(k) : k);
	return e;
}

function notice(text) {
	$("notice").textContent = text;
}

function duration(s) {
	if (s === null || s === undefined || !isFinite(s) || s < 0)
		return "–";
	s = Math.round(s);
	const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
	const ss = String(s % 60).padStart(2, "0");
	return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + ss :
	    m + ":" + ss;
}

function clock(t) {
	if (!t)
		return "–";
	return new Date(t * 1000).toLocaleTimeString([], {hour: "2-digit",
	    minute: "2-digit"});
}

function when(t) {
	return t ? new Date(t * 1000).toLocaleString() : "–";
}

/* A POST to gwebd; resolves to the answer's JSON, rejects with its
 * error's words. */
async function post(path, body) {
	const r = await fetch(api + path, {method: "POST", body: body,
	    credentials: "same-origin"});
	let o = {};
	if (r.status !== 204)
		o = await r.json().catch(() => ({error: r.status + " " + r.statusText}));
	if (!r.ok)
		throw new Error(o.error || r.status + " " + r.statusText);
	return o;
}

async function get(path) {
	const r = await fetch(api + path, {credentials: "same-origin"});
	const o = await r.json().catch(() => ({error: r.statusText}));
	if (!r.ok)
		throw new Error(o.error || r.status + " " + r.statusText);
	return o;
}

/* An action's button: runs it, says what came of it (with the
 * printer's answer to G-code sent by hand).  With sure, a question to
 * confirm it first. */
function action(label, what, path, body, sure) {
	const b = el("button", {type: "button", textContent: label});
	b.addEventListener("click", async () => {
		if (sure && !window.confirm(sure))
			return;
		b.disabled = true;
		try {
			const o = await post(path, body ? body() : undefined);
			notice(what + ": done" + (o.answer ? ": " + o.answer : ""));
		} catch (e) {
			notice(what + ": " + e.message);
		}
		b.disabled = false;
	});
	return b;
}

/* The administrators' controls (gpc's): offered to an account with
 * admin = yes alone, and refused by spoold to anyone else whatever a
 * page sends. */
function admin() {
	return state.me && !state.me.anonymous && state.me.admin;
}

/* A labelled field for an action's argument: [label, input]. */
function field(id, label, props) {
	const i = el(props && props.tag || "input", Object.assign({id: id,
	    name: id}, props || {}));
	delete i.tag;
	return [el("label", {htmlFor: id, textContent: label}), i];
}

/* Anonymous reading ([web] anonymous) never writes: no buttons. */
function mine(j) {
	return state.me && !state.me.anonymous && (state.me.admin || j.own ||
	    j.owner === state.me.account);
}

function heaterText(h) {
	let t = h.name + " " + Number(h.actual).toFixed(1) + " °C";
	if (h.target)
		t += " → " + Number(h.target).toFixed(0) + " °C";
	if (h.stale)
		t += " (not heard lately)";
	return t;
}

function progressBlock(p, pr) {
	const s = pr.status || {};
	const g = s.progress;
	if (!g)
		return null;
	const frac = g.time_fraction !== undefined ? g.time_fraction : pr.progress;
	const pct = Math.max(0, Math.min(100, 100 * (frac || 0)));
	const bar = el("progress", {max: 100, value: pct,
	    className: "bar"});
	bar.setAttribute("aria-label", "Progress of " + pr.name);
	return el("div", {className: "progress"}, bar,
	    el("p", {className: "layer"}, "Layer " + g.layer + " of " +
	        g.layers + " · " + pct.toFixed(0) + " %"),
	    el("p", {className: "times"}, "Elapsed " + duration(g.elapsed) +
	        " · remaining " + duration(g.remaining) + " · done at " +
	        clock(g.finish)));
}

function promptBlock(pr) {
	if (!pr.prompt)
		return null;
	const box = el("div", {className: "prompt", role: "group"},
	    el("p", {}, el("strong", {}, "The printer asks: "), pr.prompt));
	if (!state.me || state.me.anonymous)
		return box;
	(pr.prompt_buttons || []).forEach((b, i) => {
		box.append(action(b, pr.name + ": answer " + b,
		    "printers/" + encodeURIComponent(pr.name) + "/answer",
		    () => new URLSearchParams({choice: String(i)})));
	});
	return box;
}

function printerActions(pr) {
	const n = encodeURIComponent(pr.name);
	const job = (state.queue.jobs || []).find(j => j.id === pr.job);
	const box = el("div", {className: "actions"});
	const act = (pr.status && pr.status.activity) || pr.activity || "";
	if (job && mine(job)) {
		if (act === "paused")
			box.append(action("Resume", pr.name + ": resume",
			    "printers/" + n + "/resume"));
		else
			box.append(action("Pause", pr.name + ": pause",
			    "printers/" + n + "/pause"));
	}
	if ((pr.state === "awaiting-clear" || act === "awaiting-clear") &&
	    state.me && !state.me.anonymous)
		box.append(action("The bed is clear", pr.name + ": bed clear",
		    "printers/" + n + "/ready"));
	if (admin() && pr.job)
		box.append(action("Abort", pr.name + ": abort", "printers/" +
		    n + "/abort", null, "Abort the print on " + pr.name +
		    " at once (an emergency stop)?"));
	return box.childNodes.length ? box : null;
}

/* The webcam, as gwebd says the printer has one (pr.camera): the MJPEG
 * relay ("stream"), else the snapshot every 10 s.  A frame that fails
 * (a Wi-Fi drop, the camera or the printer rebooting, gwebd restarted)
 * leaves "Camera unavailable" in its place, not a broken image, and is
 * asked for again, the stream first, after 2 s, then 4, 8, 16 and 30 s
 * at most, until one comes: then the frame is shown and the wait is
 * 2 s again. */
const CAM_RETRY_MS = 2000, CAM_RETRY_MAX_MS = 30000, CAM_POLL_MS = 10000;
/* A stream with no frame in so long is a failure too: the relay may
 * hold the request open, and the browser then says nothing. */
const CAM_STALL_MS = 15000;

function camUrl(pr, kind) {
	return api + "printers/" + encodeURIComponent(pr.name) + "/" + kind +
	    "?t=" + Date.now();
}

function camTry(pr, c) {
	clearTimeout(c.timer);
	c.kind = pr.camera === "stream" ? "stream" : "snapshot";
	c.img.src = camUrl(pr, c.kind);
	if (c.kind === "stream")
		c.timer = setTimeout(() => camFailed(pr, c), CAM_STALL_MS);
}

/* The frame did not come: the snapshot after the stream, else the
 * notice and the next try after the backoff. */
function camFailed(pr, c) {
	if (c.dead)
		return;
	clearTimeout(c.timer);
	if (c.kind === "stream") {
		/* No relay now: the frame spoold keeps, if any. */
		c.kind = "snapshot";
		c.img.src = camUrl(pr, "snapshot");
		return;
	}
	c.img.removeAttribute("src");
	c.img.hidden = true;
	c.off.hidden = false;
	c.off.textContent = "Camera unavailable: trying again in " +
	    Math.round(c.delay / 1000) + " s";
	c.box.dataset.cam = "off";
	c.box.dataset.retries = String(Number(c.box.dataset.retries || 0) + 1);
	c.timer = setTimeout(() => camTry(pr, c), c.delay);
	c.delay = Math.min(c.delay * 2, CAM_RETRY_MAX_MS);
}

function camera(pr) {
	if (!pr.camera)
		return null;
	let c = state.cams[pr.name];
	if (c && pr.camera !== c.camera) {
		/* Its camera changed with the configuration: a new one. */
		c.dead = true;
		clearTimeout(c.timer);
		c.img.removeAttribute("src");
		c = null;
	}
	if (c)
		return c.box;
	c = state.cams[pr.name] = {camera: pr.camera, delay: CAM_RETRY_MS};
	c.img = el("img", {className: "cam", alt: "Webcam of " + pr.name});
	c.off = el("p", {className: "cam-off quiet", hidden: true},
	    "Camera unavailable");
	c.box = el("div", {className: "cam-box"}, c.img, c.off);
	c.img.addEventListener("load", () => {
		if (c.dead)
			return;
		clearTimeout(c.timer);
		c.img.hidden = false;
		c.off.hidden = true;
		c.box.dataset.cam = "live";
		c.delay = CAM_RETRY_MS;
		if (c.kind === "snapshot")
			c.timer = setTimeout(() => {
				c.img.src = camUrl(pr, "snapshot");
			}, CAM_POLL_MS);
	});
	c.img.addEventListener("error", () => {
		/* An error from a source let go is not this one's. */
		if (c.img.getAttribute("src"))
			camFailed(pr, c);
	});
	camTry(pr, c);
	return c.box;
}

/* A job's thumbnail, as gwebd serves it: to its owner and the
 * administrators, and to anyone who sees its title (show_titles; else
 * another's is "(hidden)", and its thumbnail refused). */
function thumbnail(job) {
	if (!job || !(mine(job) || job.title !== "(hidden)") || !job.meta ||
	    !(job.meta.thumbnails || []).length)
		return null;
	return el("img", {className: "thumb", alt: "Thumbnail of " +
	    (job.title || job.name), src: api + "jobs/" + job.id + "/thumbnail"});
}

function printerCard(pr) {
	const s = pr.status || {};
	const act = s.activity || pr.activity || pr.state;
	const job = (state.queue.jobs || []).find(j => j.id === pr.job);
	const card = el("article", {className: "printer"});
	card.dataset.printer = pr.name;
	card.append(el("h3", {}, pr.name, el("span", {className: "activity " +
	    act}, act)));
	if (s.reason)
		card.append(el("p", {className: "reason"}, s.reason));
	if (pr.enabled === false)
		card.append(el("p", {className: "reason dest-off"}, "Disabled" +
		    (pr.disabled_reason ? ": " + pr.disabled_reason : "")));
	if (pr.accepting === false)
		card.append(el("p", {className: "reason dest-off"}, "Not" +
		    " accepting jobs" + (pr.rejecting_reason ? ": " +
		    pr.rejecting_reason : "")));
	if (pr.state === "awaiting-clear")
		card.append(el("p", {className: "clear"}, "The bed holds the" +
		    " last job: take it off, then say the bed is clear."));
	else if (pr.state === "error")
		card.append(el("p", {className: "reason"}, pr.state +
		    (pr.message ? ": " + pr.message : "")));
	/* What its tools hold, as gpc load or the configuration says. */
	if ((s.materials || []).length)
		card.append(el("p", {className: "loaded"}, "Loaded: " +
		    s.materials.map((m, i) => "T" + i + " " + (typeof m ===
		    "string" ? m : "none")).join(", ")));
	const heaters = el("ul", {className: "heaters"});
	for (const h of s.heaters || [])
		heaters.append(el("li", {}, heaterText(h)));
	card.append(heaters);
	if (job)
		card.append(el("p", {className: "jobline"}, "Printing " +
		    (job.title || job.name) + " (" + job.name + ", " +
		    job.owner + ")"));
	for (const part of [thumbnail(job), progressBlock(pr.status, pr),
	    promptBlock(pr), printerActions(pr), camera(pr)])
		if (part)
			card.append(part);
	return card;
}

function jobItem(j, history) {
	const li = el("li", {className: "job"});
	const title = j.title || j.name;
	const open = el("button", {type: "button", className: "link",
	    textContent: title});
	open.addEventListener("click", () => showJob(j.id));
	li.append(open, el("span", {className: "quiet"}, " " + j.name + " · " +
	    j.owner + " · " + j.state + (j.reason ? ": " + j.reason : "")));
	if (history) {
		li.append(el("span", {className: "quiet"}, " · " +
		    when(j.finished)));
		/* A timelapse its filter reported, of a job the account may
		 * watch (its owner's and the administrators'). */
		if (!mine(j) || !(j.attributes || {})["timelapse.video"])
			return li;
		/* A video opened stays, playing, when the history is
		 * drawn anew. */
		if (state.videos[j.id]) {
			li.append(" ", state.videos[j.id]);
			return li;
		}
		const play = el("button", {type: "button", textContent:
		    "Timelapse"});
		play.addEventListener("click", () => {
			const v = el("video", {controls: true,
			    preload: "metadata", className: "timelapse",
			    src: api + "jobs/" + j.id + "/timelapse"});
			v.setAttribute("aria-label", "Timelapse of " + title);
			v.addEventListener("error", () => {
				delete state.videos[j.id];
				v.replaceWith(el("span", {className: "quiet"},
				    " The timelapse could not be played."));
			});
			state.videos[j.id] = v;
			play.replaceWith(v);
		});
		li.append(" ", play);
		return li;
	}
	if (mine(j)) {
		const acts = el("span", {className: "actions"});
		acts.append(action("Cancel", j.name + ": cancel", "jobs/" +
		    j.id + "/cancel"));
		if (j.state === "held")
			acts.append(action("Release", j.name + ": release",
			    "jobs/" + j.id + "/release"));
		else if (j.state === "pending")
			acts.append(action("Hold", j.name + ": hold", "jobs/" +
			    j.id + "/hold"));
		li.append(acts);
	}
	return li;
}

function render(q) {
	const prev = state.queue;
	state.queue = q;
	const ps = $("printers");
	/* The printers' cards are drawn anew with every event; a keyboard's
	 * focus on one of their buttons goes to the same button of the new
	 * card, so that it is not lost twice a second while a job prints. */
	const f = document.activeElement;
	const fcard = f && ps.contains(f) ? f.closest("[data-printer]") : null;
	const fkey = fcard ? [fcard.dataset.printer, f.tagName,
	    f.textContent] : null;
	ps.replaceChildren(...(q.printers || []).map(printerCard));
	if (fkey) {
		const card = [...ps.querySelectorAll("[data-printer]")].find(c =>
		    c.dataset.printer === fkey[0]);
		const same = card ? [...card.querySelectorAll(fkey[1])].find(e =>
		    e.textContent === fkey[2]) : null;
		if (same)
			same.focus();
		else if (card) {
			card.tabIndex = -1;
			card.focus();
		}
	}
	const jobs = (q.jobs || []);
	/* The queue is redrawn only when it changed, so that a keyboard's
	 * focus on it stays put while the printers' figures move. */
	const key = JSON.stringify(jobs.map(j => [j.id, j.name, j.state,
	    j.title, j.owner, j.reason]));
	if (key !== state.queueKey) {
		state.queueKey = key;
		$("queue").replaceChildren(...(jobs.length ? jobs.map(j => jobItem(j,
		    false)) : [el("li", {className: "quiet"},
		    "Nothing queued.")]));
	}
	const dest = $("upload-dest");
	const names = ["", ...(q.printers || []).map(p => p.name),
	    ...(q.classes || []).map(c => c.name || c)];
	state.dests = names.slice(1);
	if (dest.options.length !== names.length) {
		const keep = dest.value;
		dest.replaceChildren(...names.map(n => el("option", {value: n,
		    textContent: n || "Any (the default)"})));
		dest.value = keep;
	}
	const ad = $("admin-dest");
	if (ad.options.length !== state.dests.length) {
		const keep = ad.value;
		ad.replaceChildren(...state.dests.map(n => el("option", {value: n,
		    textContent: n})));
		if (keep)
			ad.value = keep;
	}
	/* A job left the queue: the history has it now. */
	const ids = new Set(jobs.map(j => j.id));
	if (prev && (prev.jobs || []).some(j => !ids.has(j.id)))
		loadHistory();
}

async function loadHistory() {
	try {
		const h = await get("history");
		const jobs = (h.jobs || []).slice().reverse();
		$("history").replaceChildren(...(jobs.length ? jobs.map(j =>
		    jobItem(j, true)) : [el("li", {className: "quiet"},
		    "No finished jobs yet.")]));
	} catch (e) {
		notice("history: " + e.message);
	}
}

async function showJob(id) {
	let j;
	try {
		j = await get("jobs/" + id);
	} catch (e) {
		notice("job " + id + ": " + e.message);
		return;
	}
	const a = j.analysis || j.meta || {};
	const dl = $("job");
	const row = (k, v) => [el("dt", {}, k), el("dd", {}, String(v))];
	const fil = (a.filament_mm || []).map(x => (x / 1000).toFixed(2) +
	    " m").join(", ");
	const box = a.bbox ? a.bbox.min.join(" ") + " to " +
	    a.bbox.max.join(" ") + " mm" : "–";
	dl.replaceChildren(...row("Job", j.name + " (" + (j.title || "") + ")"),
	    ...row("Owner", j.owner), ...row("State", j.state +
	        (j.reason ? ": " + j.reason : "")),
	    ...row("Layers", a.layers === undefined ? "–" : a.layers),
	    ...row("Estimated time", duration(a.estimated_seconds)),
	    ...row("Filament", fil || "–"), ...row("Size", box),
	    ...row("Slicer", ((a.slicer || "") + " " +
	        (a.slicer_version || "")).trim() || "–"),
	    ...row("Accepted", a.accepted === false ? "no" : "yes"));
	const rs = [...(j.reasons || a.reasons || []),
	    ...(a.warnings || [])].map(r => typeof r === "string" ? r :
	    (r.line ? "line " + r.line + ": " : "") + (r.reason || r.message ||
	    r.text || JSON.stringify(r)));
	$("job-reasons").replaceChildren(...(rs.length ? rs.map(r => el("li",
	    {}, r)) : [el("li", {className: "quiet"}, "None.")]));
	$("job-admin").replaceChildren(...(admin() ? jobAdmin(j) : []));
	$("job-h").textContent = "Job " + j.name;
	$("job-section").hidden = false;
	$("job-h").focus();
}

/* An administrator's actions on one job (gpc's top, priority, move,
 * resume-from, approve and deny); the section is not redrawn by the
 * event stream, so what is typed here stays. */
function jobAdmin(j) {
	const p = "jobs/" + j.id + "/";
	const w = j.name;
	const out = [el("h3", {}, "Administration")];
	const form = (kids, ...buttons) => el("div", {className: "admin-row"},
	    ...kids, el("p", {className: "buttons"}, ...buttons));
	if (j.state === "pending" || j.state === "held") {
		out.push(el("p", {className: "buttons"}, action("Move to the top",
		    w + ": top", p + "top")));
		const pri = field("job-priority", "Priority (1 to 100)",
		    {type: "number", min: 1, max: 100, value: j.priority || 50});
		out.push(form(pri, action("Set the priority", w + ": priority",
		    p + "priority", () => new URLSearchParams({priority:
		    pri[1].value}))));
		const mv = field("job-move", "Move to", {tag: "select"});
		mv[1].append(...(state.dests || []).filter(n => n !==
		    j.destination).map(n => el("option", {value: n,
		    textContent: n})));
		out.push(form(mv, action("Move", w + ": move", p + "move", () =>
		    new URLSearchParams({dest: mv[1].value}))));
	}
	if (j.approval) {
		const note = field("job-note", "Note (approve) or reason (deny)",
		    {maxLength: 200});
		out.push(form(note, action("Approve", w + ": approve", p +
		    "approve", () => new URLSearchParams({note: note[1].value})),
		    action("Deny", w + ": deny", p + "deny", () =>
		    new URLSearchParams({reason: note[1].value}))));
	}
	if (j.state === "stopped") {
		const layer = field("job-layer", "Resume from layer",
		    {type: "number", min: 1, value: j.layer || 1});
		out.push(form(layer, action("Resume from this layer", w +
		    ": resume-from", p + "resume-from", () =>
		    new URLSearchParams({layer: layer[1].value}))));
	}
	return out.length > 1 ? out : [];
}

/* The administrators' section: a printer's or class's enable, disable,
 * accept and reject (with the reason others see), and G-code sent by
 * hand to an idle printer. */
function adminSetup() {
	const dest = () => encodeURIComponent($("admin-dest").value);
	const reason = () => new URLSearchParams({reason:
	    $("admin-reason").value});
	const verbs = [["Disable", "disable"], ["Enable", "enable"],
	    ["Reject jobs", "reject"], ["Accept jobs", "accept"]];
	$("admin-buttons").replaceChildren(...verbs.map(([label, v]) => {
		const b = el("button", {type: "button", textContent: label});
		b.dataset.verb = v;
		b.addEventListener("click", async () => {
			const d = $("admin-dest").value;
			try {
				await post("printers/" + dest() + "/" + v, v ===
				    "disable" || v === "reject" ? reason() : undefined);
				notice(d + ": " + v + ": done");
			} catch (e) {
				notice(d + ": " + v + ": " + e.message);
			}
		});
		return b;
	}));
	/* gpc load: what a tool holds now. */
	$("admin-load").addEventListener("submit", async ev => {
		ev.preventDefault();
		const d = $("admin-dest").value;
		try {
			const o = await post("printers/" + dest() + "/load",
			    new URLSearchParams({tool: $("admin-tool").value,
			    material: $("admin-material").value}));
			notice(d + ": " + (o.loaded || "nothing") + " loaded");
		} catch (e) {
			notice(d + ": load: " + e.message);
		}
	});
	$("admin-send").addEventListener("submit", async ev => {
		ev.preventDefault();
		const d = $("admin-dest").value;
		try {
			const o = await post("printers/" + dest() + "/send",
			    new URLSearchParams({gcode: $("admin-gcode").value}));
			notice(d + ": sent" + (o.answer ? ": " + o.answer : ""));
		} catch (e) {
			notice(d + ": send: " + e.message);
		}
	});
}

function connect() {
	if (state.events)
		state.events.close();
	const es = new EventSource(api + "events");
	state.events = es;
	es.addEventListener("queue", ev => {
		window.gspoolEvents++;
		$("link").textContent = "Live";
		try {
			render(JSON.parse(ev.data));
		} catch (e) {
			notice("events: " + e.message);
		}
	});
	/* What a finished job's filters reported later (its timelapse). */
	es.addEventListener("history", () => loadHistory());
	es.addEventListener("error", () => {
		$("link").textContent = "Connection to gwebd lost; trying again…";
	});
}

function signedIn(me) {
	state.me = me;
	$("who-name").textContent = me.account + (me.admin ? " (admin)" : "");
	$("who").hidden = me.anonymous === true;
	/* A reader without an account may still log in. */
	$("login-section").hidden = me.anonymous !== true;
	$("upload-section").hidden = me.anonymous === true;
	$("admin-section").hidden = !admin();
	$("app").hidden = false;
	connect();
	loadHistory();
}

async function start() {
	$("login").addEventListener("submit", async ev => {
		ev.preventDefault();
		try {
			await post("login", new URLSearchParams(new FormData(ev.target)));
			signedIn(await get("whoami"));
			notice("");
		} catch (e) {
			notice("Log in: " + e.message);
		}
	});
	$("logout").addEventListener("click", async () => {
		await post("logout").catch(() => {});
		location.reload();
	});
	adminSetup();
	$("job-close").addEventListener("click", () => {
		$("job-section").hidden = true;
	});
	$("upload").addEventListener("submit", async ev => {
		ev.preventDefault();
		const out = $("upload-result");
		const fd = new FormData(ev.target);
		if (!fd.get("dest"))
			fd.delete("dest");
		if (!fd.get("title"))
			fd.delete("title");
		out.className = "";
		out.textContent = "Uploading…";
		try {
			const o = await post("upload", fd);
			out.textContent = "Queued as " + o.name + ".";
			out.className = "ok";
			ev.target.reset();
		} catch (e) {
			out.textContent = "Refused: " + e.message;
			out.className = "error";
		}
	});
	const r = await fetch(api + "whoami", {credentials: "same-origin"});
	if (r.ok)
		signedIn(await r.json());
	else
		$("login-section").hidden = false;
}

document.addEventListener("DOMContentLoaded", start);
