package io.recall.cli.sources;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.cli.http.ApiClient;
import io.recall.cli.http.ApiException;
import io.recall.cli.http.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A source as the user names it on the command line: by id (a UUID) or by its unique name. A name is looked up in
 * {@code GET /api/v1/sources}; a name that matches nothing is reported like the API's 404 (exit 1).
 */
public final class SourceRef {

    private SourceRef() {}

    /** The source's id: an id as given (no request), a name looked up. */
    public static String id(ApiClient api, String ref) {
        return isId(ref) ? ref : Json.text(byName(api, ref), "id");
    }

    /** The source's whole view, latest probe report included: {@code GET /api/v1/sources/{id}}. */
    public static JsonNode find(ApiClient api, String ref) {
        return api.get(path(id(api, ref)));
    }

    /** {@code /api/v1/sources/{id}} */
    public static String path(String id) {
        return "/api/v1/sources/" + id;
    }

    static boolean isId(String ref) {
        try {
            UUID.fromString(ref);
            return ref.length() == 36;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static JsonNode byName(ApiClient api, String name) {
        List<String> names = new ArrayList<>();
        for (JsonNode s : api.get("/api/v1/sources")) {
            if (name.equals(Json.text(s, "name"))) {
                return s;
            }
            names.add(Json.text(s, "name"));
        }
        throw ApiException.notFound("no source is named '" + name + "'"
                + (names.isEmpty() ? " (there is none yet)" : "; there are: " + String.join(", ", names)));
    }
}
