package io.recall.coordinator.catalog;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.errors.InvalidRequestException;
import io.swagger.v3.oas.annotations.Operation;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Thin REST layer over the catalog: segments, the recovery window, schema history, and the rebuild from storage. */
@RestController
class CatalogController {

    private final Segments segments;
    private final RecoveryWindows windows;
    private final SchemaHistory schemaHistory;
    private final CatalogRebuilder rebuilder;

    CatalogController(
            Segments segments, RecoveryWindows windows, SchemaHistory schemaHistory, CatalogRebuilder rebuilder) {
        this.segments = segments;
        this.windows = windows;
        this.schemaHistory = schemaHistory;
        this.rebuilder = rebuilder;
    }

    @Operation(
            summary = "The source's stored segments in LSN order, a page at a time: pass a page's 'next' as 'after'"
                    + " for the next one (a page never splits segments that share a first LSN)")
    @GetMapping("/api/v1/sources/{id}/segments")
    SegmentPage segments(
            @PathVariable String id,
            @RequestParam(defaultValue = "100") int limit,
            @RequestParam(required = false) String after) {
        return segments.page(source(id), optionalLsn("after", after), limit);
    }

    @Operation(
            summary = "What the source can be restored to: intervals from each retained base backup's consistent"
                    + " point to the archived watermark (or the next gap), and the gaps in its stream")
    @GetMapping("/api/v1/sources/{id}/recovery-window")
    RecoveryWindowView recoveryWindow(@PathVariable String id) {
        return RecoveryWindowView.of(windows.of(source(id)));
    }

    @Operation(
            summary = "The source's schema changes (DDL commands recorded by capture) in commit-LSN order, then by"
                    + " their position in the transaction; 'from' and 'to' bound the commit LSN, both inclusive")
    @GetMapping("/api/v1/sources/{id}/schema-history")
    SchemaHistoryView schemaHistory(
            @PathVariable String id,
            @RequestParam(required = false) String from,
            @RequestParam(required = false) String to) {
        return schemaHistory.of(source(id), optionalLsn("from", from), optionalLsn("to", to));
    }

    @Operation(
            summary = "Rebuild the catalog (base backups, segments, gaps, archived watermark) of one source, or of"
                    + " every known source, from storage alone; adds and corrects rows, never removes one, and counts"
                    + " what the catalog names but storage no longer holds")
    @PostMapping("/api/v1/admin/catalog/rebuild")
    CatalogRebuilder.Rebuild rebuild(@RequestParam(required = false) String sourceId) {
        return rebuilder.rebuild(sourceId == null || sourceId.isBlank() ? null : source(sourceId));
    }

    static SourceId source(String id) {
        try {
            return SourceId.parse(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'" + id + "' is not a source id (a UUID)");
        }
    }

    /** Null when the parameter is absent or blank. */
    private static Lsn optionalLsn(String name, String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Lsn.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(name + " must be an LSN such as 0/16B3748, not '" + text + "'");
        }
    }
}
