package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.distro.DistroImage;
import dev.diskimage.catalog.distro.DistroProvider;
import dev.diskimage.catalog.distro.DistroProviders;
import dev.diskimage.catalog.distro.DistroRequest;
import dev.diskimage.catalog.distro.Image;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage distro}: distro cloud images (avocado's vmimage). {@code list} shows the
 * distros and where they publish; {@code get} finds the newest (or the asked) image on the
 * distro's mirror, downloads it once into the image cache, verified against the distro's
 * published checksum and admitted by the validator, and creates a new qcow2 overlay on it.
 * Alone it is a usage error that prints the subcommands.
 */
@Command(name = "distro", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "Distro cloud images: lists the distros, and gets one as a new overlay on a cached, validated download.",
        commandListHeading = "%nCommands:%n",
        subcommands = {DistroCommand.ListCommand.class, DistroCommand.GetCommand.class})
final class DistroCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error, with the usage on standard error. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return ImageCheck.ERROR;
    }

    /** {@code diskimage distro list}: the known distros, their base URLs and arches. */
    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            usageHelpAutoWidth = true, description = "Lists the distros 'distro get' knows, with their base URLs.",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:listed", "2:usage error"})
    static final class ListCommand extends ImageCommand {
        @Override
        void execute(PrintWriter out, PrintWriter err) {
            if (quiet) {
                return;
            }
            for (DistroProvider provider : DistroProviders.global().all()) {
                if (json) {
                    ObjectNode root = object();
                    root.put("name", provider.name());
                    root.put("base_url", provider.baseUrl().toString());
                    ArrayNode arches = root.putArray("arches");
                    provider.arches().stream().sorted().forEach(arches::add);
                    out.println(root);
                } else {
                    out.println(String.format(Locale.ROOT, "%-16s %-56s %s", provider.name(), provider.baseUrl(),
                            String.join(",", provider.arches().stream().sorted().toList())));
                }
            }
        }
    }

    /**
     * {@code diskimage distro get NAME}: a new overlay on the cached image. Not
     * {@code mixinStandardHelpOptions}: {@code --version} here is the distro's version.
     */
    @Command(name = "get", usageHelpAutoWidth = true, sortOptions = false,
            description = "Gets a distro cloud image: the newest (or the asked) version and build for an arch,"
                    + " downloaded once into the image cache (checked against the distro's published checksum,"
                    + " validated), as a new qcow2 overlay. Prints the overlay and the cached base.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:an overlay was created", "1:the image was refused (validator, checksum) or the mirror has"
                    + " no such image", "2:usage, set-up, network or I/O error"})
    static final class GetCommand extends ImageCommand {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Parameters(index = "0", paramLabel = "NAME", description = "The distro, any case (see 'diskimage distro list').")
        String name;

        @Option(names = "--version", paramLabel = "V", description = "The version (default: the newest), e.g. 41,"
                + " 24.04, 12 or bookworm.")
        String version;

        @Option(names = "--build", paramLabel = "B", description = "The build (default: the newest), e.g. 1.14 or"
                + " 20240211-1654.")
        String build;

        @Option(names = "--arch", paramLabel = "A", description = "The arch as the host names it, e.g. x86_64,"
                + " aarch64, ppc64le, s390x (default: this host's).")
        String arch;

        @Option(names = "--mirror", paramLabel = "URL", description = "A mirror with the distro's layout below it,"
                + " instead of the distro's base URL (http, https or file).")
        String mirror;

        @Option(names = "--checksum", paramLabel = "ALGO:HEX", description = "The published file's checksum, e.g."
                + " sha256:9f86...; must agree with the distro's own when both are in the same algorithm.")
        String checksum;

        @Option(names = "--cache-dir", paramLabel = "D", description = "The image cache (default: $DISKIMAGE_CACHE_DIR,"
                + " $XDG_CACHE_HOME/diskimage or ~/.cache/diskimage).")
        Path cacheDir;

        @Option(names = "--snapshot-dir", paramLabel = "D", description = "Where the overlay is created (default:"
                + " snapshots in the cache directory).")
        Path snapshotDir;

        @Override
        void execute(PrintWriter out, PrintWriter err) {
            DistroRequest.Builder request = DistroRequest.builder(name, validator())
                    .cache(ImageCache.open(cacheDir == null ? ImageCache.defaultRoot() : cacheDir));
            if (version != null) {
                request.version(version);
            }
            if (build != null) {
                request.build(build);
            }
            if (arch != null) {
                request.arch(arch);
            }
            if (mirror != null) {
                request.mirror(mirror(mirror));
            }
            if (checksum != null) {
                request.checksum(Checksum.parse(checksum));
            }
            if (snapshotDir != null) {
                request.snapshotDir(snapshotDir);
            }
            Image image;
            try (TransferBar bar = TransferBar.forTerminal(quiet, err)) {
                image = DistroImage.get(request.progress(bar::downloaded).build());
            }
            if (quiet) {
                return;
            }
            if (json) {
                ObjectNode root = object();
                root.put("name", image.name());
                root.put("version", image.version());
                root.put("build", image.build().orElse(null));
                root.put("arch", image.arch());
                root.put("path", image.path().toString());
                root.put("base", image.baseImage().toString());
                out.println(root);
                return;
            }
            out.println(image.name() + " " + image.version() + image.build().map(b -> " build " + b).orElse("") + " "
                    + image.arch() + ": " + image.path());
            out.println("base: " + image.baseImage());
        }

        private static URI mirror(String text) {
            try {
                return new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("--mirror is not a URL: " + e.getMessage());
            }
        }
    }
}
