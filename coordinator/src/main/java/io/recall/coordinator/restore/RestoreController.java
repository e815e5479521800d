package io.recall.coordinator.restore;

import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.recall.coordinator.restore.RestoreApi.CreateRestore;
import io.recall.coordinator.restore.RestoreApi.CreateRestorePoint;
import io.recall.coordinator.restore.RestoreApi.RestorePointView;
import io.recall.coordinator.restore.RestoreApi.RestoreView;
import io.swagger.v3.oas.annotations.Operation;
import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Thin REST layer over {@link RestoreService} and {@link RestorePoints}. */
@RestController
class RestoreController {

    private final RestoreService restores;
    private final RestorePoints points;

    RestoreController(RestoreService restores, RestorePoints points) {
        this.restores = restores;
        this.points = points;
    }

    @Operation(
            summary = "Restore a source into another database, to an LSN, a time, an xid, a named restore point or the"
                    + " latest durable change: 202 with the job, which a restore worker runs. 422 with the recovery"
                    + " window when the target lies outside it or inside a gap, or when the target is the source")
    @PostMapping("/api/v1/restores")
    ResponseEntity<RestoreView> create(@RequestBody(required = false) CreateRestore request, Principal caller) {
        RestoreView view = restores.create(request, caller == null ? null : caller.getName());
        return ResponseEntity.accepted()
                .location(URI.create("/api/v1/restores/" + view.id()))
                .body(view);
    }

    @Operation(summary = "Restore jobs, newest first; filter by sourceId and status")
    @GetMapping("/api/v1/restores")
    List<RestoreView> list(
            @RequestParam(required = false) String sourceId,
            @RequestParam(required = false) String status,
            @RequestParam(defaultValue = "100") int limit) {
        return restores.list(sourceId, status, limit);
    }

    @Operation(summary = "One restore job with its progress")
    @GetMapping("/api/v1/restores/{id}")
    RestoreView get(@PathVariable String id) {
        return restores.get(restoreId(id));
    }

    @Operation(
            summary = "Cancel a restore job: a queued job is CANCELLED at once, a running one when its worker stops"
                    + " it; 409 if the job has already ended")
    @PostMapping("/api/v1/restores/{id}/cancel")
    ResponseEntity<RestoreView> cancel(@PathVariable String id, Principal caller) {
        RestoreView view = restores.cancel(restoreId(id), caller == null ? null : caller.getName());
        return ResponseEntity.accepted()
                .location(URI.create("/api/v1/restores/" + view.id()))
                .body(view);
    }

    @Operation(
            summary = "Create a named restore point at the source's current WAL position (pg_current_wal_lsn() and"
                    + " its clock, read together); restoring to it applies every transaction committed before it")
    @PostMapping("/api/v1/sources/{id}/restore-points")
    ResponseEntity<RestorePointView> createPoint(
            @PathVariable String id, @RequestBody(required = false) CreateRestorePoint request) {
        RestorePointView view = points.create(sourceId(id), request);
        return ResponseEntity.created(
                        URI.create("/api/v1/sources/" + view.sourceId() + "/restore-points/" + view.name()))
                .body(view);
    }

    @Operation(summary = "The source's restore points, in LSN order")
    @GetMapping("/api/v1/sources/{id}/restore-points")
    List<RestorePointView> points(@PathVariable String id) {
        return points.list(sourceId(id));
    }

    @Operation(summary = "One restore point")
    @GetMapping("/api/v1/sources/{id}/restore-points/{name}")
    RestorePointView point(@PathVariable String id, @PathVariable String name) {
        return points.get(sourceId(id), name);
    }

    private static UUID restoreId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'" + id + "' is not a restore id (a UUID)");
        }
    }

    private static SourceId sourceId(String id) {
        try {
            return SourceId.parse(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'" + id + "' is not a source id (a UUID)");
        }
    }
}
