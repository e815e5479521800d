package io.recall.coordinator.source;

import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.recall.coordinator.catalog.BaseBackupView;
import io.recall.coordinator.source.SourceApi.BaseBackupRequested;
import io.recall.coordinator.source.SourceApi.CaptureControl;
import io.recall.coordinator.source.SourceApi.Deletion;
import io.recall.coordinator.source.SourceApi.RegisterSource;
import io.recall.coordinator.source.SourceApi.SourceView;
import io.recall.coordinator.source.probe.ProbeReport;
import io.swagger.v3.oas.annotations.Operation;
import java.net.URI;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Thin REST layer over {@link SourceService}. */
@RestController
class SourceController {

    private final SourceService sources;

    SourceController(SourceService sources) {
        this.sources = sources;
    }

    @Operation(
            summary = "Register a source: probe it, and store it unless a blocking check fails (422 with the report)")
    @PostMapping("/api/v1/sources")
    ResponseEntity<SourceView> register(@RequestBody RegisterSource request) {
        SourceView view = sources.register(request);
        return ResponseEntity.created(URI.create("/api/v1/sources/" + view.id()))
                .body(view);
    }

    @Operation(summary = "List sources")
    @GetMapping("/api/v1/sources")
    List<SourceView> list() {
        return sources.list();
    }

    @Operation(summary = "One source, with its latest capability report")
    @GetMapping("/api/v1/sources/{id}")
    SourceView get(@PathVariable String id) {
        return sources.get(parse(id));
    }

    @Operation(summary = "Run the capability probe again")
    @PostMapping("/api/v1/sources/{id}/probe")
    ProbeReport probe(@PathVariable String id) {
        return sources.reprobe(parse(id));
    }

    @Operation(
            summary = "Pause capture. The replication slot is kept, so no change is lost, and the source retains WAL"
                    + " for it until the source is resumed or deleted")
    @PostMapping("/api/v1/sources/{id}/pause")
    CaptureControl pause(@PathVariable String id) {
        return sources.pause(parse(id));
    }

    @Operation(summary = "Resume capture from where the replication slot stopped")
    @PostMapping("/api/v1/sources/{id}/resume")
    CaptureControl resume(@PathVariable String id) {
        return sources.resume(parse(id));
    }

    @Operation(summary = "Take a base backup now: 202 with the request id; a capture worker takes it")
    @PostMapping("/api/v1/sources/{id}/base-backups")
    ResponseEntity<BaseBackupRequested> requestBaseBackup(@PathVariable String id) {
        SourceId source = parse(id);
        BaseBackupRequested requested = sources.requestBaseBackup(source);
        return ResponseEntity.accepted()
                .location(URI.create("/api/v1/sources/" + source + "/base-backups"))
                .body(requested);
    }

    @Operation(summary = "The source's base backups, newest first")
    @GetMapping("/api/v1/sources/{id}/base-backups")
    List<BaseBackupView> baseBackups(@PathVariable String id) {
        return sources.baseBackups(parse(id));
    }

    @Operation(
            summary = "Stop capture (tombstone on recall.sources), drop the slot and publication on the source once"
                    + " the capture has released the slot, and forget the source; force=true forgets an unreachable"
                    + " source anyway. Stored backups and segments are kept unless purge=true, which deletes"
                    + " everything stored under sources/{id}/")
    @DeleteMapping("/api/v1/sources/{id}")
    Deletion delete(
            @PathVariable String id,
            @RequestParam(defaultValue = "false") boolean force,
            @RequestParam(defaultValue = "false") boolean purge) {
        return sources.delete(parse(id), force, purge);
    }

    static SourceId parse(String id) {
        try {
            return SourceId.parse(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'" + id + "' is not a source id (a UUID)");
        }
    }
}
