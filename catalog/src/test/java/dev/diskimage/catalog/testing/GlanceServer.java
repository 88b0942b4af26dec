package dev.diskimage.catalog.testing;

import dev.diskimage.core.service.RequestContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real {@code glance-api} (Debian's package) for tests, without Keystone: one process on
 * 127.0.0.1 and a free port, in a temporary directory with its own configuration, SQLite
 * database, file store and log.
 *
 * <p>Identity without Keystone: the generated paste configuration adds a pipeline
 * {@code glance-api-trusted} ({@code [paste_deploy] flavor = trusted}) that is the Keystone
 * pipeline without {@code authtoken}: Glance's {@code ContextMiddleware} then builds the request
 * context from the headers {@code X-Identity-Status: Confirmed}, {@code X-User-Id},
 * {@code X-Project-Id} (or {@code X-Tenant-Id}) and {@code X-Roles}, and answers 401 without
 * them. (The stock empty flavor runs {@code UnauthenticatedContextMiddleware}, which ignores
 * those headers and makes every caller an admin without a project.) Policy: the secure RBAC
 * defaults ({@code enforce_secure_rbac} and {@code [oslo_policy] enforce_new_defaults} and
 * {@code enforce_scope}, all true), so callers need the {@code member}/{@code reader} roles and a
 * project, as in a current deployment; {@link #context()} has them.
 *
 * <p>When {@code glance-api} is not installed, {@link #start()} fails (it does not skip): the
 * suite's set-up ({@code scripts/ensure-tools.sh}) installs it.
 */
public final class GlanceServer implements AutoCloseable {
    /** The project every {@link #context()} acts in. */
    public static final String PROJECT = "diskimage-tests";
    /** The user every {@link #context()} acts for. */
    public static final String USER = "tester";

    /**
     * A system property naming the one directory to take {@code glance-api} and
     * {@code glance-manage} from, instead of the {@code PATH} and {@code /usr/bin}.
     */
    public static final String BIN_PROPERTY = "diskimage.glance.bin";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern FILE_GET = Pattern.compile("\"GET /v2/images/([^/ ?\"]+)/file HTTP/1\\.[01]\" 200 ");

    private final Path directory;
    private final Path storeDirectory;
    private final Path config;
    private final Path log;
    private final int port;
    private final String program;
    private Process process;

    private GlanceServer(Path directory, int port, String program, Map<String, Map<String, String>> extra)
            throws IOException {
        this.directory = directory;
        this.port = port;
        this.program = program;
        this.storeDirectory = Files.createDirectories(directory.resolve("images"));
        this.log = directory.resolve("glance-api.log");
        for (String name : List.of("staging", "tasks", "locks")) {
            Files.createDirectories(directory.resolve(name));
        }
        Path paste = directory.resolve("glance-api-paste.ini");
        Files.writeString(paste, Files.readString(stockPaste()) + "\n\n"
                + "# diskimage tests: the Keystone pipeline without authtoken; the context comes from X-* headers\n"
                + "[pipeline:glance-api-trusted]\n"
                + "pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler context rootapp\n");
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        section(sections, "DEFAULT")
                .put("bind_host", "127.0.0.1");
        section(sections, "DEFAULT").put("bind_port", Integer.toString(port));
        section(sections, "DEFAULT").put("workers", "0");
        section(sections, "DEFAULT").put("log_file", log.toString());
        section(sections, "DEFAULT").put("use_stderr", "false");
        section(sections, "DEFAULT").put("debug", "false");
        section(sections, "DEFAULT").put("enabled_backends", "fs:file");
        section(sections, "DEFAULT").put("enforce_secure_rbac", "true");
        section(sections, "database").put("connection", "sqlite:///" + directory.resolve("glance.sqlite"));
        section(sections, "paste_deploy").put("flavor", "trusted");
        section(sections, "paste_deploy").put("config_file", paste.toString());
        section(sections, "glance_store").put("default_backend", "fs");
        section(sections, "fs").put("filesystem_store_datadir", storeDirectory.toString());
        section(sections, "os_glance_staging_store").put("filesystem_store_datadir",
                directory.resolve("staging").toString());
        section(sections, "os_glance_tasks_store").put("filesystem_store_datadir",
                directory.resolve("tasks").toString());
        section(sections, "oslo_concurrency").put("lock_path", directory.resolve("locks").toString());
        section(sections, "oslo_policy").put("enforce_new_defaults", "true");
        section(sections, "oslo_policy").put("enforce_scope", "true");
        extra.forEach((name, values) -> section(sections, name).putAll(values));
        StringBuilder text = new StringBuilder("# generated by dev.diskimage.catalog.testing.GlanceServer\n");
        sections.forEach((name, values) -> {
            text.append('[').append(name).append("]\n");
            values.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        });
        this.config = Files.writeString(directory.resolve("glance-api.conf"), text.toString());
        run(List.of(sibling(program, "glance-manage"), "--config-file", config.toString(), "db_sync"));
    }

    /**
     * Starts a Glance with the fixture's configuration.
     *
     * @return the running server, answering {@code GET /v2/images}
     * @throws IllegalStateException if glance-api is not installed or does not come up
     */
    public static GlanceServer start() {
        return builder().start();
    }

    /**
     * A builder, to add or override configuration options.
     *
     * @return a builder with no extra options
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Adds configuration to a {@link GlanceServer} before it starts. */
    public static final class Builder {
        private final Map<String, Map<String, String>> options = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Sets one option of {@code glance-api.conf}.
         *
         * @param section e.g. {@code DEFAULT}
         * @param key e.g. {@code image_size_cap}
         * @param value its value
         * @return this builder
         */
        public Builder option(String section, String key, String value) {
            section(options, section).put(key, value);
            return this;
        }

        /**
         * Creates the configuration and database in a new temporary directory and starts Glance.
         *
         * @return the running server
         * @throws IllegalStateException if glance-api is not installed or does not come up
         */
        public GlanceServer start() {
            String program = findProgram();
            try {
                Path directory = Files.createTempDirectory("glance-test-");
                GlanceServer server = new GlanceServer(directory, freePort(), program, options);
                server.startAgain();
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot set up glance-api", e);
            }
        }
    }

    /**
     * A context that Glance accepts: user {@link #USER} in project {@link #PROJECT} with the
     * roles admin, member and reader, and a fresh request id.
     *
     * @return the context
     */
    public static RequestContext context() {
        return RequestContext.anonymous().identity(USER, PROJECT, List.of("admin", "member", "reader"));
    }

    /**
     * Where Glance answers.
     *
     * @return e.g. {@code http://127.0.0.1:41234}
     */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * The file store's directory: each image's data is the file named by its id.
     *
     * @return the directory
     */
    public Path storeDirectory() {
        return storeDirectory;
    }

    /**
     * The stored data of one image, for tests that alter it behind Glance's back.
     *
     * @param imageId the image
     * @return its file in the store
     */
    public Path storedFile(String imageId) {
        return storeDirectory.resolve(imageId);
    }

    /**
     * Glance's log file (with its access log lines).
     *
     * @return the log file
     */
    public Path logFile() {
        return log;
    }

    /**
     * How many downloads of an image's data Glance has answered with 200, from its access log
     * (see {@link #awaitDownloads} for a count right after a download).
     *
     * @param imageId the image
     * @return the number of {@code GET /v2/images/ID/file} answered 200
     */
    public long downloads(String imageId) {
        return logLines().stream().map(FILE_GET::matcher).filter(m -> m.find() && m.group(1).equals(imageId)).count();
    }

    /**
     * How many downloads of an image Glance has answered, waiting up to 5 s for at least
     * {@code expected}: Glance writes the access log line only after the answer's last byte, so a
     * count read right after a download may lag by one.
     *
     * @param imageId the image
     * @param expected the count to wait for
     * @return the count, {@code expected} or more unless 5 s passed
     */
    public long awaitDownloads(String imageId, long expected) {
        return Counts.await(() -> downloads(imageId), expected);
    }

    /**
     * How many downloads Glance has answered with 200, for every image.
     *
     * @return the number of {@code GET /v2/images/ID/file} answered 200
     */
    public long downloads() {
        return logLines().stream().filter(line -> FILE_GET.matcher(line).find()).count();
    }

    /**
     * Whether the process is running.
     *
     * @return true while glance-api runs
     */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Stops glance-api (its whole process tree); the configuration, database and store stay.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>();
        process.descendants().forEach(tree::add);
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                handle.destroyForcibly();
            }
        }
        process = null;
    }

    /**
     * Starts glance-api again on the same port, database and store, after {@link #stop()}.
     *
     * @throws IllegalStateException if it does not come up
     */
    public synchronized void startAgain() {
        if (isRunning()) {
            return;
        }
        try {
            process = new ProcessBuilder(program, "--config-file", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("glance-api.out").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + program, e);
        }
        awaitReady();
    }

    /** Stops and starts glance-api: the same port, database and store. */
    public void restart() {
        stop();
        startAgain();
    }

    /** Stops glance-api and deletes its directory. */
    @Override
    public void close() {
        stop();
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }

    private void awaitReady() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        RequestContext ctx = context();
        HttpRequest request = HttpRequest.newBuilder(baseUrl().resolve("/v2/images"))
                .timeout(Duration.ofSeconds(5))
                .header("X-Identity-Status", "Confirmed")
                .header("X-User-Id", ctx.userId().orElseThrow())
                .header("X-Project-Id", ctx.projectId().orElseThrow())
                .header("X-Roles", String.join(",", ctx.roles()))
                .build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("glance-api exited with " + process.exitValue() + " while starting; "
                        + "its output:\n" + tail(directory.resolve("glance-api.out")) + "\nits log:\n" + tail(log));
            }
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + response.statusCode() + ": " + response.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for glance-api", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for glance-api", e);
            }
        }
        stop();
        throw new IllegalStateException("glance-api did not answer GET /v2/images with 200 within " + START_TIMEOUT
                + " (last: " + last + "); its log:\n" + tail(log));
    }

    private List<String> logLines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }

    private static Map<String, String> section(Map<String, Map<String, String>> sections, String name) {
        return sections.computeIfAbsent(name, n -> new LinkedHashMap<>());
    }

    private static Path stockPaste() {
        for (String candidate : List.of("/etc/glance/glance-api-paste.ini", "/usr/share/glance/glance-api-paste.ini")) {
            Path path = Path.of(candidate);
            if (Files.isReadable(path)) {
                return path;
            }
        }
        throw new IllegalStateException("glance-api is installed but its glance-api-paste.ini is not in /etc/glance "
                + "or /usr/share/glance");
    }

    private static String findProgram() {
        String override = System.getProperty(BIN_PROPERTY);
        String path = override != null ? override
                : System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "glance-api"))
                    && Files.isExecutable(Path.of(dir, "glance-manage"))) {
                return Path.of(dir, "glance-api").toString();
            }
        }
        throw new IllegalStateException("glance-api is not installed, and these tests need a real Glance: "
                + "install it with `apt-get install -y glance-api` (Debian), or run ./run-tests.sh, which does");
    }

    private static String sibling(String program, String name) {
        return Path.of(program).resolveSibling(name).toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }
}
