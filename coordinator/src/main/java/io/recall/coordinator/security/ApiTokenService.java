package io.recall.coordinator.security;

import static io.recall.coordinator.db.Tables.API_TOKENS;

import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Issues, looks up and revokes API bearer tokens. Only SHA-256 digests are stored. Thread-safe. */
@Service
public class ApiTokenService {

    /** A token's public description; the secret value is shown once, at creation. */
    public record TokenInfo(UUID id, String name, String role, OffsetDateTime createdAt) {}

    /** The result of creating a token: the only time its value is visible. */
    public record IssuedToken(UUID id, String name, String role, String token, OffsetDateTime createdAt) {}

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MIN_TOKEN_LENGTH = 32;

    private final DSLContext db;

    ApiTokenService(DSLContext db) {
        this.db = db;
    }

    /** Who presented a known token: the token's name (recorded as who asked, e.g. for a restore) and its role. */
    record Caller(String name, ApiRole role) {}

    /** Resolves a presented token to its name and role, if it is known. */
    Optional<Caller> authenticate(String token) {
        return db.select(API_TOKENS.NAME, API_TOKENS.ROLE)
                .from(API_TOKENS)
                .where(API_TOKENS.TOKEN_SHA256.eq(sha256(token)))
                .fetchOptional(r -> new Caller(r.value1(), ApiRole.parse(r.value2())));
    }

    @Transactional
    public IssuedToken issue(String name, ApiRole role) {
        String token = "rcl_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
        TokenInfo info = install(name, role, token, false);
        return new IssuedToken(info.id(), info.name(), info.role(), token, info.createdAt());
    }

    /**
     * Installs a token value chosen elsewhere (the bootstrap admin token from configuration). Idempotent for the same
     * name and value; with {@code replace} a token of that name gets the new value and role (rotation).
     */
    @Transactional
    public TokenInfo install(String name, ApiRole role, String token, boolean replace) {
        if (name == null || name.isBlank()) {
            throw new InvalidRequestException("token name must not be empty");
        }
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw new InvalidRequestException("a token must be at least " + MIN_TOKEN_LENGTH + " characters long");
        }
        String digest = sha256(token);
        var existing = db.selectFrom(API_TOKENS).where(API_TOKENS.NAME.eq(name)).fetchOptional();
        if (existing.isPresent()) {
            var r = existing.get();
            if (!r.getTokenSha256().equals(digest) || !r.getRole().equals(role.label())) {
                if (!replace) {
                    throw new ConflictException("a token named '" + name + "' already exists");
                }
                r.setTokenSha256(digest);
                r.setRole(role.label());
                r.store();
            }
            return new TokenInfo(r.getId(), r.getName(), r.getRole(), r.getCreatedAt());
        }
        var now = OffsetDateTime.now(ZoneOffset.UTC);
        UUID id = UUID.randomUUID();
        db.insertInto(API_TOKENS)
                .set(API_TOKENS.ID, id)
                .set(API_TOKENS.NAME, name)
                .set(API_TOKENS.ROLE, role.label())
                .set(API_TOKENS.TOKEN_SHA256, digest)
                .set(API_TOKENS.CREATED_AT, now)
                .execute();
        return new TokenInfo(id, name, role.label(), now);
    }

    public List<TokenInfo> list() {
        return db.select(API_TOKENS.ID, API_TOKENS.NAME, API_TOKENS.ROLE, API_TOKENS.CREATED_AT)
                .from(API_TOKENS)
                .orderBy(API_TOKENS.CREATED_AT)
                .fetch(r -> new TokenInfo(r.value1(), r.value2(), r.value3(), r.value4()));
    }

    @Transactional
    public void revoke(UUID id) {
        if (db.deleteFrom(API_TOKENS).where(API_TOKENS.ID.eq(id)).execute() == 0) {
            throw new NotFoundException("token", id.toString());
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return b;
    }

    static String sha256(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
