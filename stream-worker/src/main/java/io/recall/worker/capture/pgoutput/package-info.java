/**
 * Decoder for PostgreSQL's {@code pgoutput} logical replication protocol, version 1 (PostgreSQL 13-17): one
 * {@link io.recall.worker.capture.pgoutput.PgOutputMessage} per XLogData payload, via
 * {@link io.recall.worker.capture.pgoutput.PgOutputDecoder#decode(java.nio.ByteBuffer)}.
 *
 * <p>The decoder is stateless: it does not track transactions or cache {@code Relation} messages. Callers that need
 * the column names of an {@code Insert} keep the latest {@link io.recall.worker.capture.pgoutput.Relation} per
 * relation id themselves.
 */
package io.recall.worker.capture.pgoutput;
