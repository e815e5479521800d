package io.recall.coordinator.source;

/**
 * How the capture worker says it captures a source's schema changes (its status report's {@code ddlCapture}); the
 * probe's {@link io.recall.coordinator.source.probe.DdlCaptureMode} is only what registration expected.
 *
 * @param mode {@code EVENT_TRIGGER} (Recall's event triggers record every DDL in the stream) or {@code NONE} (not
 *     captured)
 * @param transport {@code MESSAGE} (logical messages, PostgreSQL 14+) or {@code TABLE} (rows of
 *     {@code _recall.ddl_log}, PostgreSQL 13); null when nothing is captured
 * @param detail why this mode, and what to do to get a better one
 */
public record DdlCapture(String mode, String transport, String detail) {}
