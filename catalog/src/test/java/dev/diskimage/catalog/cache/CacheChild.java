package dev.diskimage.catalog.cache;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The other process of the cache's two-process tests: {@code fetch ROOT URL FILE} fetches and
 * prints {@code downloaded=<true|false>}; {@code hold ROOT URL FILE} fetches, prints
 * {@code holding} and keeps the entry open until its standard input closes; {@code prune ROOT}
 * prunes to nothing and prints {@code removed=<count>}.
 */
public final class CacheChild {
    private CacheChild() {
    }

    public static void main(String[] args) throws IOException {
        ImageCache cache = ImageCache.open(Path.of(args[1]));
        if (args[0].equals("prune")) {
            System.out.println("removed=" + cache.prune(PrunePolicy.maxBytes(0)).removed().size());
            return;
        }
        CacheRequest request = CacheRequest.builder(URI.create(args[2]), args[3])
                .gate(TestImages.GATE, Optional.empty()).build();
        try (CachedImage image = cache.fetch(request)) {
            if (args[0].equals("hold")) {
                System.out.println("holding");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // keep holding until the parent closes our input
                }
            } else {
                System.out.println("downloaded=" + image.downloaded());
            }
        }
    }

    /** Starts this class in a new JVM with the test's class path. */
    static Process start(String... args) throws IOException {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dorg.slf4j.simpleLogger.logFile=System.err");
        command.add(CacheChild.class.getName());
        command.addAll(java.util.List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
