package dev.diskimage.catalog.templates;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lago template repository: a JSON document with the repository's {@code name}, its
 * {@code sources} (each {@code {"type": "file"|"http", "args": {...}}}) and its
 * {@code templates}, each with {@code versions} naming a source, a {@code handle} (the image's
 * path below the source root) and a {@code timestamp} (seconds since 1970).
 *
 * <pre>{@code
 * TemplateRepository repo = TemplateRepository.fromUrl("https://templates.example/repo.metadata");
 * TemplateVersion v = repo.template("el7-base").latest();     // newest timestamp
 * }</pre>
 *
 * <p>The document is read strictly and with bounds, because it decides which files this host
 * reads and what it names them: duplicate keys, a missing or mistyped field, a source a version
 * does not declare, a name that could not be a store file name ({@code [A-Za-z0-9][A-Za-z0-9._+@-]*},
 * at most 128 characters), a handle that is absolute or climbs with {@code ..}, a timestamp
 * outside years 1970 to 9999, or more entries than the caps below are all a
 * {@link TemplateRepositoryException} naming the repository and the field. Keys this class does
 * not know are ignored (lago ignores them too). A repository fetched over HTTP may not declare
 * {@code file} sources. Immutable and thread-safe.
 */
public final class TemplateRepository {
    private static final Logger LOG = LoggerFactory.getLogger(TemplateRepository.class);

    /** Largest repository document read, in bytes. */
    public static final int MAX_DOCUMENT_BYTES = 8 << 20;
    /** Most sources a repository may declare. */
    public static final int MAX_SOURCES = 1_000;
    /** Most templates a repository may declare. */
    public static final int MAX_TEMPLATES = 10_000;
    /** Most versions in one repository, all templates together. */
    public static final int MAX_VERSIONS = 100_000;
    /** Longest repository, template, version or source name. */
    public static final int MAX_NAME_CHARS = 128;
    /** Longest handle. */
    public static final int MAX_HANDLE_CHARS = 1024;
    /** Latest timestamp accepted: 9999-12-31T23:59:59Z. */
    static final long MAX_TIMESTAMP_SECONDS = 253_402_300_799L;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+@-]*");

    private final String location;
    private final String name;
    private final Map<String, TemplateSource> sources;
    private final Map<String, Template> templates;

    private TemplateRepository(String location, String name, Map<String, TemplateSource> sources,
                               Map<String, Template> templates) {
        this.location = location;
        this.name = name;
        this.sources = Collections.unmodifiableMap(sources);
        this.templates = Collections.unmodifiableMap(templates);
    }

    /**
     * Reads a repository document from a local path, a {@code file:} URL or an http(s) URL
     * (lago's {@code TemplateRepository.from_url}). A relative {@code root} of a {@code file}
     * source is relative to the document's directory; a leading {@code ~/} is the user's home.
     *
     * @param pathOrUrl a path, or a URL starting with {@code http://}, {@code https://} or {@code file:}
     * @return the repository
     * @throws TemplateNotFoundException if there is no document there (no file, HTTP 404)
     * @throws TemplateRepositoryException if it cannot be read or breaks the schema
     */
    public static TemplateRepository fromUrl(String pathOrUrl) {
        Objects.requireNonNull(pathOrUrl, "pathOrUrl");
        String lower = pathOrUrl.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            URI url;
            try {
                url = URI.create(pathOrUrl);
            } catch (IllegalArgumentException e) {
                throw new TemplateRepositoryException(pathOrUrl, "", "not a valid URL", e);
            }
            byte[] document;
            try {
                document = SmallDocument.get(url, MAX_DOCUMENT_BYTES).orElseThrow(() ->
                        new TemplateNotFoundException("template repository " + UntrustedText.sanitize(pathOrUrl, 300)
                                + " does not exist (HTTP 404)"));
            } catch (IOException e) {
                throw new TemplateRepositoryException(pathOrUrl, "", "could not be fetched: "
                        + UntrustedText.sanitize(SmallDocument.describe(e), 300), e);
            }
            return parse(pathOrUrl, document, Optional.empty());
        }
        Path file;
        try {
            file = lower.startsWith("file:") ? Path.of(URI.create(pathOrUrl)) : Path.of(pathOrUrl);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new TemplateRepositoryException(pathOrUrl, "", "not a valid path or URL", e);
        }
        file = file.toAbsolutePath();
        byte[] document;
        try {
            document = SmallDocument.read(file, MAX_DOCUMENT_BYTES).orElseThrow(() -> new TemplateNotFoundException(
                    "template repository " + UntrustedText.sanitize(pathOrUrl, 300) + " does not exist"));
        } catch (IOException e) {
            throw new TemplateRepositoryException(pathOrUrl, "", "could not be read: "
                    + UntrustedText.sanitize(SmallDocument.describe(e), 300), e);
        }
        return parse(pathOrUrl, document, Optional.of(file.getParent()));
    }

    /**
     * Parses a repository document.
     *
     * @param location the path or URL it came from, for messages
     * @param document the JSON bytes
     * @param localDirectory the directory of a local document (relative {@code file} roots
     *     resolve against it); empty for a document fetched over HTTP, which may not declare
     *     {@code file} sources
     */
    static TemplateRepository parse(String location, byte[] document, Optional<Path> localDirectory) {
        JsonNode root;
        try {
            root = StrictJson.tree().readTree(document);
        } catch (JsonProcessingException e) {
            throw new TemplateRepositoryException(location, "", "malformed JSON: " + StrictJson.describe(e), e);
        } catch (IOException e) {
            throw new TemplateRepositoryException(location, "", "could not be read: " + SmallDocument.describe(e), e);
        }
        Fields fields = new Fields(location);
        if (root == null || !root.isObject()) {
            throw new TemplateRepositoryException(location, "", "the document is not a JSON object");
        }
        String name = fields.name(root, "name", "name");
        Map<String, TemplateSource> sources = new LinkedHashMap<>();
        JsonNode sourcesNode = fields.object(root, "sources", "sources", MAX_SOURCES);
        for (Map.Entry<String, JsonNode> entry : sourcesNode.properties()) {
            String field = "sources." + entry.getKey();
            String sourceName = fields.checkName(entry.getKey(), field);
            sources.put(sourceName, source(fields, sourceName, entry.getValue(), field, localDirectory));
        }
        Map<String, Template> templates = new TreeMap<>();
        JsonNode templatesNode = fields.object(root, "templates", "templates", MAX_TEMPLATES);
        int versionCount = 0;
        for (Map.Entry<String, JsonNode> entry : templatesNode.properties()) {
            String field = "templates." + entry.getKey();
            String templateName = fields.checkName(entry.getKey(), field);
            if (!entry.getValue().isObject()) {
                throw new TemplateRepositoryException(location, field, "is not a JSON object");
            }
            JsonNode versionsNode = fields.object(entry.getValue(), "versions", field + ".versions", MAX_VERSIONS);
            if (versionsNode.isEmpty()) {
                throw new TemplateRepositoryException(location, field + ".versions", "lists no version");
            }
            versionCount += versionsNode.size();
            if (versionCount > MAX_VERSIONS) {
                throw new TemplateRepositoryException(location, field + ".versions",
                        "the repository lists more than " + MAX_VERSIONS + " versions");
            }
            Map<String, TemplateVersion> versions = new TreeMap<>();
            for (Map.Entry<String, JsonNode> v : versionsNode.properties()) {
                String vField = field + ".versions." + v.getKey();
                String versionName = fields.checkName(v.getKey(), vField);
                JsonNode spec = v.getValue();
                if (!spec.isObject()) {
                    throw new TemplateRepositoryException(location, vField, "is not a JSON object");
                }
                String sourceName = fields.text(spec, "source", vField + ".source", MAX_NAME_CHARS);
                TemplateSource source = sources.get(sourceName);
                if (source == null) {
                    throw new TemplateRepositoryException(location, vField + ".source", "names the source '"
                            + UntrustedText.sanitize(sourceName, 200)
                            + "', which the repository does not declare (sources: "
                            + String.join(", ", sources.keySet()) + ")");
                }
                String handle = fields.handle(spec, vField + ".handle");
                Instant timestamp = fields.timestamp(spec, vField + ".timestamp");
                versions.put(versionName,
                        new TemplateVersion(name, templateName, versionName, source, handle, timestamp));
            }
            templates.put(templateName, new Template(name, templateName, versions));
        }
        LOG.debug("template repository {} ({}): {} sources, {} templates, {} versions", name,
                UntrustedText.sanitize(location, 300), sources.size(), templates.size(), versionCount);
        return new TemplateRepository(location, name, sources, templates);
    }

    private static TemplateSource source(Fields fields, String sourceName, JsonNode spec, String field,
                                         Optional<Path> localDirectory) {
        String location = fields.location;
        if (!spec.isObject()) {
            throw new TemplateRepositoryException(location, field, "is not a JSON object");
        }
        String type = fields.text(spec, "type", field + ".type", 64);
        JsonNode args = fields.object(spec, "args", field + ".args", 64);
        switch (type) {
            case "file": {
                if (localDirectory.isEmpty()) {
                    throw new TemplateRepositoryException(location, field + ".type", "a repository fetched over"
                            + " HTTP may not declare file sources (they would read this host's files)");
                }
                String root = fields.text(args, "root", field + ".args.root", 4096);
                try {
                    Path home = Path.of(System.getProperty("user.home"));
                    Path path = root.equals("~") ? home
                            : root.startsWith("~/") ? home.resolve(root.substring(2)) : Path.of(root);
                    return new FileTemplateSource(sourceName, localDirectory.get().resolve(path).toAbsolutePath());
                } catch (IllegalArgumentException e) {
                    throw new TemplateRepositoryException(location, field + ".args.root", "is not a valid path", e);
                }
            }
            case "http": {
                String baseUrl = fields.text(args, "baseurl", field + ".args.baseurl", 4096);
                try {
                    return new HttpTemplateSource(sourceName, new URI(baseUrl));
                } catch (java.net.URISyntaxException e) {
                    throw new TemplateRepositoryException(location, field + ".args.baseurl",
                            "is not a URL: " + UntrustedText.sanitize(e.getReason(), 200), e);
                } catch (IllegalArgumentException e) {
                    throw new TemplateRepositoryException(location, field + ".args.baseurl",
                            UntrustedText.sanitize(e.getMessage(), 300), e);
                }
            }
            default:
                throw new TemplateRepositoryException(location, field + ".type", "unknown source type '"
                        + UntrustedText.sanitize(type, 100) + "' (known: file, http)");
        }
    }

    /**
     * The repository's name, the first part of its versions' store names.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Where the repository was read from.
     *
     * @return the path or URL as given to {@link #fromUrl(String)}
     */
    public String location() {
        return location;
    }

    /**
     * The declared sources.
     *
     * @return the sources by name, in document order; unmodifiable
     */
    public Map<String, TemplateSource> sources() {
        return sources;
    }

    /**
     * The templates.
     *
     * @return the templates by name, sorted; unmodifiable
     */
    public Map<String, Template> templates() {
        return templates;
    }

    /**
     * The template by that name.
     *
     * @param template the template's name
     * @return the template
     * @throws TemplateNotFoundException if the repository has no such template; the message lists those it has
     */
    public Template template(String template) {
        Template found = templates.get(Objects.requireNonNull(template, "template"));
        if (found == null) {
            List<String> names = List.copyOf(templates.keySet());
            String known = names.size() <= 20 ? String.join(", ", names)
                    : String.join(", ", names.subList(0, 20)) + ", ... (" + names.size() + " in all)";
            throw new TemplateNotFoundException("template " + UntrustedText.sanitize(template, 200)
                    + " does not exist in repository " + name + " (" + UntrustedText.sanitize(location, 300)
                    + "; templates: " + known + ")");
        }
        return found;
    }

    /**
     * A version by reference: {@code TEMPLATE} for the latest version, {@code TEMPLATE:VERSION}
     * for a given one (the command line's form).
     *
     * @param reference {@code TEMPLATE} or {@code TEMPLATE:VERSION}
     * @return the version
     * @throws TemplateNotFoundException if there is no such template or version
     */
    public TemplateVersion version(String reference) {
        Objects.requireNonNull(reference, "reference");
        int colon = reference.indexOf(':');
        if (colon < 0) {
            return template(reference).latest();
        }
        return template(reference.substring(0, colon)).version(reference.substring(colon + 1));
    }

    @Override
    public String toString() {
        return "TemplateRepository[" + name + " from " + UntrustedText.sanitize(location, 300) + "]";
    }

    /** Typed, bounded field access with errors naming the repository and the field. */
    private static final class Fields {
        private static final Set<String> DOT_SEGMENTS = Set.of(".", "..");
        final String location;

        Fields(String location) {
            this.location = location;
        }

        JsonNode object(JsonNode parent, String key, String field, int maxEntries) {
            JsonNode node = parent.get(key);
            if (node == null) {
                throw new TemplateRepositoryException(location, field, "is missing");
            }
            if (!node.isObject()) {
                throw new TemplateRepositoryException(location, field, "is not a JSON object");
            }
            if (node.size() > maxEntries) {
                throw new TemplateRepositoryException(location, field, "has " + node.size()
                        + " entries, more than the " + maxEntries + " accepted");
            }
            return node;
        }

        String text(JsonNode parent, String key, String field, int maxChars) {
            JsonNode node = parent.get(key);
            if (node == null) {
                throw new TemplateRepositoryException(location, field, "is missing");
            }
            if (!node.isTextual()) {
                throw new TemplateRepositoryException(location, field, "is not a string");
            }
            String value = node.textValue();
            if (value.isEmpty()) {
                throw new TemplateRepositoryException(location, field, "is empty");
            }
            if (value.length() > maxChars) {
                throw new TemplateRepositoryException(location, field, "is " + value.length()
                        + " characters long, more than the " + maxChars + " accepted");
            }
            return value;
        }

        String name(JsonNode parent, String key, String field) {
            return checkName(text(parent, key, field, MAX_NAME_CHARS), field);
        }

        String checkName(String value, String field) {
            if (value.length() > MAX_NAME_CHARS || !NAME.matcher(value).matches()) {
                throw new TemplateRepositoryException(location, field, "the name '" + UntrustedText.sanitize(value, 200)
                        + "' is not 1 to " + MAX_NAME_CHARS
                        + " of A-Z a-z 0-9 . _ + @ - starting with a letter or digit"
                        + " (names become store file names repository:template:version)");
            }
            return value;
        }

        String handle(JsonNode spec, String field) {
            String handle = text(spec, "handle", field, MAX_HANDLE_CHARS);
            String problem = null;
            if (handle.startsWith("/")) {
                problem = "is an absolute path; a handle is relative to its source's root";
            } else if (handle.indexOf('\\') >= 0) {
                problem = "contains a backslash";
            } else if (!handle.equals(UntrustedText.sanitize(handle, MAX_HANDLE_CHARS + UntrustedText.MIN_CAP))) {
                problem = "contains control or invisible characters";
            } else {
                for (String segment : handle.split("/", -1)) {
                    if (segment.isEmpty() || DOT_SEGMENTS.contains(segment)) {
                        problem = "has an empty, '.' or '..' path segment; a handle stays below its source's root";
                        break;
                    }
                }
            }
            if (problem != null) {
                throw new TemplateRepositoryException(location, field,
                        "'" + UntrustedText.sanitize(handle, 300) + "' " + problem);
            }
            return handle;
        }

        Instant timestamp(JsonNode spec, String field) {
            JsonNode node = spec.get("timestamp");
            if (node == null) {
                throw new TemplateRepositoryException(location, field, "is missing");
            }
            if (!node.isNumber()) {
                throw new TemplateRepositoryException(location, field,
                        "is not a number (seconds since 1970-01-01 UTC)");
            }
            BigDecimal seconds;
            try {
                // A float beyond double's range parses as infinity, which has no decimal value.
                seconds = node.decimalValue();
            } catch (NumberFormatException e) {
                throw new TemplateRepositoryException(location, field, "is not a finite number", e);
            }
            if (seconds.signum() < 0 || seconds.compareTo(BigDecimal.valueOf(MAX_TIMESTAMP_SECONDS)) > 0) {
                throw new TemplateRepositoryException(location, field, seconds.toPlainString()
                        + " is not between 0 and " + MAX_TIMESTAMP_SECONDS + " seconds since 1970-01-01 UTC");
            }
            long whole = seconds.longValue();
            long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
            return Instant.ofEpochSecond(whole, nanos);
        }
    }
}
