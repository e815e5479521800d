package io.recall.cli.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The API did not do what was asked: it refused (4xx), it could not be authenticated with (401/403), or it could not
 * be reached or failed (no answer, 5xx, an answer that is not Recall's). Each kind has its own exit code.
 */
public final class ApiException extends RuntimeException {

    /** Why the request failed, with the exit code scripts see for it. */
    public enum Kind {
        REFUSED(1),
        UNAVAILABLE(3),
        UNAUTHORIZED(4);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;
    private final int status;
    private final transient JsonNode problem;

    private ApiException(Kind kind, int status, JsonNode problem, String message) {
        super(message);
        this.kind = kind;
        this.status = status;
        this.problem = problem;
    }

    /**
     * An error answer. Its body is an RFC 9457 problem document when it is Recall's; anything else is wrapped into
     * one, so that callers read {@code title} and {@code detail} alike.
     */
    static ApiException answered(int status, JsonNode body, String rawBody) {
        JsonNode problem =
                body != null && body.isObject() ? body : problem(status, reason(status), abbreviate(rawBody));
        Kind kind = status == 401 || status == 403 ? Kind.UNAUTHORIZED : status < 500 ? Kind.REFUSED : Kind.UNAVAILABLE;
        return new ApiException(kind, status, problem, "HTTP " + status + ": " + Json.text(problem, "title"));
    }

    /** No answer at all: connection refused, a timeout, a name that does not resolve. */
    static ApiException unreachable(String what) {
        return new ApiException(Kind.UNAVAILABLE, 0, problem(0, "Cannot reach Recall", what), what);
    }

    /** An answer that is not Recall's: the URL points at something else. */
    static ApiException notRecall(int status, String what) {
        return new ApiException(Kind.UNAVAILABLE, status, problem(status, "Not Recall's API", what), what);
    }

    /** What the client itself looked up and did not find, reported like the API's own 404. */
    public static ApiException notFound(String detail) {
        return new ApiException(Kind.REFUSED, 404, problem(404, "Not found", detail), detail);
    }

    public Kind kind() {
        return kind;
    }

    public int exitCode() {
        return kind.exitCode();
    }

    /** The HTTP status, or 0 when there was no answer. */
    public int status() {
        return status;
    }

    /** The problem document: {@code title}, {@code detail}, {@code status}, and whatever else the API added. */
    public JsonNode problem() {
        return problem;
    }

    private static ObjectNode problem(int status, String title, String detail) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("title", title);
        if (status > 0) {
            p.put("status", status);
        }
        p.put("detail", detail);
        return p;
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not found";
            case 409 -> "Conflict";
            case 422 -> "Unprocessable";
            case 503 -> "Service unavailable";
            default -> status >= 500 ? "Server error" : "Request refused";
        };
    }

    private static String abbreviate(String body) {
        String text = body == null ? "" : body.strip();
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
}
