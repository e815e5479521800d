/**
 * The stream worker: the capture role (replication slots, base backups, pgoutput decoding, publishing to
 * {@code recall.changes}) and the sink role (segments on storage). Workers execute; the coordinator decides.
 */
package io.recall.worker;
