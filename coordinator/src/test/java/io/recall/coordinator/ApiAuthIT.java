package io.recall.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every route answers 401 without a valid token and 403 for a role too weak for it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiAuthIT extends CoordinatorIT {

    /** A route and the weakest role allowed to call it. */
    record Route(String method, String path, String minRole) {}

    private static final String ANY_ID = UUID.randomUUID().toString();

    private static final List<Route> ROUTES = List.of(
            new Route("GET", "/api/v1/sources", "viewer"),
            new Route("GET", "/api/v1/sources/" + ANY_ID, "viewer"),
            new Route("POST", "/api/v1/sources", "admin"),
            new Route("DELETE", "/api/v1/sources/" + ANY_ID, "admin"),
            new Route("DELETE", "/api/v1/sources/" + ANY_ID + "?purge=true", "admin"),
            new Route("POST", "/api/v1/sources/" + ANY_ID + "/probe", "admin"),
            new Route("POST", "/api/v1/sources/" + ANY_ID + "/pause", "operator"),
            new Route("POST", "/api/v1/sources/" + ANY_ID + "/resume", "operator"),
            new Route("POST", "/api/v1/sources/" + ANY_ID + "/base-backups", "operator"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/base-backups", "viewer"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/segments", "viewer"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/recovery-window", "viewer"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/schema-history", "viewer"),
            new Route("POST", "/api/v1/admin/catalog/rebuild?sourceId=" + ANY_ID, "admin"),
            new Route("POST", "/api/v1/sources/" + ANY_ID + "/restore-points", "operator"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/restore-points", "viewer"),
            new Route("GET", "/api/v1/sources/" + ANY_ID + "/restore-points/before-migration", "viewer"),
            new Route("POST", "/api/v1/restores", "operator"),
            new Route("GET", "/api/v1/restores", "viewer"),
            new Route("GET", "/api/v1/restores/" + ANY_ID, "viewer"),
            new Route("POST", "/api/v1/restores/" + ANY_ID + "/cancel", "operator"),
            new Route("GET", "/api/v1/tokens", "admin"),
            new Route("POST", "/api/v1/tokens", "admin"),
            new Route("DELETE", "/api/v1/tokens/" + ANY_ID, "admin"));

    private String viewer;
    private String operator;

    @BeforeAll
    void tokens() {
        viewer = issue("viewer");
        operator = issue("operator");
    }

    private String issue(String role) {
        Api.Response r = admin().post("/api/v1/tokens", Map.of("name", role + "-" + UUID.randomUUID(), "role", role));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("role").asText()).isEqualTo(role);
        return r.json().get("token").asText();
    }

    @Test
    void withoutAValidTokenEveryRouteAnswers401() {
        Api anonymous = new Api(port, null);
        Api bogus = new Api(port, "rcl_" + "x".repeat(43));
        for (Route route : ROUTES) {
            for (Api client : List.of(anonymous, bogus)) {
                Api.Response r =
                        client.send(route.method(), route.path(), route.method().equals("POST") ? Map.of() : null);
                assertThat(r.status()).as(route + " " + r.body()).isEqualTo(401);
                assertThat(r.contentType()).contains("application/problem+json");
                assertThat(r.json().get("type").asText()).endsWith("/unauthenticated");
            }
        }
    }

    @Test
    void rolesTooWeakGet403AndStrongEnoughRolesGetPast() {
        Map<String, String> tokens = Map.of("viewer", viewer, "operator", operator, "admin", ADMIN_TOKEN);
        List<String> order = List.of("viewer", "operator", "admin");
        for (Route route : ROUTES) {
            for (String role : order) {
                Api.Response r = new Api(port, tokens.get(role))
                        .send(route.method(), route.path(), route.method().equals("POST") ? Map.of() : null);
                boolean allowed = order.indexOf(role) >= order.indexOf(route.minRole());
                if (allowed) {
                    assertThat(r.status())
                            .as(role + " " + route + " " + r.body())
                            .isNotIn(401, 403);
                } else {
                    assertThat(r.status())
                            .as(role + " " + route + " " + r.body())
                            .isEqualTo(403);
                    assertThat(r.json().get("type").asText()).endsWith("/forbidden");
                }
            }
        }
    }

    @Test
    void healthAndApiDocsAreOpen() {
        Api anonymous = new Api(port, null);
        Api.Response health = anonymous.get("/api/v1/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("UP");
        assertThat(anonymous.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(anonymous.get("/actuator/prometheus").status()).isEqualTo(401);
        Api.Response docs = anonymous.get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.json().get("paths").has("/api/v1/sources")).isTrue();
        assertThat(docs.json().get("paths").has("/api/v1/restores")).isTrue();
        assertThat(docs.json().get("paths").has("/api/v1/sources/{id}/restore-points"))
                .isTrue();
        assertThat(anonymous.get("/swagger-ui/index.html").status()).isEqualTo(200);
    }

    @Test
    void tokensAreStoredHashedAndCanBeRevoked() throws Exception {
        Api.Response created =
                admin().post("/api/v1/tokens", Map.of("name", "revoke-" + UUID.randomUUID(), "role", "viewer"));
        String token = created.json().get("token").asText();
        String id = created.json().get("id").asText();
        assertThat(new Api(port, token).get("/api/v1/sources").status()).isEqualTo(200);
        assertThat(admin().get("/api/v1/tokens").body()).doesNotContain(token);
        try (var c = PG.connect(METADATA_DB);
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT string_agg(t::text, ',') FROM api_tokens t")) {
            rs.next();
            assertThat(rs.getString(1)).doesNotContain(token).doesNotContain(ADMIN_TOKEN);
        }
        assertThat(admin().delete("/api/v1/tokens/" + id).status()).isEqualTo(204);
        assertThat(new Api(port, token).get("/api/v1/sources").status()).isEqualTo(401);
    }
}
