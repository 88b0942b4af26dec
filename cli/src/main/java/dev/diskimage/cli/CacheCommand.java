package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.catalog.cache.CacheEntry;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.PruneResult;
import dev.diskimage.catalog.cache.PrunePolicy;
import dev.diskimage.core.UntrustedText;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diskimage cache}: the image cache that distro images and templates share
 * ({@code --cache-dir}, else {@code $DISKIMAGE_CACHE_DIR}, {@code $XDG_CACHE_HOME/diskimage} or
 * {@code ~/.cache/diskimage}). Alone it is a usage error that prints the subcommands.
 */
@Command(name = "cache", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "Lists and prunes the image cache that distro images and templates share.",
        commandListHeading = "%nCommands:%n",
        subcommands = {CacheCommand.ListCommand.class, CacheCommand.PruneCommand.class})
final class CacheCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error, with the usage on standard error. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return ImageCheck.ERROR;
    }

    /** One entry as a JSON object with stable snake_case keys. */
    static ObjectNode json(CacheEntry entry) {
        ObjectNode root = ImageCommand.object();
        root.put("url", entry.url().toString());
        root.put("path", entry.path().toString());
        root.put("size", entry.size());
        root.put("format", entry.format().qemuName());
        root.put("checksum", entry.checksum().toString());
        root.put("downloaded", entry.downloaded().toString());
        root.put("last_used", entry.lastUsed().toString());
        root.put("in_use", entry.inUse());
        ArrayNode referrers = root.putArray("referrers");
        entry.referrers().forEach(referrer -> referrers.add(referrer.toString()));
        return root;
    }

    /** One entry as a line of text: last used, size, in use, format, URL. */
    static String text(CacheEntry entry) {
        return String.format("%-20s  %14d  %-6s  %-6s  %s", entry.lastUsed().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                entry.size(), entry.inUse() ? "in-use" : "-", entry.format().qemuName(),
                UntrustedText.sanitize(entry.url().toString(), 2048));
    }

    /** What both subcommands share: the cache directory. */
    abstract static class CacheCall extends ImageCommand {
        @Option(names = "--cache-dir", paramLabel = "DIR",
                description = "The cache directory (default: $DISKIMAGE_CACHE_DIR, else $XDG_CACHE_HOME/diskimage,"
                        + " else ~/.cache/diskimage).")
        Path cacheDir;

        ImageCache cache() {
            return ImageCache.open(root());
        }

        Path root() {
            return cacheDir != null ? cacheDir : ImageCache.defaultRoot();
        }
    }

    /** {@code diskimage cache list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            sortOptions = false, usageHelpAutoWidth = true,
            description = "Lists the cached images, most recently used first: last used, size, in use, format, URL"
                    + " (--json: one object per entry and line).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:listed", "2:usage, set-up or I/O error"})
    static final class ListCommand extends CacheCall {
        @Override
        void execute(PrintWriter out, PrintWriter err) {
            // Looking creates nothing: a cache that was never made holds no entries.
            List<CacheEntry> entries = Files.isDirectory(root()) ? cache().list() : List.of();
            if (quiet) {
                return;
            }
            for (CacheEntry entry : entries) {
                out.println(json ? json(entry).toString() : text(entry));
            }
        }
    }

    /** {@code diskimage cache prune}. */
    @Command(name = "prune", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            sortOptions = false, usageHelpAutoWidth = true,
            description = "Removes cached images nobody uses: those unused for longer than --max-age, then the least"
                    + " recently used until the cache holds at most --max-size. Images in use (open by a process,"
                    + " or the backing file of an overlay that exists) are kept. Also removes what interrupted"
                    + " downloads left behind.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:pruned (also when images in use were kept)", "2:usage, set-up or I/O error"})
    static final class PruneCommand extends CacheCall {
        @Option(names = "--max-size", paramLabel = "SIZE",
                description = "The most the cache may hold, e.g. 20G, 500M, 10GB.")
        String maxSize;

        @Option(names = "--max-age", paramLabel = "AGE",
                description = "The longest an image may stay unused, e.g. 30d, 12h, 2w, PT90M.")
        String maxAge;

        @Override
        void execute(PrintWriter out, PrintWriter err) {
            if (maxSize == null && maxAge == null) {
                throw new IllegalArgumentException("prune needs --max-size, --max-age or both");
            }
            OptionalLong bytes = maxSize == null ? OptionalLong.empty() : OptionalLong.of(SizeParser.parse(maxSize));
            Optional<Duration> age = maxAge == null ? Optional.empty() : Optional.of(AgeParser.parse(maxAge));
            PruneResult result = cache().prune(new PrunePolicy(bytes, age));
            if (quiet) {
                return;
            }
            if (json) {
                ObjectNode root = ImageCommand.object();
                ArrayNode removed = root.putArray("removed");
                result.removed().forEach(entry -> removed.add(json(entry)));
                ArrayNode kept = root.putArray("kept_in_use");
                result.keptInUse().forEach(entry -> kept.add(json(entry)));
                root.put("bytes_freed", result.bytesFreed());
                out.println(root);
                return;
            }
            for (CacheEntry entry : result.removed()) {
                out.println("removed  " + text(entry));
            }
            for (CacheEntry entry : result.keptInUse()) {
                out.println("kept     " + text(entry));
            }
            out.println(String.format("%d removed, %d bytes freed, %d kept in use", result.removed().size(),
                    result.bytesFreed(), result.keptInUse().size()));
        }
    }
}
