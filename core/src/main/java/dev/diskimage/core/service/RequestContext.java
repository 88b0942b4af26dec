package dev.diskimage.core.service;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Who is asking, carried to the image service with every call: Cinder's and Nova's request
 * context reduced to what an image service needs.
 *
 * <p>The token is a credential: {@link #toString()} never shows it, and neither does any log line
 * or error message of this project.
 *
 * @param authToken the token sent as {@code X-Auth-Token}, if the service wants one
 * @param userId the user the call is made for, if known (keys {@code TemporaryImages} scopes)
 * @param projectId the project (tenant) the call is made for, if known
 * @param roles the roles of the user, for services that read them without a token
 * @param requestId the id that ties this call to the caller's request in both sides' logs
 */
public record RequestContext(Optional<String> authToken, Optional<String> userId, Optional<String> projectId,
        List<String> roles, String requestId) {

    /** Validates and copies the parts. */
    public RequestContext {
        Objects.requireNonNull(authToken, "authToken");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(projectId, "projectId");
        roles = List.copyOf(roles);
        Objects.requireNonNull(requestId, "requestId");
        authToken.ifPresent(token -> requireHeaderSafe(token, "authToken"));
        userId.ifPresent(user -> requireHeaderSafe(user, "userId"));
        projectId.ifPresent(project -> requireHeaderSafe(project, "projectId"));
        roles.forEach(role -> requireHeaderSafe(role, "role"));
        requireHeaderSafe(requestId, "requestId");
    }

    /**
     * A context with no credentials and a fresh request id: for the local directory service and
     * for services that need no identity.
     *
     * @return the anonymous context
     */
    public static RequestContext anonymous() {
        return new RequestContext(Optional.empty(), Optional.empty(), Optional.empty(), List.of(), newRequestId());
    }

    /**
     * A context that authenticates with a token.
     *
     * @param token the token sent as {@code X-Auth-Token}
     * @return the context, with a fresh request id
     */
    public static RequestContext withToken(String token) {
        return anonymous().token(token);
    }

    /**
     * This context with another token.
     *
     * @param token the token sent as {@code X-Auth-Token}
     * @return the new context
     */
    public RequestContext token(String token) {
        return new RequestContext(Optional.of(token), userId, projectId, roles, requestId);
    }

    /**
     * This context acting for a user in a project with roles, as a keystone-less deployment
     * reads them from {@code X-User-Id}, {@code X-Tenant-Id} and {@code X-Roles}.
     *
     * @param user the user id
     * @param project the project id
     * @param userRoles the user's roles
     * @return the new context
     */
    public RequestContext identity(String user, String project, List<String> userRoles) {
        return new RequestContext(authToken, Optional.of(user), Optional.of(project), userRoles, requestId);
    }

    /**
     * The key of the user for per-user caches; the anonymous user is one user.
     *
     * @return the user id, or {@code "-"} when the context names none
     */
    public String userKey() {
        return userId.orElse("-");
    }

    /** Never shows the token: only whether there is one. */
    @Override
    public String toString() {
        return "RequestContext[user=" + userId.orElse("-") + ", project=" + projectId.orElse("-")
                + ", roles=" + roles + ", requestId=" + requestId
                + ", token=" + (authToken.isPresent() ? "(set)" : "(none)") + "]";
    }

    private static String newRequestId() {
        return "req-" + UUID.randomUUID();
    }

    /** Header values must not smuggle a line break (header injection) or other control text. */
    private static void requireHeaderSafe(String value, String what) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(what + " contains a control character");
            }
        }
    }
}
