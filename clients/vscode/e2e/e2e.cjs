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
const TOTAL_BUDGET_MS = 8 * 60 * 1000;

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
        else if (d !== String(want[name.trim()])) bad.push(`${name}: "${d}" vs CLI ${want[name.trim()]}`);
      }
      for (const name of Object.keys(want)) if (!shown.has(name)) bad.push(`${name}: no row`);
      if (!bad.length) { facts.treeExact = true; return `${got.length} rows exact: ${got.map(([n, d]) => `${n.trim()} ${d}`).join(', ')}`; }
      if (Date.now() > deadline) throw new Error(bad.join('; '));
      await sleep(500);
    }
  }, ['tree']);
  await shot('01b-tree-exact.png', 'treeExact');

  // ---------------------------------------------------------------- status bar (selected / all)
  const status = page.locator('.statusbar .statusbar-item').filter({ hasText: /\d.*\/.*\d/ });
  const statusText = async () => ((await status.first().innerText({ timeout: 2000 }).catch(() => '')) || '').replace(/\s+/g, ' ').trim();
  // parse "… 229 / ~1.2k …" -> {sel, all, exact}
  const parseStatus = (s) => {
    const mm = /(~?[\d.,]+[kMB]?)\s*\/\s*(~?[\d.,]+[kMB]?)/.exec(s);
    return mm ? { text: s, sel: mm[1], all: mm[2], exact: !s.includes('~') } : null;
  };
  // wait until the status bar shows a selection satisfying pred, exact, and steady for 1.5 s
  const waitStatus = async (pred, what) => {
    const deadline = Date.now() + T;
    let last = '', since = Date.now();
    for (;;) {
      const s = await statusText();
      if (s !== last) { last = s; since = Date.now(); }
      const p = parseStatus(s);
      if (p && p.exact && pred(p) && Date.now() - since >= 1500) return p;
      if (Date.now() > deadline) throw new Error(`status bar never showed ${what}; last text "${s}"`);
      await sleep(250);
    }
  };
  await step('status bar shows "selected / workspace" tokens', async () => {
    const wantAll = facts.cliAll && facts.cliAll.tokens;
    const p = await waitStatus((q) => wantAll === undefined || parseCompact(q.all) === wantAll, `an exact "0 / ${wantAll}"`);
    facts.status0 = p;
    return `"${p.text}"`;
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
        const was = prev.sel;
        prev = await waitStatus((q) => q.sel !== was, `a new selected total after ticking "${label}" (was "${prev.text}")`);
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

  await step('status bar selected total = sum of the files\' exact counts (CLI)', async () => {
    const want = Object.values(cli.files).reduce((a, b) => a + b, 0);
    const p = await waitStatus((q) => parseCompact(q.sel) === want, `selected = ${want}`);
    facts.status1 = p;
    return `"${p.text}" (sum of CLI file counts ${want})`;
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
    const got = { message: msg, files: Number(mm[1]), tokens: parseCompact(mm[2]) };
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
    if (copied.tokens !== n) errs.push(`notification says ${copied.tokens} tokens, text counts ${n}`);
    if (copied.files !== cli.fileCount) errs.push(`notification says ${copied.files} files, CLI ${cli.fileCount}`);
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
    const p = await waitStatus((q) => q.sel !== before.sel && q.all !== before.all, `a new total after the edit (was "${before.text}")`);
    facts.status2 = p;
    facts.edited = true;
    return `"${before.text}" -> "${p.text}" in ${((Date.now() - t0) / 1000).toFixed(1)}s`;
  }, ['ticked']);
  await shot('04-after-edit.png', 'edited');

  await step('status bar selected total after the edit = CLI sum', async () => {
    cli = cliPack([SEL_DIR, SEL_FILE]);
    const want = Object.values(cli.files).reduce((a, b) => a + b, 0);
    const p = await waitStatus((q) => parseCompact(q.sel) === want, `selected = ${want}`);
    return `"${p.text}" (CLI sum ${want})`;
  }, ['edited']);
  await step(`copy after the edit (with ${m.copyKey}) = CLI pack after the edit`, async () => {
    const again = await copyOnce('2', true);
    const n = countTokens(again.text);
    const errs = [];
    if (n !== cli.tokens) errs.push(`copied text counts ${n} tokens, CLI says ${cli.tokens}`);
    if (again.tokens !== n) errs.push(`notification says ${again.tokens}, text counts ${n}`);
    if (!again.text.includes('appended by the e2e test, line 12')) errs.push('the copied text lacks the appended lines');
    if (errs.length) throw new Error(errs.join('; '));
    return `"${again.message}", ${n} tokens`;
  }, ['edited', 'clipboard']);
  await shot('05-copy-after-edit.png', 'edited');

  fs.writeFileSync(path.join(SHOT_DIR, 'report.json'), JSON.stringify({ url, results, facts, consoleErrors }, null, 2));
  if (consoleErrors.length) console.log(`(${consoleErrors.length} browser console errors, see report.json)`);
  clearTimeout(watchdog);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); console.log(`${results.length - failed} passed, ${failed + 1} failed`); process.exit(2); });
