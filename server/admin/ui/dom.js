// @ts-check
/* global document, HTMLTableCellElement */
// DOM helpers for the admin page. Every piece of data becomes a text node or an attribute value:
// nothing is ever parsed as HTML, so names and NACK messages cannot inject markup.

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @param {string} tag
 * @param {Record<string, string | undefined>} [attributes] set with setAttribute; undefined skips
 * @param {...(Child | Child[])} children strings and numbers become text nodes
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  append(element, children.flat());
  return element;
}

/**
 * @param {Node} parent
 * @param {Child[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
    );
  }
}

/**
 * Replaces the content of the element with this id.
 * @param {string} id
 * @param {...Child} children
 */
export function show(id, ...children) {
  const target = document.getElementById(id);
  if (!target) throw new Error(`page has no element #${id}`);
  target.replaceChildren();
  append(target, children);
}

/**
 * A colored status label; `kind` is one of ok, warn, bad, info, none.
 * @param {string} text
 * @param {'ok' | 'warn' | 'bad' | 'info' | 'none'} kind
 * @param {string} [title]
 */
export function badge(text, kind, title) {
  return el('span', { class: `badge ${kind}`, title }, text);
}

/**
 * A table with a caption and column headers; each row is a list of cells (a `th` element from
 * `rowHeader`, a `td` from `cell`, or plain content that becomes a `td`).
 * @param {{ caption: string, headers: Child[], rows: Child[][], footer?: Child[][], label?: string }} spec
 */
export function table(spec) {
  const toRow = (/** @type {Child[]} */ cells) =>
    el(
      'tr',
      {},
      cells.map((c) => (c instanceof HTMLTableCellElement ? c : el('td', {}, c))),
    );
  return el(
    'table',
    { 'aria-label': spec.label },
    el('caption', {}, spec.caption),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        spec.headers.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el('tbody', {}, spec.rows.map(toRow)),
    spec.footer ? el('tfoot', {}, spec.footer.map(toRow)) : null,
  );
}

/**
 * @param {Record<string, string | undefined>} attributes
 * @param {...Child} children
 */
export function cell(attributes, ...children) {
  return el('td', attributes, ...children);
}

/** @param {...Child} children */
export function rowHeader(...children) {
  return el('th', { scope: 'row' }, ...children);
}

/** @param {string} text */
export function empty(text) {
  return el('p', { class: 'empty' }, text);
}

/**
 * An ISO timestamp as local time, with the exact value in a tooltip; '—' when absent.
 * @param {string | undefined | null} iso
 */
export function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return el('time', { datetime: iso, title: iso }, date.toLocaleString());
}

/**
 * `region/zone/subzone`, or '(none)'.
 * @param {{ region?: string, zone?: string, subZone?: string, sub_zone?: string } | undefined | null} locality
 */
export function localityText(locality) {
  if (!locality) return '(none)';
  return [locality.region, locality.zone, locality.subZone ?? locality.sub_zone].filter((p) => p).join('/') || '(none)';
}
