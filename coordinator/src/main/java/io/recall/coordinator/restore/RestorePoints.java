package io.recall.coordinator.restore;

import static io.recall.coordinator.db.Tables.RESTORE_POINTS;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.layout.RestorePointMarker;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.PgErrors;
import io.recall.common.storage.BlobStore;
import io.recall.coordinator.config.RecallProperties;
import io.recall.coordinator.restore.RestoreApi.CreateRestorePoint;
import io.recall.coordinator.restore.RestoreApi.RestorePointView;
import io.recall.coordinator.source.Source;
import io.recall.coordinator.source.SourceConnections;
import io.recall.coordinator.source.SourceService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Named restore points: the source's {@code pg_current_wal_lsn()} and clock, read in one statement and kept under a
 * name, in the metadata database and as a {@link RestorePointMarker} in storage (so a restore worker, and a catalog
 * rebuilt from storage, can resolve the name without the coordinator). Works on every supported PostgreSQL version:
 * it needs no privilege beyond connecting. Thread-safe.
 *
 * <p><b>Ordering contract.</b> The row is inserted and the marker written in one metadata transaction that commits
 * only after storage confirmed the marker: a storage fault leaves neither, and the name stays free.
 */
@Service
public class RestorePoints {

    private static final Logger log = LoggerFactory.getLogger(RestorePoints.class);

    private final DSLContext db;
    private final BlobStore store;
    private final SourceService sources;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final RecallProperties.Probe connectSettings;

    RestorePoints(
            DSLContext db,
            BlobStore store,
            SourceService sources,
            TransactionTemplate tx,
            ObjectMapper json,
            RecallProperties properties) {
        this.db = db;
        this.store = store;
        this.sources = sources;
        this.tx = tx;
        this.json = json;
        this.connectSettings = properties.probe();
    }

    /**
     * Creates a restore point at the source's current WAL position.
     *
     * @throws InvalidRequestException the name is missing or not valid
     * @throws NotFoundException the source does not exist
     * @throws ConflictException the source already has a point of that name
     * @throws io.recall.common.errors.SourceConnectionException the source could not be reached
     * @throws io.recall.common.storage.StorageException storage did not take the marker; nothing was kept
     */
    public RestorePointView create(SourceId id, CreateRestorePoint request) {
        if (request == null) {
            throw new InvalidRequestException("request body is missing: send {\"name\": \"before-migration\"}");
        }
        String name = RestorePointMarker.checkName(request.name());
        Source source = sources.source(id);
        if (find(id, name).isPresent()) {
            throw duplicate(source, name);
        }
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            Position at = currentPosition(sources.credentials(source));
            OffsetDateTime created = OffsetDateTime.now(ZoneOffset.UTC);
            RestorePointMarker marker = new RestorePointMarker(
                    RestorePointMarker.FORMAT_VERSION,
                    id.toString(),
                    name,
                    at.lsn().toString(),
                    at.time().toInstant(),
                    created.toInstant());
            tx.executeWithoutResult(st -> {
                int inserted = db.insertInto(RESTORE_POINTS)
                        .set(RESTORE_POINTS.SOURCE_ID, id.value())
                        .set(RESTORE_POINTS.NAME, name)
                        .set(RESTORE_POINTS.LSN, at.lsn().value())
                        .set(RESTORE_POINTS.POINT_TIME, at.time())
                        .set(RESTORE_POINTS.CREATED_AT, created)
                        .onConflictDoNothing()
                        .execute();
                if (inserted == 0) {
                    throw duplicate(source, name);
                }
                store.put(RestorePointMarker.key(id, name), serialise(marker));
            });
            log.info("created restore point '{}' of source '{}' at {} ({})", name, source.name(), at.lsn(), at.time());
            return new RestorePointView(id.toString(), name, at.lsn().toString(), at.time());
        }
    }

    /** The source's restore points in LSN order. @throws NotFoundException the source does not exist */
    public List<RestorePointView> list(SourceId id) {
        sources.source(id);
        return db.selectFrom(RESTORE_POINTS)
                .where(RESTORE_POINTS.SOURCE_ID.eq(id.value()))
                .orderBy(RESTORE_POINTS.LSN, RESTORE_POINTS.NAME)
                .fetch(r -> view(id, r.getName(), r.getLsn(), r.getPointTime()));
    }

    /** One restore point. @throws NotFoundException the source or the point does not exist */
    public RestorePointView get(SourceId id, String name) {
        sources.source(id);
        return find(id, name)
                .orElseThrow(() -> new NotFoundException("restore point", "'" + name + "' of source " + id));
    }

    /** The point of that name, if the source has one. */
    Optional<RestorePointView> find(SourceId id, String name) {
        return db.selectFrom(RESTORE_POINTS)
                .where(RESTORE_POINTS.SOURCE_ID.eq(id.value()))
                .and(RESTORE_POINTS.NAME.eq(name))
                .fetchOptional(r -> view(id, r.getName(), r.getLsn(), r.getPointTime()));
    }

    private static RestorePointView view(SourceId id, String name, long lsn, OffsetDateTime time) {
        return new RestorePointView(
                id.toString(), name, new Lsn(lsn).toString(), time.withOffsetSameInstant(ZoneOffset.UTC));
    }

    private static ConflictException duplicate(Source source, String name) {
        return new ConflictException("source '" + source.name() + "' already has a restore point named '" + name
                + "': choose another name (GET /api/v1/sources/" + source.id() + "/restore-points lists them)");
    }

    private record Position(Lsn lsn, OffsetDateTime time) {}

    /**
     * The source's WAL insert position now, or empty when the source cannot be reached (the caller falls back to what
     * the catalog knows). A restore to {@code latest} waits until storage holds the stream up to it, so that "latest"
     * includes every transaction committed before the request — not only what the last status report had seen.
     */
    public Optional<Lsn> sourcePosition(Source source) {
        try (var ignored = MDC.putCloseable("source", source.id().toString())) {
            return Optional.of(currentPosition(sources.credentials(source)).lsn());
        } catch (RuntimeException e) {
            log.warn("cannot read the current WAL position of source {}: {}", source.id(), e.getMessage());
            return Optional.empty();
        }
    }

    /** The WAL insert position and the server's clock, read together in one statement. */
    private Position currentPosition(ConnectionString source) {
        try (Connection c = DriverManager.getConnection(
                        source.jdbcUrl(),
                        SourceConnections.properties(source, connectSettings, "recall-restore-point"));
                Statement st = c.createStatement()) {
            st.setQueryTimeout((int) connectSettings.statementTimeout().toSeconds());
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text, clock_timestamp()")) {
                rs.next();
                return new Position(Lsn.parse(rs.getString(1)), rs.getObject(2, OffsetDateTime.class));
            }
        } catch (SQLException e) {
            throw PgErrors.connectFailure(source, e);
        }
    }

    private byte[] serialise(RestorePointMarker marker) {
        try {
            return json.writeValueAsBytes(marker);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a restore point marker", e);
        }
    }
}
