package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.images.UploadResult;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ValidatedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage upload}: Cinder's {@code upload_volume} from the command line. The file is
 * validated, converted when the image's disk format differs from the file's (or compression is
 * asked), uploaded to a new image while its bytes are hashed here, and the service's checksum and
 * multihash checked against this side's. A refused file creates nothing; a failed or mismatched
 * upload deletes the record it created. A progress bar on standard error when it is a terminal.
 */
@Command(name = "upload", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Validates an image file and uploads it to an image service as a new image; prints its id.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:uploaded", "1:the image was refused, or the service's hashes do not match the file's",
            "2:usage, set-up or I/O error, or a service failure"})
final class UploadCommand extends ImageCommand {
    @Mixin
    ImageServiceOptions service;

    @Option(names = "--name", paramLabel = "N", required = true, description = "The image's display name.")
    String name;

    @Option(names = "--disk-format", paramLabel = "F", required = true,
            description = "The image's format (Glance or qemu names). Without -f the file must be this format.")
    String diskFormat;

    @Option(names = {"-f", "--format"}, paramLabel = "F",
            description = "The file's format, when it differs from --disk-format: the file is converted first.")
    String fileFormat;

    @Option(names = "--compress", description = "Write the image compressed (qcow2 only; converts the file).")
    boolean compress;

    @Option(names = "--container-format", paramLabel = "C", defaultValue = "bare",
            description = "Container format (default: ${DEFAULT-VALUE}).")
    String containerFormat;

    @Option(names = "--visibility", paramLabel = "V", defaultValue = "private",
            description = "private, shared, public or community (default: ${DEFAULT-VALUE}).")
    String visibility;

    @Option(names = "--property", paramLabel = "K=V", description = "An extra property (repeatable).")
    Map<String, String> properties = new TreeMap<>();

    @Option(names = "--conversion-dir", paramLabel = "DIR",
            description = "Where a conversion is written before the upload (default: the system's temporary directory).")
    Path conversionDir;

    @Parameters(paramLabel = "FILE", description = "The image file (or volume).")
    Path file;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        DiskFormat imageFormat = format(diskFormat, "--disk-format");
        DiskFormat volumeFormat = fileFormat == null ? imageFormat : format(fileFormat, "-f");
        // Refused before anything is created; the flow checks the file unchanged before reading it.
        ValidatedImage volume = validator().check(file, volumeFormat);
        ImageService images = service.open();
        RequestContext ctx = service.context();
        ImageMeta created = images.create(ctx, new NewImage(Optional.empty(), name, imageFormat.glanceName(),
                containerFormat, visibility, properties));
        UploadResult result;
        try (TransferBar bar = TransferBar.forTerminal(quiet, err)) {
            result = ImageFlows.flows(ImageFlows.downloader(validator(), conversionDir), bar)
                    .uploadVolume(ctx, images, created, volume, compress);
        } catch (RuntimeException e) {
            discard(images, ctx, created);
            throw e;
        }
        if (quiet) {
            return;
        }
        ImageMeta uploaded = result.meta();
        if (json) {
            ObjectNode root = object();
            root.put("id", uploaded.id());
            ImagesCommand.putSize(root, "size", uploaded.size());
            root.put("checksum", uploaded.checksum().orElse(null));
            root.put("os_hash_algo", uploaded.osHashAlgo().orElse(null));
            root.put("os_hash_value", uploaded.osHashValue().orElse(null));
            root.put("disk_format", result.uploadedFormat().glanceName());
            root.put("converted", result.converted());
            out.println(root);
        } else {
            out.println(uploaded.id());
        }
    }

    /** Removes the record of a failed upload, so no half-made image is left; never throws. */
    private static void discard(ImageService images, RequestContext ctx, ImageMeta created) {
        try {
            images.delete(ctx, created.id());
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(UploadCommand.class).warn("could not delete image {} after its upload failed: {}",
                    created.id(), e.getMessage());
        }
    }
}
