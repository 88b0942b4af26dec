package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.templates.StoreMode;
import dev.diskimage.catalog.templates.StoredTemplate;
import dev.diskimage.catalog.templates.TemplateRepository;
import dev.diskimage.catalog.templates.TemplateStore;
import dev.diskimage.catalog.templates.TemplateVersion;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage template get}: lago's {@code TemplateStore.download} from the command line.
 * The repository document names the version's source; its image is fetched once (HTTP through
 * the shared image cache, preferring {@code .xz}), checked against the published hash,
 * admitted by the validator with the default policy, and stored as {@code repo:template:version}
 * (raw) or in its own format with {@code --keep-format}. Prints the stored file's path.
 */
@Command(name = "get", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Fetches a template version (the latest without :VERSION) into the template store and prints"
                + " its path; a stored version is not fetched again.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stored (or already stored)", "1:the image was refused (validator, hash mismatch) or the"
                + " repository, template, version or image does not exist; nothing was stored",
            "2:usage, set-up or I/O error, a malformed repository, a download failure"})
final class TemplateGetCommand extends ImageCommand {
    /** Environment variable naming the default store directory. */
    static final String STORE_ENV = "DISKIMAGE_TEMPLATE_STORE";

    @Option(names = "--store", paramLabel = "DIR", description = "The template store (default: $" + STORE_ENV
            + ", else $XDG_DATA_HOME/diskimage/templates, else ~/.local/share/diskimage/templates).")
    Path store;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "The image cache HTTP downloads go through"
            + " (default: $DISKIMAGE_CACHE_DIR, else $XDG_CACHE_HOME/diskimage, else ~/.cache/diskimage).")
    Path cacheDir;

    @Option(names = "--keep-format", description = "Store the image in the format it was published in"
            + " (repo:template:version.<format>) instead of converting it to raw.")
    boolean keepFormat;

    @Parameters(index = "0", paramLabel = "REPO", description = "The repository document: a path or an http(s) URL.")
    String repository;

    @Parameters(index = "1", paramLabel = "TEMPLATE[:VERSION]", description = "The template, and the version"
            + " (default: the one with the newest timestamp).")
    String reference;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        TemplateRepository repo = TemplateRepository.fromUrl(repository);
        TemplateVersion version = repo.version(reference);
        StoredTemplate stored;
        try (TransferBar bar = TransferBar.forTerminal(quiet, err)) {
            TemplateStore templates = TemplateStore.builder(store == null ? defaultStore(System.getenv()) : store)
                    .cache(ImageCache.open(cacheDir == null ? ImageCache.defaultRoot() : cacheDir))
                    .gate(validator())
                    .qemuImg(qemu())
                    .progress(bar::downloaded)
                    .build();
            stored = templates.get(version, keepFormat ? StoreMode.KEEP_FORMAT : StoreMode.RAW);
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("repository", version.repository());
            root.put("template", version.template());
            root.put("version", version.version());
            root.put("path", stored.path().toString());
            root.put("format", stored.format().glanceName());
            root.put("hash", stored.checksum().toString());
            root.put("created", stored.created());
            out.println(root);
            return;
        }
        out.println(stored.path());
    }

    /** The store directory when {@code --store} is not given. */
    static Path defaultStore(Map<String, String> env) {
        String explicit = env.get(STORE_ENV);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String data = env.get("XDG_DATA_HOME");
        Path base = data != null && !data.isBlank() && Path.of(data).isAbsolute() ? Path.of(data)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("diskimage").resolve("templates");
    }
}
