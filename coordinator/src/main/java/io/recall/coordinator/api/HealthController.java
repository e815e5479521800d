package io.recall.coordinator.api;

import io.swagger.v3.oas.annotations.Operation;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Liveness. Open without a token so load balancers and orchestrators can call it; it reveals nothing. */
@RestController
class HealthController {

    @Operation(summary = "Liveness of the coordinator")
    @GetMapping("/api/v1/health")
    Map<String, String> health() {
        return Map.of("status", "UP");
    }
}
