/**
 * The one stylesheet, served from memory at /static/style.css (the CSP allows styles from 'self' only, so
 * there is no inline style anywhere). No file is read at request time, so no path can reach the disk.
 */
export const STYLESHEET_PATH = '/static/style.css';

export const STYLESHEET = `:root { color-scheme: light; --fg: #1b1b1b; --muted: #5f6368; --line: #d7d7d7; --bg: #fff; --pass: #2e7d32; --review: #a15c00; --fail: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.site { padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header.site a { color: inherit; text-decoration: none; font-weight: 600; }
main { padding: 1rem 1.2rem 3rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 .8rem; word-break: break-all; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { word-break: break-all; }
code, pre, .text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; }
pre, .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .2rem 0; }
.text { display: block; background: #f6f8fa; border: 1px solid var(--line); padding: .4rem .6rem; border-radius: 4px; }
.inv { background: #ffe08a; color: #5c3b00; border-radius: 3px; padding: 0 .1em; font-weight: 600; }
.muted { color: var(--muted); }
.verdict { font-weight: 700; text-transform: uppercase; font-size: .8rem; padding: .1rem .4rem; border-radius: 3px; color: #fff; }
.verdict-pass { background: var(--pass); }
.verdict-review { background: var(--review); }
.verdict-fail { background: var(--fail); }
.score { font-size: 2rem; font-weight: 700; margin-right: .6rem; }
.grade { font-size: 1.4rem; font-weight: 700; margin-right: .6rem; }
.warn { border-left: 4px solid var(--review); background: #fff6e5; padding: .4rem .7rem; margin: .6rem 0; }
.alert { border-left: 4px solid var(--fail); background: #fdecea; padding: .4rem .7rem; margin: .6rem 0; }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .4rem 0 1rem; }
form.search label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
form.search input, form.search select, form.search button { font: inherit; padding: .3rem .5rem; }
nav.pages { display: flex; gap: 1rem; margin: .8rem 0; }
.sev-critical, .sev-high { color: var(--fail); font-weight: 700; }
.sev-medium { color: var(--review); font-weight: 600; }
.kind-threat { color: var(--fail); }
.tool { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; margin: .6rem 0; }
.added { color: var(--pass); }
.removed { color: var(--fail); }
`;
