// Process helpers: start/stop a server child, free ports, and /proc accounting
// (CPU ticks of a process tree, resident memory).

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { health } from './sqs-client.mjs';

let clkTck = 0;
export function clockTicksPerSecond() {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Parses /proc/<pid>/stat; returns null if the process is gone. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    ppid: Number(rest[1]),
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    cutime: Number(rest[13]),
    cstime: Number(rest[14]),
  };
}

function descendants(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(name);
    if (!st) continue;
    let list = children.get(st.ppid);
    if (!list) children.set(st.ppid, (list = []));
    list.push(Number(name));
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop();
    for (const c of children.get(p) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/**
 * CPU time (µs) used so far by `pid`, its live descendants, and its reaped
 * children (cutime/cstime). Returns null if the process cannot be read.
 */
export function processTreeCpuMicros(pid) {
  const root = readStat(pid);
  if (!root) return null;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  for (const c of descendants(pid)) {
    const st = readStat(c);
    if (st) ticks += st.utime + st.stime;
  }
  return (ticks * 1e6) / clockTicksPerSecond();
}

/** Peak resident set size (VmHWM) in bytes, or null. */
export function peakRssBytes(pid) {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Memory figures from /proc/<pid>/status, in bytes: rss (VmRSS) and its parts anon (RssAnon),
 * file (RssFile: mapped files, e.g. shared libraries) and shmem (RssShmem), plus hwm (VmHWM,
 * the peak RSS of the process lifetime). Null if the process cannot be read.
 */
export function memoryBytes(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const rss = kb('VmRSS');
  if (rss == null) return null;
  return { rss, anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem'), hwm: kb('VmHWM') };
}

/**
 * Samples the VmRSS of `pid` every `intervalMs` (and at every phase change), keeping the
 * maximum of each named phase and a timeline. Sampling runs on this process's event loop, so
 * a busy client samples late, never early; VmHWM catches what falls between two samples.
 */
export class RssSampler {
  constructor(pid, intervalMs = 250) {
    this.pid = pid;
    this.t0 = Date.now();
    this.phases = {}; // name -> { maxBytes, maxAtS, maxParts, lastBytes, samples }
    this.timeline = []; // [seconds since start, VmRSS bytes, phase]
    this.current = null;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Starts phase `name` (closing the previous one with a last sample). */
  phase(name) {
    if (this.current) this.sample();
    this.current = this.phases[name] ??= { maxBytes: null, maxAtS: null, maxParts: null, lastBytes: null, samples: 0 };
    this.currentName = name;
    return this.sample();
  }

  /** Takes one sample now; returns the memory figures (or null). */
  sample() {
    const m = memoryBytes(this.pid);
    if (!m || !this.current) return m;
    const p = this.current;
    const at = (Date.now() - this.t0) / 1000;
    p.samples++;
    p.lastBytes = m.rss;
    if (p.maxBytes == null || m.rss > p.maxBytes) {
      p.maxBytes = m.rss;
      p.maxAtS = at;
      p.maxParts = { anon: m.anon, file: m.file, shmem: m.shmem };
    }
    this.timeline.push([Math.round(at * 100) / 100, m.rss, this.currentName]);
    return m;
  }

  stop() {
    if (this.current) this.sample();
    clearInterval(this.timer);
    this.current = null;
  }
}

export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns a server and waits until it prints a line containing "ready" (JSON
 * `"msg":"ready"` or the plain word) on stdout/stderr, or answers GET /health
 * with 200. Output keeps being drained (so the child never blocks on a full
 * pipe) and the last lines are kept for error reports. `onSpawn(handle)` is called as soon as
 * the child exists, before it is ready, so a caller can stop it if it is interrupted meanwhile.
 */
export async function startServer({ name, command, args, cwd, env, endpoint, timeoutMs = 30_000, onSpawn }) {
  const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  let ready = false;
  let exited = null;
  const onData = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      if (!ready && /"msg"\s*:\s*"ready"|\bready\b/i.test(line)) ready = true;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (e) => {
    exited = { code: null, signal: null, error: e.message };
  });

  const handle = {
    name,
    pid: child.pid,
    child,
    tail,
    get exited() {
      return exited;
    },
    /** SIGTERM, then SIGKILL after graceMs. Resolves to the exit info. */
    async stop(graceMs = 10_000) {
      if (exited) return exited;
      const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, graceMs);
      const res = await done;
      clearTimeout(timer);
      return res;
    },
  };
  onSpawn?.(handle);

  const t0 = Date.now();
  let lastHealth = 0;
  while (!ready) {
    if (exited) {
      throw new Error(
        `${name} exited before it was ready (${JSON.stringify(exited)}); last output:\n  ${tail.join('\n  ')}`,
      );
    }
    if (Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after ${timeoutMs} ms; last output:\n  ${tail.join('\n  ')}`);
    }
    if (endpoint && Date.now() - lastHealth > 250) {
      lastHealth = Date.now();
      if ((await health(endpoint, 250)) === 200) break;
    }
    await sleep(20);
  }
  return handle;
}
