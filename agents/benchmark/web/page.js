// The results page (agents/benchmark/page.py): sortable tables and videos that play on one clock per task.
// Plain JavaScript, nothing fetched.
"use strict";

// A click (or Enter) on a header sorts the rows by that column's data-value; n/a (no value) stays last.
function makeSortable(table) {
  const heads = Array.from(table.tHead.rows[0].cells);
  heads.forEach((th, col) => {
    th.tabIndex = 0;
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = th.dataset.kind !== "text";
      const key = (row) => {
        const value = row.cells[col].dataset.value;
        if (value === undefined || value === "" || value === "None") return null;
        return numeric ? Number(value) : value;
      };
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === null || y === null) return (x === null) - (y === null);
        const order = numeric ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
    });
  });
}
document.querySelectorAll("table.sortable").forEach(makeSortable);

// The videos of one task: one clock; each video follows it (corrected when it drifts by more than DRIFT s) and
// holds its last frame once its episode has ended; the whole group restarts HOLD s after the longest ends.
const DRIFT = 0.12, HOLD = 1.0;

class SyncGroup {
  constructor(section) {
    this.videos = Array.from(section.querySelectorAll("video"));
    this.button = section.querySelector("button.play");
    this.scrub = section.querySelector("input.scrub");
    this.clock = section.querySelector(".clock");
    this.offset = 0;
    this.start = 0;
    this.playing = false;
    this.held = false;  // paused by the user: scrolling back does not restart it
    this.frame = 0;
    this.button.addEventListener("click", () => {
      this.held = this.playing;
      if (this.playing) this.pause(); else this.play();
    });
    section.querySelector("button.restart").addEventListener("click", () => this.seek(0));
    this.scrub.addEventListener("input", () => this.seek((this.scrub.value / 1000) * this.duration()));
  }
  duration() {
    return Math.max(0.1, ...this.videos.map((v) => (Number.isFinite(v.duration) ? v.duration : 0)));
  }
  now() {
    return this.playing ? (performance.now() - this.start) / 1000 : this.offset;
  }
  play() {
    if (this.playing) return;
    this.playing = true;
    this.start = performance.now() - this.offset * 1000;
    this.button.textContent = "pause";
    this.tick();
  }
  pause() {
    if (!this.playing) return;
    this.offset = this.now();
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.videos.forEach((v) => v.pause());
    this.button.textContent = "play";
  }
  seek(t) {
    this.offset = t;
    this.start = performance.now() - t * 1000;
    this.videos.forEach((v) => {
      if (v.readyState >= 1) v.currentTime = Math.min(t, v.duration);
    });
    this.show(t);
  }
  show(t) {
    this.scrub.value = String(Math.round((1000 * t) / this.duration()));
    this.clock.textContent = t.toFixed(1) + " s";
  }
  tick() {
    let t = this.now();
    if (t > this.duration() + HOLD) {
      this.seek(0);
      t = 0;
    }
    for (const v of this.videos) {
      if (v.readyState < 2 || v.seeking) continue;
      if (t < v.duration) {
        if (Math.abs(v.currentTime - t) > DRIFT) v.currentTime = t;
        if (v.paused) v.play().catch(() => {});
      } else if (!v.paused) {
        v.pause();
      }
    }
    this.show(Math.min(t, this.duration()));
    this.frame = requestAnimationFrame(() => this.tick());
  }
}

// Videos after the first task's load once the page has (their preload was "none"), so that opening a page with
// many tasks takes as long as one with a single task.
window.addEventListener("load", () => {
  document.querySelectorAll("video[data-preload]").forEach((v) => {
    v.preload = v.dataset.preload;
    v.load();
  });
});

const groups = new Map();
document.querySelectorAll("section.sync").forEach((section) => groups.set(section, new SyncGroup(section)));

// A task's videos play while it is on screen (unless paused by hand, or the reader prefers reduced motion).
const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
if ("IntersectionObserver" in window && !still) {
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const group = groups.get(entry.target);
      if (entry.isIntersecting && !group.held) group.play();
      else if (!entry.isIntersecting) group.pause();
    }
  }, { threshold: 0.2 });
  groups.forEach((group, section) => observer.observe(section));
}

// The tiles' side, in px: the page's default fits about one row of tiles across a wide window.
const size = document.getElementById("tile-size");
if (size) {
  const tiles = document.getElementById("video-tiles");
  size.addEventListener("input", () => tiles.style.setProperty("--tile", size.value + "px"));
}
