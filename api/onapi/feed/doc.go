// Package feed serves the ON-API 2.6 views that follow the order engine
// and the store's change feed, per service provider: services/ and
// services/{accessId} (what the caller can order on each access, as the
// one rule engine answers), subscriptions/, subscriptions/{accessId} and
// one subscription (the caller's active services), and events/ (every
// create, update and delete of accesses and of the caller's orders and
// subscriptions). The collections take If-Modified-Since: an answer
// covers the changes before its own second, so its Last-Modified is never
// later than its Date and a client that sends it back misses nothing
// (events.md); 304 means that nothing in the answer changed, dates coming
// at local midnight and a new catalogue included.
package feed
