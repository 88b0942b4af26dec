package dev.diskimage.cli;

import dev.diskimage.catalog.GlanceImageService;
import dev.diskimage.catalog.GlanceOptions;
import dev.diskimage.catalog.LocalImageService;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.RequestContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Which image service a command talks to, and the one factory that opens it: {@code --service DIR}
 * (a {@link LocalImageService} directory) or {@code --glance URL} with {@code --token} (default
 * {@code $OS_AUTH_TOKEN}) and repeatable {@code --header K:V}. A picocli mixin, shared by
 * {@code images}, {@code upload} and {@code fetch}.
 */
final class ImageServiceOptions {
    /** RFC 9110 token characters: what a header name may hold. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
    private static final int MAX_HEADER_VALUE = 8192;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Where where;

    /** Exactly one of the two. */
    static final class Where {
        @Option(names = "--service", paramLabel = "DIR", required = true,
                description = "A local image directory: one JSON record and one data file per image (created if"
                        + " missing).")
        Path service;

        @Option(names = "--glance", paramLabel = "URL", required = true,
                description = "A Glance v2 endpoint, e.g. http://127.0.0.1:9292.")
        String glance;
    }

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Keystone token for --glance (default: $OS_AUTH_TOKEN, which, unlike this option, other"
                    + " users cannot see in the process list).")
    String token;

    @Option(names = "--header", paramLabel = "K:V",
            description = "An extra HTTP header for --glance (repeatable), e.g. X-Roles:admin.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--user", paramLabel = "ID", description = "The user id a keystone-less Glance reads"
            + " (sent as X-User-Id, with --project and --roles).")
    String user;

    @Option(names = "--project", paramLabel = "ID", description = "The project id a keystone-less Glance reads"
            + " (X-Project-Id and X-Tenant-Id).")
    String project;

    @Option(names = "--roles", paramLabel = "R[,R]", split = ",", description = "The roles a keystone-less Glance"
            + " reads (X-Roles), e.g. member,reader.")
    List<String> roles = new ArrayList<>();

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    /** Where environment variables come from; tests replace it. */
    Function<String, String> environment = System::getenv;

    /**
     * Opens the service the options name.
     *
     * @throws CommandLine.ParameterException for options that do not fit together or a malformed
     *     URL or header (a usage error, exit 2)
     */
    ImageService open() {
        // Checked here, not by picocli: "images list --help" needs no service.
        if (where == null) {
            throw usage("one of --service DIR or --glance URL is needed");
        }
        if (where.service != null) {
            if (token != null || !headers.isEmpty()) {
                throw usage("--token and --header go with --glance, not --service");
            }
            return LocalImageService.open(where.service);
        }
        // A malformed token is a usage error here, before the client exists (the value is not kept:
        // the token travels in each call's context).
        authToken();
        return glance(endpoint(where.glance), parsedHeaders());
    }

    /** The Glance v2 client with the extra headers; the token travels in each call's context. */
    private ImageService glance(URI endpoint, Map<String, String> extraHeaders) {
        GlanceOptions options = GlanceOptions.defaults();
        for (Map.Entry<String, String> header : extraHeaders.entrySet()) {
            try {
                options = options.withHeader(header.getKey(), header.getValue());
            } catch (IllegalArgumentException e) {
                throw usage("--header " + header.getKey() + ": " + e.getMessage()
                        + " (identity headers come from --user, --project and --roles)");
            }
        }
        try {
            return GlanceImageService.connect(endpoint, options);
        } catch (IllegalArgumentException e) {
            throw usage("--glance: " + e.getMessage());
        }
    }

    /** Who asks: with the token, for a service that wants one. */
    RequestContext context() {
        boolean glance = where != null && where.glance != null;
        Optional<String> auth = glance ? authToken() : Optional.empty();
        RequestContext ctx = auth.map(RequestContext::withToken).orElseGet(RequestContext::anonymous);
        if (user == null && project == null && roles.isEmpty()) {
            return ctx;
        }
        if (!glance) {
            throw usage("--user, --project and --roles go with --glance, not --service");
        }
        if (user == null || project == null) {
            throw usage("--user and --project go together (a keystone-less Glance needs both)");
        }
        try {
            return ctx.identity(user, project, roles);
        } catch (IllegalArgumentException e) {
            throw usage("--user, --project or --roles: " + e.getMessage());
        }
    }

    private Optional<String> authToken() {
        String value = token != null ? token : environment.apply("OS_AUTH_TOKEN");
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // never echo the token itself
            throw usage("the token (--token or OS_AUTH_TOKEN) holds a space or control character");
        }
        return Optional.of(value);
    }

    private URI endpoint(String url) {
        try {
            URI uri = new URI(url);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getRawUserInfo() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw usage("--glance needs an http:// or https:// URL with a host and no user info, not '"
                + dev.diskimage.core.UntrustedText.sanitize(url, 200) + "'");
    }

    private Map<String, String> parsedHeaders() {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String header : headers) {
            int colon = header.indexOf(':');
            String name = colon < 0 ? header : header.substring(0, colon);
            if (colon < 0 || !HEADER_NAME.matcher(name).matches()) {
                throw usage("--header needs NAME:VALUE with a header name, not '"
                        + dev.diskimage.core.UntrustedText.sanitize(header, 100) + "'");
            }
            String value = header.substring(colon + 1).strip();
            if (value.length() > MAX_HEADER_VALUE || !value.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
                throw usage("--header " + name + ": the value holds a control character or is too long");
            }
            parsed.put(name, value);
        }
        return parsed;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(mixee.commandLine(), message);
    }
}
