package io.recall.coordinator.security;

import io.swagger.v3.oas.annotations.Operation;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Token management (admin only). */
@RestController
class TokenController {

    record CreateTokenRequest(
            @NotBlank String name, @NotBlank String role) {}

    private final ApiTokenService tokens;

    TokenController(ApiTokenService tokens) {
        this.tokens = tokens;
    }

    @Operation(summary = "Create an API token; its value is returned once and never again")
    @PostMapping("/api/v1/tokens")
    @ResponseStatus(HttpStatus.CREATED)
    ApiTokenService.IssuedToken create(@Valid @RequestBody CreateTokenRequest request) {
        return tokens.issue(request.name().strip(), ApiRole.parse(request.role()));
    }

    @Operation(summary = "List API tokens (names and roles, never values)")
    @GetMapping("/api/v1/tokens")
    List<ApiTokenService.TokenInfo> list() {
        return tokens.list();
    }

    @Operation(summary = "Revoke an API token")
    @DeleteMapping("/api/v1/tokens/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@PathVariable UUID id) {
        tokens.revoke(id);
    }
}
