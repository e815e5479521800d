package io.recall.coordinator.api;

import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.errors.SourceConnectionException;
import io.recall.common.storage.StorageException;
import io.recall.coordinator.restore.RestoreRefusedException;
import io.recall.coordinator.restore.RestoreUnavailableException;
import io.recall.coordinator.source.KafkaUnavailableException;
import io.recall.coordinator.source.SlotInUseException;
import io.recall.coordinator.source.probe.ProbeFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Maps Recall's error hierarchy (and Spring MVC's own exceptions, through the base class) to RFC 9457 problem
 * details. No stack trace ever reaches a client; unexpected errors are logged here with their trace.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(ProbeFailedException.class)
    ProblemDetail probeFailed(ProbeFailedException e) {
        ProblemDetail p = problem(
                HttpStatus.UNPROCESSABLE_ENTITY,
                ProblemTypes.PROBE_FAILED,
                "Source cannot be protected",
                e.getMessage());
        p.setProperty("report", e.report());
        return p;
    }

    @ExceptionHandler(SourceConnectionException.class)
    ProblemDetail connection(SourceConnectionException e) {
        var type = switch (e.reason()) {
            case AUTHENTICATION -> ProblemTypes.SOURCE_AUTHENTICATION_FAILED;
            case UNREACHABLE -> ProblemTypes.SOURCE_UNREACHABLE;
            case UNKNOWN_DATABASE -> ProblemTypes.SOURCE_UNKNOWN_DATABASE;
            case PROTOCOL -> ProblemTypes.SOURCE_NOT_POSTGRES;
            case OTHER -> ProblemTypes.SOURCE_CONNECTION_FAILED;
        };
        ProblemDetail p =
                problem(HttpStatus.UNPROCESSABLE_ENTITY, type, "Cannot connect to the database", e.getMessage());
        if (e.sqlState() != null) {
            p.setProperty("sqlState", e.sqlState());
        }
        p.setProperty("retriable", e.isRetriable());
        return p;
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        var type =
                e.getMessage().startsWith("connectionString") || e.getMessage().startsWith("targetConnectionString")
                        ? ProblemTypes.INVALID_CONNECTION_STRING
                        : ProblemTypes.INVALID_REQUEST;
        return problem(HttpStatus.BAD_REQUEST, type, "Invalid request", e.getMessage());
    }

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, ProblemTypes.NOT_FOUND, "Not found", e.getMessage());
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        return problem(HttpStatus.CONFLICT, ProblemTypes.CONFLICT, "Conflict", e.getMessage());
    }

    @ExceptionHandler(SlotInUseException.class)
    ProblemDetail slotInUse(SlotInUseException e) {
        ProblemDetail p =
                problem(HttpStatus.CONFLICT, ProblemTypes.SLOT_IN_USE, "Replication slot still in use", e.getMessage());
        p.setProperty("slotName", e.slotName());
        if (e.activePid() != null) {
            p.setProperty("activePid", e.activePid());
        }
        return p;
    }

    /** The change is committed and will be published: the client may retry, or just wait and read it back. */
    @ExceptionHandler(KafkaUnavailableException.class)
    ResponseEntity<ProblemDetail> kafkaUnavailable(KafkaUnavailableException e) {
        return kafkaUnavailable(e.getMessage(), "sourceId", e.source().toString());
    }

    /** The message says what became of the restore job (failed, or its cancellation recorded) and what to do. */
    @ExceptionHandler(RestoreUnavailableException.class)
    ResponseEntity<ProblemDetail> restoreUnavailable(RestoreUnavailableException e) {
        return kafkaUnavailable(e.getMessage(), "restoreId", e.restoreId().toString());
    }

    private static ResponseEntity<ProblemDetail> kafkaUnavailable(String detail, String idName, String id) {
        log.warn("{}", detail);
        ProblemDetail p =
                problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.KAFKA_UNAVAILABLE, "Kafka unavailable", detail);
        p.setProperty(idName, id);
        p.setProperty("retriable", true);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "10")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(p);
    }

    /** 422; a target outside the recovery window carries the window, in the shape of GET .../recovery-window. */
    @ExceptionHandler(RestoreRefusedException.class)
    ProblemDetail restoreRefused(RestoreRefusedException e) {
        var type = switch (e.reason()) {
            case OUTSIDE_WINDOW -> ProblemTypes.TARGET_OUTSIDE_WINDOW;
            case UNKNOWN_RESTORE_POINT -> ProblemTypes.UNKNOWN_RESTORE_POINT;
            case TARGET_IS_SOURCE -> ProblemTypes.TARGET_IS_SOURCE;
        };
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_ENTITY, type, "Restore refused", e.getMessage());
        if (e.window() != null) {
            p.setProperty("window", e.window());
        }
        return p;
    }

    /** Object storage did not answer (or answered 5xx): nothing was lost, the client may retry. */
    @ExceptionHandler(StorageException.class)
    ResponseEntity<ProblemDetail> storageUnavailable(StorageException e) {
        log.warn("storage unavailable: {}", e.getMessage());
        ProblemDetail p = problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                ProblemTypes.STORAGE_UNAVAILABLE,
                "Storage unavailable",
                "object storage is unavailable: " + e.getMessage());
        p.setProperty("retriable", true);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "10")
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(p);
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        log.error("unexpected error while handling a request", e);
        return problem(
                HttpStatus.INTERNAL_SERVER_ERROR,
                ProblemTypes.INTERNAL,
                "Internal error",
                "an unexpected error occurred; the coordinator's log has the details");
    }

    /** Spring MVC's own errors (unreadable JSON, wrong method, ...) keep their status but never echo internals. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (body instanceof ProblemDetail pd
                && pd.getType().toString().equals("about:blank")
                && status.is4xxClientError()) {
            pd.setType(ProblemTypes.INVALID_REQUEST);
        }
        return super.handleExceptionInternal(ex, body, headers, status, request);
    }

    static ProblemDetail problem(HttpStatus status, java.net.URI type, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(type);
        p.setTitle(title);
        return p;
    }
}
