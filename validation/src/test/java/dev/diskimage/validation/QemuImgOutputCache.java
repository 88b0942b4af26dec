package dev.diskimage.validation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Remembers, for the life of the JVM, the files a qemu-img command wrote, so that a test class
 * whose fixtures are rebuilt for every test method (PIT runs each method on its own, re-running
 * {@code @BeforeAll}) forks qemu-img once per fixture instead of once per method and mutant.
 *
 * <p>A command is replayed only when replaying cannot be told apart from running it: the key is
 * the command line with the target written as {@code {}} and the content of every file it names,
 * and an output is stored only when it names none of the paths that differ between runs (a
 * backing file's absolute path, the temporary directory) and is small.
 */
final class QemuImgOutputCache {
    /** Outputs larger than this in total are not kept: copying them would cost what qemu-img does. */
    private static final long MAX_CACHED_BYTES = 32L << 20;

    private static final Map<String, Path> STORED = new HashMap<>();
    private static Path root;

    private QemuImgOutputCache() {
    }

    /** The real qemu-img run. */
    interface Command {
        void run() throws IOException, InterruptedException;
    }

    /**
     * Runs {@code command}, which writes {@code target} (and maybe siblings of it) in {@code dir},
     * or copies what an identical earlier run wrote.
     */
    static synchronized void run(Path dir, Path target, List<String> templateArgs, Command command)
            throws IOException, InterruptedException {
        String key = key(target, templateArgs);
        Path stored = STORED.get(key);
        if (stored != null) {
            copyAll(stored, dir);
            return;
        }
        Map<String, Long> before = listing(dir);
        command.run();
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, Long> now : listing(dir).entrySet()) {
            if (!now.getValue().equals(before.get(now.getKey())) || dir.resolve(now.getKey()).equals(target)) {
                written.add(dir.resolve(now.getKey()));
            }
        }
        if (replayable(dir, written, templateArgs)) {
            Path copy = Files.createDirectory(root().resolve(Integer.toString(STORED.size())));
            copyAll(written, copy);
            STORED.put(key, copy);
        }
    }

    private static String key(Path target, List<String> templateArgs) throws IOException {
        StringBuilder key = new StringBuilder(target.getFileName().toString());
        for (String arg : templateArgs) {
            Path named = arg.equals("{}") ? target : Path.of(arg);
            key.append('\0');
            if (named.isAbsolute() && Files.isRegularFile(named)) {
                // A file stands in the key by name and content: its directory differs between
                // runs, and an output that records the directory is never stored.
                key.append(arg.equals("{}") ? arg : named.getFileName().toString())
                        .append('#').append(sha256(Files.readAllBytes(named)));
            } else {
                key.append(arg);
            }
        }
        return key.toString();
    }

    /** Whether the written files are small and name no path that differs between runs. */
    private static boolean replayable(Path dir, List<Path> written, List<String> templateArgs) throws IOException {
        List<byte[]> runSpecific = new ArrayList<>();
        runSpecific.add(dir.toString().getBytes(StandardCharsets.UTF_8));
        for (String arg : templateArgs) {
            if (arg.startsWith("/")) {
                runSpecific.add(arg.getBytes(StandardCharsets.UTF_8));
            }
        }
        long total = 0;
        for (Path file : written) {
            total += Files.size(file);
        }
        if (written.isEmpty() || total > MAX_CACHED_BYTES) {
            return false;
        }
        for (Path file : written) {
            byte[] content = Files.readAllBytes(file);
            if (runSpecific.stream().anyMatch(path -> contains(content, path))) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> modified = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    modified.put(file.getFileName().toString(),
                            Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file));
                }
            }
        }
        return modified;
    }

    private static void copyAll(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            copyAll(files.toList(), to);
        }
    }

    private static void copyAll(List<Path> files, Path to) throws IOException {
        for (Path file : files) {
            Files.copy(file, to.resolve(file.getFileName().toString()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path root() throws IOException {
        if (root == null) {
            root = Files.createTempDirectory("qemu-img-outputs");
            Path created = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(created)));
        }
        return root;
    }

    private static void deleteQuietly(Path tree) {
        try (Stream<Path> files = Files.walk(tree)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // The JVM is exiting; a leftover temporary directory is all that is lost.
        }
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
