// broadcast_counts.js: a broadcast's counts from a feed event. The API's broadcast object sums
// message statuses into its own names (daemon/lib/api/broadcasts_routes.cpp view()); the
// `broadcast.*` events carry the raw statuses ({by_status, failed_by_code}); this maps the
// second onto the first so the page shows both the same way. Pure: no DOM.
export function countsFromEvent(raw) {
  const by = raw?.by_status || {};
  const n = (k) => Number(by[k] || 0);
  return {
    queued: n('accepted') + n('sending'),
    sent: n('sent'),
    delivered: n('delivered'),
    read: n('read'),
    failed: n('failed') + n('dead'),
    failed_by_code: raw?.failed_by_code || {},
    expired: n('expired'),
    cancelled: n('cancelled'),
    skipped_opted_out: n('skipped_opted_out'),
  };
}
