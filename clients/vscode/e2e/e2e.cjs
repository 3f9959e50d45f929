// The SourcePacker scenario in a real VS Code (code-server), driven by headless Chromium.
//
// env (set by run.sh):
//   CS_URL      http://127.0.0.1:PORT of a running code-server (auth none)
//   WS_DIR      the fixture workspace it opens
//   SHOT_DIR    where screenshots and report.json go
//   SP_PYTHON   interpreter with `sourcepacker` installed (CLI counts, token counting)
//   EXT_DIR     the extension's folder (package.json: view container, view, command title, key)
//   PW_CORE     path of playwright-core;  CHROMIUM (default /usr/bin/chromium)
//   E2E_TIMEOUT_MS  per-wait timeout (default 120000); the whole run is capped at 8 minutes
//   SP_SELECT_DIR (src), SP_SELECT_FILE (README.md): top-level rows ticked;  SP_EDIT_FILE
//   (src/util.py): the file appended to on disk
// Prints PASS/FAIL lines, then "N passed, M failed"; exit 0 only if all passed.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { execFileSync } = require('child_process');
const { chromium } = require(process.env.PW_CORE || 'playwright-core');

const URL_BASE = process.env.CS_URL;
const WS = process.env.WS_DIR;
const SHOT_DIR = process.env.SHOT_DIR || process.cwd();
const PY = process.env.SP_PYTHON || 'python3';
const T = Number(process.env.E2E_TIMEOUT_MS || 120000);
const SEL_DIR = process.env.SP_SELECT_DIR || 'src';
const SEL_FILE = process.env.SP_SELECT_FILE || 'README.md';
const EDIT_FILE = process.env.SP_EDIT_FILE || 'src/util.py';
const TOTAL_BUDGET_MS = 9 * 60 * 1000;

const results = [];
let failed = 0;
const facts = {};   // numbers seen along the way, written to report.json

function check(name, ok, detail) {
  results.push({ name, ok, detail });
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' :: ' + detail : ''}`);
  return ok;
}

// step(): run fn, PASS with its return value as detail, FAIL with the error's first line.
// A step that depends on an earlier failed one is skipped as a FAIL (never hangs on it).
async function step(name, fn, needs = []) {
  const missing = needs.filter((k) => facts[k] === undefined);
  if (missing.length) return check(name, false, `not run: needs ${missing.join(', ')}`);
  const t0 = Date.now();
  try {
    const detail = await fn();
    return check(name, true, `${detail || ''} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (e) {
    return check(name, false, `${String((e && e.message) || e).split('\n')[0]} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
}

function manifest() {
  // Names and the key come from the extension's own manifest, so a rewording there does not
  // break the test; the brief's names are the fallback.
  const out = {
    containerTitle: 'SourcePacker', viewName: 'Files', copyTitle: 'SourcePacker: Copy Packed Context',
    copyKey: 'ctrl+shift+alt+p',
  };
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(process.env.EXT_DIR || '', 'package.json'), 'utf8'));
    const contributes = pkg.contributes || {};
    const views = Object.values(contributes.views || {}).flat();
    const v = views.find((x) => x.id === 'sourcepacker.files');
    if (v && v.name && !v.name.startsWith('%')) out.viewName = v.name;
    const container = ((contributes.viewsContainers || {}).activitybar || []).find((x) => x.id === 'sourcepacker');
    if (container && container.title && !container.title.startsWith('%')) out.containerTitle = container.title;
    const c = (contributes.commands || []).find((x) => x.command === 'sourcepacker.copy');
    if (c && c.title && !c.title.startsWith('%')) out.copyTitle = c.category ? `${c.category}: ${c.title}` : c.title;
    const k = (contributes.keybindings || []).find((x) => x.command === 'sourcepacker.copy');
    if (k && k.key) out.copyKey = k.key;
  } catch (e) { /* fallbacks */ }
  return out;
}
// "ctrl+shift+alt+p" -> "Control+Shift+Alt+P" (playwright's keyboard.press)
const playwrightKey = (key) => key.split('+').map((p) => ({ ctrl: 'Control', shift: 'Shift', alt: 'Alt', cmd: 'Meta' }[p] || p.toUpperCase())).join('+');

// ---- token counting and the CLI, with the daemon's own Python package
function countTokens(text) {
  const code = 'import sys\nfrom sourcepacker.vocab import counter\n'
    + 'print(counter()(sys.stdin.buffer.read().decode("utf-8")))';
  return Number(execFileSync(PY, ['-c', code], { input: Buffer.from(text, 'utf8') }).toString().trim());
}
function cliPack(paths) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-cli-'));
  try {
    const out = path.join(tmp, 'pack.txt');
    // own cache dir: the CLI must not share (or create) the daemon's .sourcepacker/ in WS
    let json;
    try {
      json = execFileSync(PY, ['-m', 'sourcepacker', 'pack', ...paths, '--root', WS,
        '--cache-dir', path.join(tmp, 'cache'), '--json', '-o', out],
      { cwd: WS, timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    } catch (e) {
      const err = String(e.stderr || '').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`sourcepacker pack ${paths.join(' ')} failed (rc=${e.status}): ${err}`);
    }
    const r = JSON.parse(json);
    r.text = fs.readFileSync(out, 'utf8');
    return r;
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
}
function firstDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at char ${i}: copied ${JSON.stringify(a.slice(i, i + 60))} vs CLI ${JSON.stringify(b.slice(i, i + 60))}`;
}
// "950" -> 950, "1.2k" -> 1200 (only exact below 1000; the fixture keeps selections small)
function parseCompact(s) {
  const m = /^~?([\d.,]+)([kMB]?)$/.exec(s.trim());
  if (!m) return NaN;
  return Math.round(Number(m[1].replace(/,/g, '')) * { '': 1, k: 1e3, M: 1e6, B: 1e9 }[m[2]]);
}
// the extension's formatCompact (src/format.ts): 950, 1.2k, 48k, 1M
function formatCompact(value) {
  const n = Math.round(Math.abs(value));
  if (n < 1000) return String(n);
  const units = ['', 'k', 'M', 'B'];
  let unit = 1, scale = 1000, tenths = Math.round(n / (scale / 10));
  while (tenths >= 10000 && unit < units.length - 1) { unit++; scale *= 1000; tenths = Math.round(n / (scale / 10)); }
  const whole = Math.floor(tenths / 10), fraction = tenths % 10;
  return `${whole}${fraction === 0 ? '' : '.' + fraction}${units[unit]}`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

(async () => {
  const watchdog = setTimeout(() => {
    console.log(`FAIL whole scenario within ${TOTAL_BUDGET_MS / 1000}s :: watchdog fired`);
    console.log(`${results.length - failed} passed, ${failed + 1} failed`);
    process.exit(3);
  }, TOTAL_BUDGET_MS);
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  const m = manifest();
  console.log(`container "${m.containerTitle}", view "${m.viewName}", copy command "${m.copyTitle}" (${m.copyKey}), workspace ${WS}`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  // the page may read what the extension put on the clipboard (vscode.env.clipboard)
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: URL_BASE });
  const page = ctx.pages()[0] || await ctx.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  const shot = (name, need) => (need && facts[need] === undefined) ? Promise.resolve() : page.screenshot({ path: path.join(SHOT_DIR, name), animations: 'disabled' }).catch(() => {});

  const url = `${URL_BASE}/?folder=${encodeURIComponent(WS)}`;
  facts.timing = {};
  const tNav = Date.now();
  await step('workbench loads', async () => {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: T });
    await page.locator('.monaco-workbench').waitFor({ timeout: T });
    await page.locator('.statusbar').waitFor({ timeout: T });
    facts.workbench = true;
    return url;
  });

  const runCommand = async (title) => {
    await page.keyboard.press('Escape').catch(() => {});
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30000 });
    await input.fill('>' + title);
    // the row whose label is exactly the title ("… Shortcuts" also matches "… Shortcuts (JSON)")
    const exact = page.locator('.quick-input-list .monaco-list-row').filter({
      has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${esc(title)}\\s*$`) }),
    }).first();
    await exact.waitFor({ timeout: 30000 });
    await exact.click();
  };

  // ---------------------------------------------------------------- the tree, in its own container
  // The activity bar item of the view container; with one view in it, the sidebar shows that
  // view alone (its pane header hidden), so the pane is the sidebar's first.
  const barItem = page.locator(`.part.activitybar .action-item[aria-label^="${m.containerTitle}"], .part.activitybar .action-label[aria-label^="${m.containerTitle}"]`).first();
  const pane = page.locator('.part.sidebar .pane').first();
  const row = (label) => pane.locator('.monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${esc(label)}\\s*$`) }),
  }).first();
  const desc = async (r) => ((await r.locator('.label-description').first().textContent({ timeout: 2000 }).catch(() => '')) || '').trim();

  await step(`tree view "${m.viewName}" shows rows with token counts`, async () => {
    await barItem.waitFor({ timeout: T });
    await barItem.click();
    const title = page.locator('.part.sidebar .composite.title');
    await title.filter({ hasText: new RegExp(esc(m.containerTitle), 'i') }).first().waitFor({ timeout: 30000 });
    facts.container = ((await title.first().innerText()) || '').replace(/\s+/g, ' ').trim();
    await page.mouse.move(900, 700);   // no hover tooltip over the tree in the screenshots
    const deadline = Date.now() + T;
    let expandedRoot = false;
    for (;;) {
      const d1 = await desc(row(SEL_DIR)), d2 = await desc(row(SEL_FILE));
      if (/\d/.test(d1) && /\d/.test(d2)) {
        facts.tree = { [SEL_DIR]: d1, [SEL_FILE]: d2 };
        facts.timing.firstCountsMs = Date.now() - tNav;
        break;
      }
      // a single workspace-folder root row: open it once
      const rows = pane.locator('.monaco-list-row');
      if (!expandedRoot && Date.now() > deadline - T + 5000 && (await rows.count()) === 1
          && (await rows.first().getAttribute('aria-expanded')) === 'false') {
        await rows.first().click(); expandedRoot = true;
      }
      if (Date.now() > deadline) {
        const seen = await rows.evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
        throw new Error(`no token counts on rows "${SEL_DIR}" and "${SEL_FILE}" (descriptions "${d1}", "${d2}"; ${seen.length} rows: ${seen.slice(0, 12).join(' | ')})`);
      }
      await sleep(250);
    }
    const n = await pane.locator('.monaco-list-row').count();
    const all = await pane.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
    facts.rows = all;
    return `sidebar "${facts.container}", ${n} rows, ${((Date.now() - tNav) / 1000).toFixed(1)}s after navigation: ${all.join(' | ')}`;
  }, ['workbench']);
  await step('ignored and binary files are not shown as countable rows', async () => {
    const labels = await pane.locator('.monaco-list-row .label-name').allTextContents();
    const bad = labels.map((s) => s.trim()).filter((s) => s === 'build' || s === 'debug.log');
    if (bad.length) throw new Error(`rows for .gitignored paths: ${bad.join(', ')}`);
    return `top level: ${labels.map((s) => s.trim()).join(', ')}`;
  }, ['tree']);
  await shot('01-tree-counts.png');

  // every top-level row turns exact and equals the CLI's count (ignored/binary files left out)
  await step('tree counts turn exact and equal the CLI\'s, row by row', async () => {
    const all = cliPack(['.']);
    const want = {};
    for (const [p, n] of Object.entries(all.files)) {
      const top = p.split('/')[0];
      want[top] = (want[top] || 0) + n;
    }
    facts.cliAll = { tokens: Object.values(all.files).reduce((a, b) => a + b, 0), perTop: want };
    const deadline = Date.now() + T;
    for (;;) {
      const got = await pane.locator('.monaco-list-row[aria-level="1"]').evaluateAll((els) => els.map((e) => [
        (e.querySelector('.label-name') || {}).textContent || '', ((e.querySelector('.label-description') || {}).textContent || '').trim()]));
      const bad = [];
      const shown = new Set(got.map(([n]) => n.trim()));
      for (const [name, d] of got) {
        if (want[name.trim()] === undefined) bad.push(`${name}: row shown, CLI has no such file`);
        else if (d !== formatCompact(want[name.trim()])) bad.push(`${name}: "${d}" vs CLI ${want[name.trim()]}`);
      }
      for (const name of Object.keys(want)) if (!shown.has(name)) bad.push(`${name}: no row`);
      if (!bad.length) { facts.treeExact = true; facts.timing.allExactMs = Date.now() - tNav; return `${got.length} rows exact: ${got.map(([n, d]) => `${n.trim()} ${d}`).join(', ')}`; }
      if (Date.now() > deadline) throw new Error(bad.join('; '));
      await sleep(500);
    }
  }, ['tree']);
  await shot('01b-tree-exact.png', 'treeExact');

  // ---------------------------------------------------------------- status bar (prompt / budget)
  // The item's text is compact ("~3.7k / 200k"); its accessible label carries the exact figures
  // ("SourcePacker: prompt 3,677 tokens of 200,000"), "~" while estimates remain.
  const status = page.locator('.statusbar .statusbar-item').filter({ hasText: /\d.*\/.*\d/ });
  const statusInfo = async () => page.evaluate(() => {
    for (const el of document.querySelectorAll('.statusbar .statusbar-item')) {
      const labelled = [el, ...el.querySelectorAll('[aria-label]')].find((e) => /SourcePacker: prompt/.test(e.getAttribute('aria-label') || ''));
      if (!labelled) continue;
      const label = labelled.getAttribute('aria-label');
      const mm = /prompt (~?)([\d,]+) tokens(?: of ([\d,]+))?/.exec(label);
      if (!mm) continue;
      return {
        text: el.innerText.replace(/\s+/g, ' ').trim(), label, exact: mm[1] !== '~',
        used: Number(mm[2].replace(/,/g, '')), budget: mm[3] ? Number(mm[3].replace(/,/g, '')) : undefined,
        className: el.className, background: getComputedStyle(el).backgroundColor,
      };
    }
    return null;
  });
  // wait until the status bar shows an exact figure satisfying pred, steady for 1.5 s
  const waitStatus = async (pred, what, { exact = true, steadyMs = 1500 } = {}) => {
    const deadline = Date.now() + T;
    let last = '', since = Date.now(), p = null;
    for (;;) {
      p = await statusInfo().catch(() => null);
      const key = p ? p.label + p.className : '';
      if (key !== last) { last = key; since = Date.now(); }
      if (p && (!exact || p.exact) && pred(p) && Date.now() - since >= steadyMs) return p;
      if (Date.now() > deadline) throw new Error(`status bar never showed ${what}; last "${p ? p.text + '" (' + p.label + ')' : 'no SourcePacker prompt item"'}`);
      await sleep(250);
    }
  };
  await step('status bar shows the prompt against the budget ("N / 200k", exact)', async () => {
    const p = await waitStatus((q) => q.budget !== undefined && /\/\s*200k/.test(q.text), 'an exact "N / 200k"');
    facts.status0 = p;
    return `"${p.text}" (${p.label})`;
  }, ['tree']);

  // ---------------------------------------------------------------- tick a folder and a file
  // One at a time, as a person would: tick, then wait for the status bar to take it in.
  await step(`tick folder "${SEL_DIR}" and file "${SEL_FILE}"`, async () => {
    const boxOf = (label) => row(label).locator('.custom-view-tree-node-item-checkbox').first();
    let prev = facts.status0;
    const seen = [];
    for (const label of [SEL_DIR, SEL_FILE]) {
      const box = boxOf(label);
      await box.waitFor({ timeout: T });
      if ((await box.getAttribute('aria-checked')) !== 'true') await box.click();
      const deadline = Date.now() + 30000;
      while ((await box.getAttribute('aria-checked')) !== 'true') {
        if (Date.now() > deadline) throw new Error(`checkbox of "${label}" did not become checked`);
        await sleep(200);
      }
      if (prev) {
        const was = prev.used;
        prev = await waitStatus((q) => q.used !== was, `a new prompt figure after ticking "${label}" (was "${prev.text}")`);
        seen.push(`"${prev.text}"`);
      }
    }
    await sleep(1000);
    for (const label of [SEL_DIR, SEL_FILE]) {
      if ((await boxOf(label).getAttribute('aria-checked')) !== 'true') throw new Error(`"${label}" came unticked after the refresh`);
    }
    facts.ticked = true;
    return `both checked; status ${seen.join(' -> ')}`;
  }, ['tree']);

  let cli;
  await step('CLI packs the same selection', async () => {
    cli = cliPack([SEL_DIR, SEL_FILE]);
    facts.cli = { tokens: cli.tokens, fileCount: cli.fileCount, files: cli.files };
    return `${cli.fileCount} files, ${cli.tokens} tokens: ${Object.keys(cli.files || {}).join(', ')}`;
  });

  await step('status bar = the tokens of the CLI\'s pack of the selection (what Copy will cost)', async () => {
    const p = await waitStatus((q) => q.used === cli.tokens, `prompt = ${cli.tokens}`);
    facts.status1 = p;
    return `"${p.text}" (${p.label}; CLI pack ${cli.tokens} tokens)`;
  }, ['ticked', 'cli']);
  await shot('02-selected-statusbar.png', 'ticked');
  if (facts.ticked) await status.first().screenshot({ path: path.join(SHOT_DIR, '02b-statusbar-item.png') }).catch(() => {});

  // ---------------------------------------------------------------- copy packed context
  // clear the page's clipboard, run Copy, wait for the toast, read the clipboard
  const copyOnce = async (tag, viaKey = false) => {
    await page.bringToFront();
    await page.evaluate(() => navigator.clipboard.writeText('<e2e: clipboard not written>')).catch(() => {});
    // clear old notifications so the toast we read is this copy's
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await sleep(300);
    if (viaKey) await page.keyboard.press(playwrightKey(m.copyKey));
    else await runCommand(m.copyTitle);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /Copied \d+ files? · ~?[\d.,]+[kMB]? tokens/ }).last();
    await toast.waitFor({ timeout: T });
    const msg = (await toast.locator('.notification-list-item-message').first().innerText().catch(() => toast.innerText())).trim();
    const mm = /Copied (\d+) files? · (~?[\d.,]+[kMB]?) tokens/.exec(msg);
    if (!mm) throw new Error(`unexpected notification text "${msg}"`);
    // the toast is compact ("3.7k"): compared as the extension would format the exact count
    const got = { message: msg, files: Number(mm[1]), tokens: parseCompact(mm[2]), tokensText: mm[2] };
    // the extension host writes the clipboard shortly before the toast: poll a little
    let text = '';
    for (let i = 0; i < 20; i++) {
      text = await page.evaluate(() => navigator.clipboard.readText());
      if (text && !text.startsWith('<e2e: clipboard not written>')) break;
      await sleep(250);
    }
    got.text = text;
    facts[`copy_${tag}`] = { message: msg, files: got.files, tokens: got.tokens, chars: text.length };
    return got;
  };

  let copied;
  await step(`"${m.copyTitle}" shows "Copied N files · T tokens"`, async () => {
    copied = await copyOnce('1');
    facts.copied = true;
    return `"${copied.message}"`;
  }, ['ticked']);
  await shot('03-copy-notification.png', 'copied');

  await step('clipboard holds the packed text', async () => {
    if (!copied.text || copied.text.startsWith('<e2e: clipboard not written>')) throw new Error('navigator.clipboard.readText() did not return the packed text');
    facts.clipboard = true;
    return `${copied.text.length} chars, starts ${JSON.stringify(copied.text.slice(0, 40))}`;
  }, ['copied']);
  await step('copied text: tokens = CLI tokens = notification T, files = CLI fileCount', async () => {
    const n = countTokens(copied.text);
    facts.copiedTokens = n;
    const errs = [];
    if (n !== cli.tokens) errs.push(`copied text counts ${n} tokens, CLI says ${cli.tokens}`);
    if (copied.tokensText !== formatCompact(n)) errs.push(`notification says ${copied.tokensText} tokens, text counts ${n} (${formatCompact(n)})`);
    if (copied.files !== cli.fileCount) errs.push(`notification says ${copied.files} files, CLI ${cli.fileCount}`);
    if (facts.status1 && facts.status1.used !== n) errs.push(`status bar said ${facts.status1.used}, the clipboard counts ${n}`);
    if (errs.length) throw new Error(errs.join('; ') + (copied.text !== cli.text ? '; ' + firstDiff(copied.text, cli.text) : ''));
    return `${n} tokens, ${copied.files} files${copied.text === cli.text ? ', text identical to the CLI\'s' : ' (text differs from the CLI\'s: ' + firstDiff(copied.text, cli.text) + ')'}`;
  }, ['clipboard', 'cli']);

  // ---------------------------------------------------------------- the default keybinding
  // VS Code's own Keyboard Shortcuts editor, searched for the exact key ("…" in quotes), lists
  // every command bound to it: defaults, other extensions, ours. Only ours may be there.
  await step(`key ${m.copyKey} is bound to "${m.copyTitle}" alone (Keyboard Shortcuts editor)`, async () => {
    await runCommand('Preferences: Open Keyboard Shortcuts');
    const editor = page.locator('.keybindings-editor');
    await editor.waitFor({ timeout: 30000 });
    await sleep(1000);
    await page.keyboard.type(`"${m.copyKey}"`);
    const rows = editor.locator('.monaco-list-row');
    const deadline = Date.now() + 30000;
    let texts = [];
    for (;;) {
      await sleep(500);
      texts = await rows.evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
      if (texts.length && texts.every((t) => /\d|[A-Za-z]/.test(t))) break;
      if (Date.now() > deadline) throw new Error(`no rows for "${m.copyKey}"`);
    }
    await shot('03b-keybinding.png');
    const title = m.copyTitle.split(': ').pop();
    const others = texts.filter((t) => !t.includes(title));
    if (others.length) throw new Error(`also bound: ${others.join(' | ')}`);
    await runCommand('View: Close Editor').catch(() => {});
    facts.keybinding = true;
    return `${texts.length} row: ${texts.join(' | ')}`;
  }, ['workbench']);

  // ---------------------------------------------------------------- edit on disk -> live update
  await step(`appending to ${EDIT_FILE} on disk updates the status bar`, async () => {
    const before = facts.status1 || (await waitStatus(() => true, 'a total'));
    const lines = Array.from({ length: 12 }, (_, i) => `# appended by the e2e test, line ${i + 1}: the quick brown fox jumps over the lazy dog`);
    fs.appendFileSync(path.join(WS, EDIT_FILE), lines.join('\n') + '\n');
    const t0 = Date.now();
    // the first change of the figure (estimate or exact) is what a person sees move
    const moved = await waitStatus((q) => q.used !== before.used, 'a move after the edit', { exact: false, steadyMs: 0 });
    facts.timing.editToStatusMs = Date.now() - t0;
    const p = await waitStatus((q) => q.used !== before.used, `a new exact figure after the edit (was "${before.text}")`);
    facts.timing.editToExactStatusMs = Date.now() - t0 - 1500;
    facts.status2 = p;
    facts.edited = true;
    return `"${before.text}" -> "${moved.text}" in ${(facts.timing.editToStatusMs / 1000).toFixed(1)}s, exact "${p.text}"`;
  }, ['ticked']);
  await shot('04-after-edit.png', 'edited');

  await step('status bar after the edit = the CLI\'s pack after the edit', async () => {
    cli = cliPack([SEL_DIR, SEL_FILE]);
    const p = await waitStatus((q) => q.used === cli.tokens, `prompt = ${cli.tokens}`);
    return `"${p.text}" (CLI ${cli.tokens})`;
  }, ['edited']);
  await step(`copy after the edit (with ${m.copyKey}) = CLI pack after the edit`, async () => {
    const again = await copyOnce('2', true);
    const n = countTokens(again.text);
    const errs = [];
    if (n !== cli.tokens) errs.push(`copied text counts ${n} tokens, CLI says ${cli.tokens}`);
    if (again.tokensText !== formatCompact(n)) errs.push(`notification says ${again.tokensText}, text counts ${n} (${formatCompact(n)})`);
    if (!again.text.includes('appended by the e2e test, line 12')) errs.push('the copied text lacks the appended lines');
    if (errs.length) throw new Error(errs.join('; '));
    return `"${again.message}", ${n} tokens`;
  }, ['edited', 'clipboard']);
  await shot('05-copy-after-edit.png', 'edited');

  // ---------------------------------------------------------------- find and trim, at scale
  const topRows = () => pane.locator('.monaco-list-row[aria-level="1"]').evaluateAll((els) => els.map((e) => [
    ((e.querySelector('.label-name') || {}).textContent || '').trim(), ((e.querySelector('.label-description') || {}).textContent || '').trim()]));
  const quickInput = async (text) => {
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30000 });
    await input.fill(text);
    await sleep(400);
    await page.keyboard.press('Enter');
  };
  const tokensOf = (d) => parseCompact(d.split('·')[0].replace(/[◐⚠]|new/g, '').trim());

  await step('Sort by Tokens: heaviest rows first; a heavy row shows its share of the selection', async () => {
    await runCommand('SourcePacker: Sort by Tokens');
    const deadline = Date.now() + 30000;
    let rows = [];
    for (;;) {
      rows = await topRows();
      const t = rows.map(([, d]) => tokensOf(d));
      if (t.length > 2 && t.every((x, i) => i === 0 || !(x > t[i - 1]))) break;
      if (Date.now() > deadline) throw new Error(`not sorted by tokens: ${rows.map(([n, d]) => `${n} ${d}`).join(', ')}`);
      await sleep(300);
    }
    // open src: its heavy file leads, with "· NN%" of the selection
    const src = row(SEL_DIR);
    if ((await src.getAttribute('aria-expanded')) === 'false') await src.locator('.monaco-tl-twistie').first().click();
    const heavy = row('tables.py');
    await heavy.waitFor({ timeout: 30000 });
    let d = '';
    for (let i = 0; i < 40 && !/·\s*\d+%/.test(d); i++) { d = await desc(heavy); await sleep(250); }
    if (!/·\s*\d+%/.test(d)) throw new Error(`src/tables.py shows "${d}", no share`);
    await page.mouse.move(900, 700);
    facts.sorted = true;
    return `top level: ${rows.map(([n, dd]) => `${n} ${dd}`).join(', ')}; src/tables.py "${d}"`;
  }, ['tree']);
  await shot('06-sort-by-tokens.png', 'sorted');

  await step('Filter "mod0000": only the matching files and their folders, marked filtered; cleared again', async () => {
    await runCommand('SourcePacker: Filter Files…');
    await quickInput('mod0000');
    const deadline = Date.now() + 60000;
    let labels = [];
    for (;;) {
      labels = (await pane.locator('.monaco-list-row .label-name').allTextContents()).map((x) => x.trim());
      const files = labels.filter((l) => l.endsWith('.py'));
      if (files.length >= 10 && labels.every((l) => l === 'gen' || l === 'pkg000' || l.startsWith('mod0000'))) break;
      if (Date.now() > deadline) throw new Error(`rows while filtered: ${labels.join(', ')}`);
      await sleep(300);
    }
    const text = (await page.locator('.part.sidebar').innerText()).replace(/\s+/g, ' ');
    if (!/filter "mod0000"|Filtered/i.test(text)) throw new Error(`no "filtered" indication in the sidebar: ${text.slice(0, 200)}`);
    await page.mouse.move(900, 700);
    await shot('07-filter.png');
    await runCommand('SourcePacker: Clear Filter');
    await row(SEL_FILE).waitFor({ timeout: 30000 });
    facts.filtered = labels;
    return `${labels.length} rows: ${labels.slice(0, 14).join(', ')}; cleared`;
  }, ['tree']);

  const pickBudget = async (value) => {
    await runCommand('SourcePacker: Choose Model / Budget…');
    if (typeof value === 'number') {
      await quickInput('Custom budget');
      await quickInput(String(value));
    } else {
      await quickInput(value);
    }
  };
  const kindOf = (p) => (/error-kind/.test(p.className) ? 'error' : /warning-kind/.test(p.className) ? 'warning' : 'ok');
  await step('budget gauge: past 100 % (error colour), past 80 % (warning), back under', async () => {
    const base = await waitStatus(() => true, 'a figure');
    const seen = [];
    const over = Math.floor(base.used / 2);
    await pickBudget(over);
    let p = await waitStatus((q) => q.budget === over && kindOf(q) === 'error', `${base.used} / ${over} in the error colour`);
    seen.push(`"${p.text}" ${kindOf(p)} ${p.background}`);
    await shot('08-over-budget.png');
    await status.first().screenshot({ path: path.join(SHOT_DIR, '08b-statusbar-over-budget.png') }).catch(() => {});
    const near = Math.ceil(base.used / 0.9);
    await pickBudget(near);
    p = await waitStatus((q) => q.budget === near && kindOf(q) === 'warning', `${base.used} / ${near} in the warning colour`);
    seen.push(`"${p.text}" ${kindOf(p)} ${p.background}`);
    await status.first().screenshot({ path: path.join(SHOT_DIR, '08c-statusbar-warning.png') }).catch(() => {});
    await pickBudget('claude-sonnet-4.5');
    p = await waitStatus((q) => q.budget === 200000 && kindOf(q) === 'ok', 'back to N / 200k, no colour');
    seen.push(`"${p.text}" ${kindOf(p)}`);
    await shot('08d-back-under-budget.png');
    facts.gauge = seen;
    return seen.join(' -> ');
  }, ['ticked']);

  await step('instructions (Edit Instructions, typed and saved) are counted: status bar = CLI pack with them', async () => {
    const before = await waitStatus(() => true, 'a figure');
    await runCommand('SourcePacker: Edit Instructions');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await page.locator('.tab', { hasText: 'instructions.md' }).first().waitFor({ timeout: 30000 });
    await editor.click();
    await page.keyboard.type('Review the changes below for bugs and missing tests. Answer with a list of findings, most serious first.\n');
    await page.keyboard.press('Control+S');
    const saved = path.join(WS, '.sourcepacker', 'instructions.md');
    const deadline = Date.now() + 30000;
    while (!(fs.existsSync(saved) && fs.readFileSync(saved, 'utf8').includes('most serious first'))) {
      if (Date.now() > deadline) throw new Error('instructions.md not saved');
      await sleep(200);
    }
    cli = cliPack([SEL_DIR, SEL_FILE]);
    const p = await waitStatus((q) => q.used === cli.tokens, `prompt = CLI ${cli.tokens} with the instructions`);
    if (!(p.used > before.used)) throw new Error(`the figure did not grow: ${before.used} -> ${p.used}`);
    await status.first().hover();   // the tooltip's breakdown: files, wrappers + instructions, ...
    await page.locator('.monaco-hover, .workbench-hover').filter({ hasText: /instructions/ }).first().waitFor({ timeout: 10000 }).catch(() => {});
    facts.instructions = { before: before.used, after: p.used };
    return `"${before.text}" -> "${p.text}" (CLI ${cli.tokens})`;
  }, ['ticked']);
  await shot('09-instructions.png', 'instructions');
  await page.mouse.move(900, 700);

  await step('copy with the instructions: the clipboard\'s tiktoken count = the status bar\'s figure = CLI; a secret masked', async () => {
    const p = await waitStatus(() => true, 'a figure');
    const again = await copyOnce('3');
    const n = countTokens(again.text);
    const errs = [];
    if (n !== p.used) errs.push(`clipboard counts ${n}, status bar said ${p.used}`);
    if (n !== cli.tokens) errs.push(`clipboard counts ${n}, CLI ${cli.tokens}`);
    if (!again.text.includes('most serious first')) errs.push('the instructions are not in the copied text');
    if (!/1 secret masked/.test(again.message)) errs.push(`toast "${again.message}" does not say 1 secret masked`);
    if (!again.text.includes('[REDACTED')) errs.push('no [REDACTED …] in the copied text');
    if (errs.length) throw new Error(errs.join('; '));
    facts.copyEqualsStatus = { status: p.used, clipboard: n, toast: again.message };
    return `"${again.message}"; clipboard ${n} tokens = status bar ${p.used}`;
  }, ['instructions', 'clipboard']);
  await shot('10-copy-equals-status.png', 'copyEqualsStatus');

  console.log(`timing: ${JSON.stringify(facts.timing)}`);
  fs.writeFileSync(path.join(SHOT_DIR, 'report.json'), JSON.stringify({ url, results, facts, consoleErrors }, null, 2));
  if (consoleErrors.length) console.log(`(${consoleErrors.length} browser console errors, see report.json)`);
  clearTimeout(watchdog);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); console.log(`${results.length - failed} passed, ${failed + 1} failed`); process.exit(2); });
