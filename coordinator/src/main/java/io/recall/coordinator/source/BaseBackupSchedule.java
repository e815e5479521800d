package io.recall.coordinator.source;

import io.recall.common.SourceId;
import java.time.OffsetDateTime;

/**
 * A source's base-backup schedule and how far it has been followed.
 *
 * @param cron a Spring cron expression (six fields, seconds first), validated at registration
 * @param handledUntil fire times up to this one are handled; the source's creation time when none has fired yet
 */
public record BaseBackupSchedule(SourceId source, String cron, OffsetDateTime handledUntil) {}
