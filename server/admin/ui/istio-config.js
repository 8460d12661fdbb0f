// @ts-check
// Istio config meshpilot did not apply: objects it rejected (with every error) and kinds it does not translate.
import { cell, el, empty, rowHeader, table } from './dom.js';

/**
 * @typedef {{ type: string, path?: string, kubeCluster?: string }} Origin
 * @typedef {{ kind: string, namespace: string, name: string, origin: Origin, code: string, errors: string[] }} Reject
 * @typedef {{ kind: string, namespace: string, name: string, origin: Origin, reason: string }} Unsupported
 * @typedef {{ rejected?: Reject[], unsupported?: Unsupported[] }} Configz
 */

/** @param {Origin} origin */
function originText(origin) {
  return origin.type === 'file' ? (origin.path ?? 'file') : `kube cluster ${origin.kubeCluster ?? '?'}`;
}

/** @param {Configz} configz */
export function istioConfigPanel(configz) {
  const rejected = configz.rejected ?? [];
  const unsupported = configz.unsupported ?? [];
  if (rejected.length === 0 && unsupported.length === 0) return empty('Every Istio config object is applied.');
  const rows = [
    ...rejected.map((r) => [
      rowHeader(`${r.kind} ${r.namespace}/${r.name}`),
      el('span', { class: 'badge bad' }, 'rejected'),
      cell({ class: 'mono' }, originText(r.origin)),
      cell({ class: 'why' }, `${r.code}: ${r.errors.join('; ')}`),
    ]),
    ...unsupported.map((u) => [
      rowHeader(`${u.kind} ${u.namespace}/${u.name}`),
      el('span', { class: 'badge warn' }, 'not supported'),
      cell({ class: 'mono' }, originText(u.origin)),
      cell({ class: 'why' }, u.reason),
    ]),
  ];
  return table({
    caption: `${rejected.length} rejected, ${unsupported.length} not supported`,
    label: 'Istio config not applied',
    headers: ['Object', 'State', 'From', 'Why'],
    rows,
  });
}
