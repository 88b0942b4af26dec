package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.RequestContext;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code diskimage images}: the records of an image service ({@code --service DIR}, a local
 * directory, or {@code --glance URL}), one subcommand per call. Alone it is a usage error that
 * prints the subcommands.
 */
@Command(name = "images", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "Lists, shows and deletes the images of an image service (a local directory or Glance).",
        commandListHeading = "%nCommands:%n",
        subcommands = {ImagesCommand.ListCommand.class, ImagesCommand.ShowCommand.class,
            ImagesCommand.DeleteCommand.class})
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    ImageServiceOptions service;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error, with the usage on standard error. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return ImageCheck.ERROR;
    }

    /** An image record as one JSON object with Glance's keys; absent values are {@code null}. */
    static ObjectNode json(ImageMeta meta) {
        ObjectNode root = ImageCommand.object();
        root.put("id", meta.id());
        root.put("name", meta.name().orElse(null));
        root.put("status", meta.status().serviceName());
        root.put("disk_format", meta.diskFormat().orElse(null));
        root.put("container_format", meta.containerFormat().orElse(null));
        putSize(root, "size", meta.size());
        putSize(root, "virtual_size", meta.virtualSize());
        root.put("checksum", meta.checksum().orElse(null));
        root.put("os_hash_algo", meta.osHashAlgo().orElse(null));
        root.put("os_hash_value", meta.osHashValue().orElse(null));
        root.put("visibility", meta.visibility());
        root.put("owner", meta.owner().orElse(null));
        ObjectNode properties = root.putObject("properties");
        new TreeMap<>(meta.properties()).forEach(properties::put);
        return root;
    }

    static void putSize(ObjectNode root, String key, java.util.OptionalLong value) {
        if (value.isPresent()) {
            root.put(key, value.getAsLong());
        } else {
            root.putNull(key);
        }
    }

    /** Text from a service, fit for a terminal: control characters escaped, length capped. */
    static String text(Optional<String> value) {
        return value.map(v -> UntrustedText.sanitize(v, 1024)).orElse("-");
    }

    /** What every {@code images} subcommand shares: the service its parent names. */
    abstract static class ServiceCall extends ImageCommand {
        @CommandLine.ParentCommand
        ImagesCommand parent;

        @Override
        final void execute(PrintWriter out, PrintWriter err) {
            ImageService images = parent.service.open();
            execute(images, parent.service.context(), out);
        }

        abstract void execute(ImageService images, RequestContext ctx, PrintWriter out);
    }

    /** {@code diskimage images list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            sortOptions = false, usageHelpAutoWidth = true,
            description = "Lists the images, newest first: id, status, disk format, size, name (--json: one object"
                    + " per image and line).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:listed", "2:usage, set-up or I/O error, or a service failure"})
    static final class ListCommand extends ServiceCall {
        @CommandLine.Option(names = "--filter", paramLabel = "K=V",
                description = "Only images whose attribute or property K is exactly V (repeatable), e.g."
                        + " status=active.")
        Map<String, String> filters = new TreeMap<>();

        @CommandLine.Option(names = "--sort", paramLabel = "KEY[:asc|:desc]", defaultValue = "created_at:desc",
                description = "Sort order (default: ${DEFAULT-VALUE}); keys: created_at, updated_at, name, size,"
                        + " id, status, disk_format, ...")
        String sort;

        @Override
        void execute(ImageService images, RequestContext ctx, PrintWriter out) {
            String key = sort;
            boolean ascending = false;
            int colon = sort.lastIndexOf(':');
            if (colon >= 0) {
                key = sort.substring(0, colon);
                String direction = sort.substring(colon + 1);
                if (!direction.equals("asc") && !direction.equals("desc")) {
                    throw new IllegalArgumentException("--sort direction must be asc or desc, not '"
                            + UntrustedText.sanitize(direction, 64) + "'");
                }
                ascending = direction.equals("asc");
            }
            dev.diskimage.core.service.ImageQuery query = dev.diskimage.core.service.ImageQuery.all()
                    .sortedBy(key, ascending);
            for (Map.Entry<String, String> filter : filters.entrySet()) {
                query = query.where(filter.getKey(), filter.getValue());
            }
            try (java.util.stream.Stream<ImageMeta> listed = images.list(ctx, query)) {
                listed.forEach(meta -> {
                    if (quiet) {
                        return;
                    }
                    if (json) {
                        out.println(json(meta));
                    } else {
                        out.println(String.format("%-36s  %-8s  %-6s  %12s  %s", meta.id(),
                                meta.status().serviceName(), text(meta.diskFormat()),
                                meta.size().isPresent() ? Long.toString(meta.size().getAsLong()) : "-",
                                text(meta.name())));
                    }
                });
            }
        }
    }

    /** {@code diskimage images show ID}. */
    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            sortOptions = false, usageHelpAutoWidth = true,
            description = "Shows one image's record (--json: one object).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:shown", "1:no such image", "2:usage, set-up or I/O error, or a service failure"})
    static final class ShowCommand extends ServiceCall {
        @CommandLine.Parameters(paramLabel = "ID", description = "The image's id.")
        String id;

        @Override
        void execute(ImageService images, RequestContext ctx, PrintWriter out) {
            ImageMeta meta = images.get(ctx, id);
            if (quiet) {
                return;
            }
            if (json) {
                out.println(json(meta));
                return;
            }
            out.println("id: " + meta.id());
            out.println("name: " + text(meta.name()));
            out.println("status: " + meta.status().serviceName());
            out.println("disk format: " + text(meta.diskFormat()));
            out.println("container format: " + text(meta.containerFormat()));
            out.println("size: " + (meta.size().isPresent() ? meta.size().getAsLong() + " bytes" : "-"));
            meta.virtualSize().ifPresent(size -> out.println("virtual size: " + size + " bytes"));
            out.println("checksum: " + text(meta.checksum()));
            out.println("multihash: " + meta.osHashAlgo().map(a -> UntrustedText.sanitize(a, 64) + " ").orElse("")
                    + text(meta.osHashValue()));
            out.println("visibility: " + UntrustedText.sanitize(meta.visibility(), 64));
            out.println("owner: " + text(meta.owner()));
            new TreeMap<>(meta.properties()).forEach((k, v) -> out.println("property " + UntrustedText.sanitize(k, 256)
                    + ": " + UntrustedText.sanitize(v, 1024)));
        }
    }

    /** {@code diskimage images delete ID}. */
    @Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            sortOptions = false, usageHelpAutoWidth = true,
            description = "Deletes an image and its data.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:deleted", "1:no such image, or the service refused (e.g. a protected image)",
                "2:usage, set-up or I/O error, or a service failure"})
    static final class DeleteCommand extends ServiceCall {
        @CommandLine.Parameters(paramLabel = "ID", description = "The image's id.")
        String id;

        @Override
        void execute(ImageService images, RequestContext ctx, PrintWriter out) {
            images.delete(ctx, id);
            if (quiet) {
                return;
            }
            if (json) {
                ObjectNode root = ImageCommand.object();
                root.put("id", id);
                root.put("deleted", true);
                out.println(root);
            } else {
                out.println("deleted " + UntrustedText.sanitize(id, 100));
            }
        }
    }
}
