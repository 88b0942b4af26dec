package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the distribution as a user would (unpacks {@code diskimage-VERSION.tar.gz} somewhere
 * else) and runs its launchers, through a symlink too, and the self-contained jar, over images made
 * by the real qemu-img. Also checks the class-data-sharing cache the launcher keeps: made on the
 * first run, remade when the installation moves, never left half-written by concurrent first runs.
 */
class DistributionIT {
    private static final Path TARGET = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath()
            .normalize().resolve("cli/target");

    @TempDir
    static Path work;

    private static String version;
    private static Path home;
    private static Path good;
    private static Path backed;

    /** Exit code and output of one process. */
    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void install() throws Exception {
        Path tarGz = only("diskimage-*.tar.gz");
        String name = tarGz.getFileName().toString();
        version = name.substring("diskimage-".length(), name.length() - ".tar.gz".length());
        Path installs = Files.createDirectories(work.resolve("opt"));
        assertThat(run(List.of("tar", "-xzf", tarGz.toString(), "-C", installs.toString()), Map.of()).exit()).isZero();
        home = installs.resolve("diskimage-" + version);

        Path images = Files.createDirectories(work.resolve("images"));
        good = images.resolve("good.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", good.toString(), "16M");
        Files.write(images.resolve("base.raw"), new byte[4096]);
        backed = images.resolve("backed.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                backed.toString(), "16M");
    }

    private static Path only(String glob) throws IOException {
        List<Path> found = new ArrayList<>();
        try (var stream = Files.newDirectoryStream(TARGET, glob)) {
            stream.forEach(found::add);
        }
        assertThat(found).as("%s in %s (run mvn package first)", glob, TARGET).hasSize(1);
        return found.get(0);
    }

    /** Runs a command with a clean launcher environment: no JVM option overrides, the given extras. */
    static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        return run(command, env, work);
    }

    static Run run(List<String> command, Map<String, String> env, Path directory)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().remove("DISKIMAGE_JAVA_OPTS");
        builder.environment().remove("IMAGE_CHECK_JAVA_OPTS");
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err.join(), StandardCharsets.UTF_8));
    }

    private static Map<String, String> cache(Path dir) {
        return Map.of("XDG_CACHE_HOME", dir.toString());
    }

    private static List<String> command(Path launcher, String... args) {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static List<Path> files(Path dir, String glob) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (var stream = Files.newDirectoryStream(dir, glob)) {
            stream.forEach(found::add);
        }
        return found;
    }

    @Test
    void theArchiveHoldsLaunchersJarsReadmeAndLicense() throws IOException {
        assertThat(home.resolve("README.md")).isRegularFile();
        assertThat(home.resolve("LICENSE")).isRegularFile();
        for (String launcher : List.of("diskimage", "image-check")) {
            assertThat(Files.getPosixFilePermissions(home.resolve("bin").resolve(launcher)))
                    .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        }
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(jar -> jar.getFileName().toString()))
                    .contains("diskimage-cli-" + version + ".jar", "diskimage-core-" + version + ".jar",
                            "diskimage-validation-" + version + ".jar")
                    .anyMatch(jar -> jar.startsWith("picocli-"))
                    .anyMatch(jar -> jar.startsWith("jackson-databind-"))
                    .anyMatch(jar -> jar.startsWith("slf4j-simple-"));
        }
    }

    @Test
    void theZipHasTheSameFilesAsTheTarGz() throws Exception {
        Run listing = run(List.of("tar", "-tzf", only("diskimage-*.tar.gz").toString()), Map.of());
        Set<String> tarFiles = new TreeSet<>();
        listing.out().lines().filter(entry -> !entry.endsWith("/")).forEach(tarFiles::add);
        Set<String> zipFiles = new TreeSet<>();
        try (ZipFile zip = new ZipFile(only("diskimage-*.zip").toFile())) {
            Collections.list(zip.entries()).stream().filter(entry -> !entry.isDirectory())
                    .map(ZipEntry::getName).forEach(zipFiles::add);
        }
        assertThat(zipFiles).isEqualTo(tarFiles).contains("diskimage-" + version + "/bin/diskimage");
    }

    @Test
    void versionIsThePomVersion() throws Exception {
        Run run = run(command(home.resolve("bin/diskimage"), "--version"), cache(work.resolve("cache-version")));

        assertThat(run.exit()).isZero();
        assertThat(run.out().strip()).isEqualTo("diskimage " + version);
    }

    @Test
    void bothLaunchersAcceptAndRejectAlikeAlsoThroughASymlinkElsewhere() throws Exception {
        Path links = Files.createDirectories(work.resolve("elsewhere/bin"));
        Path checkLink = Files.createSymbolicLink(links.resolve("image-check"), home.resolve("bin/image-check"));
        Path toolLink = Files.createSymbolicLink(links.resolve("di"), home.resolve("bin/diskimage"));
        Map<String, String> env = cache(work.resolve("cache-launchers"));
        List<List<String>> launchers = List.of(
                List.of(home.resolve("bin/image-check").toString()),
                List.of(home.resolve("bin/diskimage").toString(), "check"),
                List.of(checkLink.toString()),
                List.of(toolLink.toString(), "check"));
        for (List<String> launcher : launchers) {
            List<String> accept = new ArrayList<>(launcher);
            accept.addAll(List.of("--json", "good.qcow2"));
            Run accepted = run(accept, env, good.getParent());
            assertThat(accepted.exit()).as(launcher + ": " + accepted.err()).isZero();
            assertThat(accepted.out()).contains("\"verdict\":\"accept\"", "\"format\":\"qcow2\"");

            List<String> reject = new ArrayList<>(launcher);
            reject.add(backed.toString());
            Run rejected = run(reject, env, links);
            assertThat(rejected.exit()).as(launcher + ": " + rejected.err()).isEqualTo(1);
            assertThat(rejected.out()).contains("reject");
        }
    }

    @Test
    void argumentsReachTheProgramIntact() throws Exception {
        Path odd = good.resolveSibling("-it's \"odd\" $HOME *.qcow2");
        Files.copy(good, odd);

        Run run = run(command(home.resolve("bin/diskimage"), "check", "--json", "--", odd.toString()),
                cache(work.resolve("cache-args")));

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("odd", "$HOME *.qcow2").hasLineCount(1);
    }

    @Test
    void theSelfContainedJarRunsTheCheck() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = only("diskimage-*-all.jar").toString();

        assertThat(run(List.of(java, "-jar", jar, "check", good.toString()), Map.of()).exit()).isZero();
        assertThat(run(List.of(java, "-jar", jar, "check", backed.toString()), Map.of()).exit()).isEqualTo(1);
        assertThat(run(List.of(java, "-jar", jar, "--version"), Map.of()).out().strip())
                .isEqualTo("diskimage " + version);
    }

    @Test
    void theFirstRunWritesTheSharingArchiveAndAMovedInstallationGetsItsOwn() throws Exception {
        Path cache = work.resolve("cache-move");
        Path archives = cache.resolve("diskimage");

        Run first = run(command(home.resolve("bin/image-check"), good.toString()), cache(cache));
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.err()).isEmpty();
        List<Path> made = files(archives, "*.jsa");
        assertThat(made).hasSize(1);
        assertThat(made.get(0).getFileName().toString()).startsWith(version + "-");

        Path copy = work.resolve("moved/diskimage-" + version);
        Files.createDirectories(copy.getParent());
        assertThat(run(List.of("cp", "-a", home.toString(), copy.toString()), Map.of()).exit()).isZero();
        Run moved = run(command(copy.resolve("bin/image-check"), backed.toString()), cache(cache));
        assertThat(moved.exit()).as(moved.err()).isEqualTo(1);
        assertThat(moved.err()).isEmpty();
        assertThat(files(archives, "*.jsa")).hasSize(2).contains(made.get(0));
        assertThat(files(archives, "*.tmp")).isEmpty();
    }

    @Test
    void concurrentFirstRunsLeaveOneCompleteArchive() throws Exception {
        Path cache = work.resolve("cache-concurrent");
        List<CompletableFuture<Run>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run(command(home.resolve("bin/diskimage"), "check", good.toString()), cache(cache));
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Run> run : runs) {
            assertThat(run.join().exit()).isZero();
        }
        assertThat(files(cache.resolve("diskimage"), "*.jsa")).hasSize(1);
        assertThat(files(cache.resolve("diskimage"), "*.tmp")).isEmpty();
        assertThat(files(cache.resolve("diskimage"), "*.raw")).isEmpty();

        Run withArchive = run(command(home.resolve("bin/diskimage"), "check", good.toString()), cache(cache));
        assertThat(withArchive.exit()).isZero();
        assertThat(withArchive.err()).isEmpty();
    }

    @Test
    void javaOptionsFromTheEnvironmentReplaceTheDefaultsAndTheArchive() throws Exception {
        Path cache = work.resolve("cache-opts");
        Map<String, String> env = new java.util.HashMap<>(cache(cache));
        env.put("DISKIMAGE_JAVA_OPTS", "-Xmx64m -Xshare:off");

        Run run = run(command(home.resolve("bin/diskimage"), "check", good.toString()), env);

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(cache.resolve("diskimage")).doesNotExist();
        Map<String, String> legacy = Map.of("XDG_CACHE_HOME", cache.toString(), "IMAGE_CHECK_JAVA_OPTS", "-Xmx64m");
        assertThat(run(command(home.resolve("bin/image-check"), backed.toString()), legacy).exit()).isEqualTo(1);
        assertThat(cache.resolve("diskimage")).doesNotExist();
    }
}
