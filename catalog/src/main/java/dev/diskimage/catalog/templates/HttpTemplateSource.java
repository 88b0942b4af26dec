package dev.diskimage.catalog.templates;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * A template source on a web server (lago's {@code "type": "http"} with
 * {@code "args": {"baseurl": ...}}): a handle {@code el7/disk} is fetched from
 * {@code <baseurl>/el7/disk}, preferably as {@code <baseurl>/el7/disk.xz}.
 *
 * @param name the source's name in the repository document
 * @param baseUrl an absolute {@code http} or {@code https} URL, without credentials, query or fragment
 */
public record HttpTemplateSource(String name, URI baseUrl) implements TemplateSource {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if {@code baseUrl} is not an absolute http(s) URL with a
     *     host, or has credentials, a query or a fragment
     */
    public HttpTemplateSource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(baseUrl, "baseUrl");
        String scheme = baseUrl.getScheme() == null ? "" : baseUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("not an http or https URL: " + baseUrl);
        }
        if (baseUrl.getRawAuthority() == null || baseUrl.getHost() == null) {
            throw new IllegalArgumentException("the URL names no host: " + baseUrl);
        }
        if (baseUrl.getRawUserInfo() != null) {
            // It would be printed in every message and log line that names a URL.
            throw new IllegalArgumentException("a base URL may not carry credentials (user:password@)");
        }
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw new IllegalArgumentException("a base URL has no query or fragment: " + baseUrl);
        }
        String path = baseUrl.getRawPath() == null || baseUrl.getRawPath().isEmpty() ? "/" : baseUrl.getRawPath();
        if (!path.endsWith("/")) {
            // Handles are below the base, as lago's posixpath.join(baseurl, handle) puts them.
            path = path + "/";
        }
        baseUrl = URI.create(scheme + "://" + baseUrl.getRawAuthority() + path);
    }

    /**
     * The URL of {@code relative} below the base; each path segment is percent-encoded, so a
     * {@code ?} or {@code #} in a handle stays part of the path.
     *
     * @param relative a handle checked by the repository (relative, no {@code ..}), possibly with a suffix
     * @return the absolute URL
     */
    public URI resolve(String relative) {
        try {
            URI encoded = new URI(null, null, "./" + relative, null);
            return baseUrl.resolve(encoded);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the handle " + relative + " is not a URL path", e);
        }
    }

    @Override
    public String describe(String relative) {
        return resolve(relative).toString();
    }
}
